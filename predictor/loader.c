/*
 * loader.c - the gateway's hot-reloadable model holder.
 *
 * Readers call pred_loader_get() on every request: one atomic load and,
 * at most once a second, one stat(2) by whichever thread wins a trylock.
 * A changed file is loaded beside the current model and swapped in only
 * when it passes every check; models are kept until pred_loader_free(), so
 * a reader never sees a freed model.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "pred_impl.h"

#define LOADER_MAX_KEPT	1024	/* reloads kept before we stop reloading */

/* What identifies one version of the file on disk. */
struct file_key {
	dev_t		dev;
	ino_t		ino;
	off_t		size;
	struct timespec	mtime;
};

struct pred_loader {
	char				*path;		/* NULL: the default model */
	_Atomic(const struct pred_model *) cur;
	struct pred_model		**kept;		/* every model loaded, owned */
	size_t				 nkept;
	char				**req;		/* required model names */
	size_t				 nreq;
	pthread_mutex_t			 mu;		/* one reloader at a time */
	atomic_llong			 next_check;	/* monotonic seconds */
	struct file_key			 seen;		/* the version last tried */
	atomic_uint			 reloads;
};

static long long
now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (long long)ts.tv_sec;
}

static int
file_key(const char *path, struct file_key *k)
{
	struct stat st;

	if (stat(path, &st) == -1)
		return -1;
	memset(k, 0, sizeof(*k));
	k->dev = st.st_dev;
	k->ino = st.st_ino;
	k->size = st.st_size;
	k->mtime = st.st_mtim;
	return 0;
}

static int
same_key(const struct file_key *a, const struct file_key *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	    a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec;
}

/* 0 when pm knows every required name, else -1 with the first missing. */
static int
check_required(const struct pred_loader *l, const struct pred_model *pm,
    char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < l->nreq; i++)
		if (pred_model_find(pm, l->req[i]) < 0) {
			snprintf(err, errlen, "model %s does not know \"%s\"",
			    pred_model_version(pm), l->req[i]);
			return -1;
		}
	return 0;
}

static int
keep(struct pred_loader *l, struct pred_model *pm)
{
	struct pred_model **k;

	if ((k = realloc(l->kept, (l->nkept + 1) * sizeof(*k))) == NULL)
		return -1;
	l->kept = k;
	l->kept[l->nkept++] = pm;
	return 0;
}

/* Load path; on success keep and publish it.  Caller holds l->mu. */
static int
load(struct pred_loader *l, char *err, size_t errlen)
{
	struct pred_model *pm;
	char msg[512];

	if (l->nkept >= LOADER_MAX_KEPT) {
		snprintf(err, errlen, "%s: reloaded %d times, restart to reload again",
		    l->path, LOADER_MAX_KEPT);
		return -1;
	}
	if ((pm = pred_model_load_so(l->path, NULL, msg, sizeof(msg))) == NULL) {
		snprintf(err, errlen, "%s", msg);
		return -1;
	}
	if (check_required(l, pm, err, errlen) == -1)
		goto fail;
	if (keep(l, pm) == -1) {
		snprintf(err, errlen, "%s: out of memory", l->path);
		goto fail;
	}
	atomic_store_explicit(&l->cur, pm, memory_order_release);
	return 0;
fail:
	pred_model_free(pm);
	return -1;
}

struct pred_loader *
pred_loader_new(const char *so_path, char *err, size_t errlen)
{
	struct pred_loader *l;

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&l->mu, NULL);
	atomic_init(&l->cur, pred_model_default());
	atomic_init(&l->next_check, now_sec() + 1);
	atomic_init(&l->reloads, 0);
	if (so_path == NULL)
		return l;
	err[0] = '\0';
	if ((l->path = strdup(so_path)) == NULL || file_key(so_path, &l->seen) == -1 ||
	    load(l, err, errlen) == -1) {
		if (err[0] == '\0')
			snprintf(err, errlen, "%s: cannot stat the model file", so_path);
		pred_loader_free(l);
		return NULL;
	}
	return l;
}

int
pred_loader_require(struct pred_loader *l, const char *const *names, size_t n,
    char *err, size_t errlen)
{
	char **r;
	size_t i;

	for (i = 0; i < n; i++) {
		if ((r = realloc(l->req, (l->nreq + 1) * sizeof(*r))) == NULL)
			goto nomem;
		l->req = r;
		if ((l->req[l->nreq] = strdup(names[i])) == NULL)
			goto nomem;
		l->nreq++;
	}
	return check_required(l, atomic_load(&l->cur), err, errlen);
nomem:
	snprintf(err, errlen, "out of memory");
	return -1;
}

/* Called by at most one thread at a time: reload when the file changed. */
static void
maybe_reload(struct pred_loader *l)
{
	struct file_key k;
	char err[640];

	if (file_key(l->path, &k) == -1 || same_key(&k, &l->seen))
		return;
	l->seen = k;
	err[0] = '\0';
	if (load(l, err, sizeof(err)) == -1) {
		log_err("predictor: rejected new model, keeping %s: %s",
		    pred_model_version(atomic_load(&l->cur)), err);
		return;
	}
	atomic_fetch_add(&l->reloads, 1);
	log_info("predictor: loaded model %s from %s",
	    pred_model_version(atomic_load(&l->cur)), l->path);
}

const struct pred_model *
pred_loader_get(struct pred_loader *l)
{
	long long now;

	if (l->path != NULL) {
		now = now_sec();
		if (now >= atomic_load_explicit(&l->next_check, memory_order_relaxed) &&
		    pthread_mutex_trylock(&l->mu) == 0) {
			atomic_store(&l->next_check, now + 1);
			maybe_reload(l);
			pthread_mutex_unlock(&l->mu);
		}
	}
	return atomic_load_explicit(&l->cur, memory_order_acquire);
}

unsigned
pred_loader_reloads(const struct pred_loader *l)
{
	return atomic_load(&((struct pred_loader *)l)->reloads);
}

void
pred_loader_free(struct pred_loader *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->nkept; i++)
		pred_model_free(l->kept[i]);
	for (i = 0; i < l->nreq; i++)
		free(l->req[i]);
	free(l->kept);
	free(l->req);
	free(l->path);
	pthread_mutex_destroy(&l->mu);
	free(l);
}
