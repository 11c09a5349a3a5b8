/*
 * serve.c - process start-up and the serving loop: FastCGI with a pool of
 * threads (each with its own FCGX_Request, CURL handle and Lua states), or
 * one plain CGI request.  Start-up phases, in order: options (a malformed
 * --listen, or root without --user/--allow-root, is a usage error), config,
 * the listening socket, the privilege drop (--user), then, as that user:
 * log, upstream credentials, client keys, stats, decision log, predictor,
 * workers.  Everything after the drop is opened as the user, so that
 * reloads and log reopening keep working without root.
 */
#include "autoconf.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>
#include <fcgiapp.h>

#include "auth.h"
#include "bedrock.h"
#include "config.h"
#include "creds.h"
#include "declog.h"
#include "gateway.h"
#include "http.h"
#include "journal.h"
#include "listen.h"
#include "log.h"
#include "policy.h"
#include "pred.h"
#include "priv.h"
#include "stats.h"
#include "usage.h"

struct tg_server {
	struct tg_config	*cfg;
	struct tg_keyring	*keys;
	struct creds		 creds;
	struct bedrock_auth	 auth;
	struct stats		*stats;
	struct declog		*declog;
	struct pred_loader	*pred;
	struct journal		*journal;	/* FastCGI: this process's, or NULL */
	int			 listen_fd;	/* FastCGI socket, 0 when spawned */
	volatile sig_atomic_t	 stopping;
};

static struct tg_server	srv;

static const char *
serve_default_config(void)
{
	const char	*p = getenv("TIERGATE_CONFIG");

	return p != NULL && *p != '\0' ? p : TG_SYSCONFDIR "/tiergate.json";
}

static enum log_level
serve_log_level(const char *s)
{
	if (s == NULL || strcmp(s, "info") == 0)
		return LOG_LVL_INFO;
	if (strcmp(s, "error") == 0)
		return LOG_LVL_ERR;
	return strcmp(s, "warning") == 0 ? LOG_LVL_WARN : LOG_LVL_DEBUG;
}

static int
serve_credentials(struct tg_server *s)
{
	char	 err[512];

	if (creds_resolve(s->cfg->cred_source, s->cfg->profile,
	    s->cfg->credentials_file, &s->creds, err, sizeof(err)) != 0) {
		log_err("upstream credentials: %s", err);
		return -1;
	}
	if (s->creds.kind == CREDS_BEARER) {
		s->auth.bearer = s->creds.bearer_token;
		log_info("upstream auth: Bedrock API key from %s", s->creds.source);
	} else {
		creds_sigv4(&s->creds, &s->auth.sigv4);
		log_info("upstream auth: SigV4, key id %s from %s",
		    s->creds.access_key_id, s->creds.source);
	}
	return 0;
}

static size_t
serve_name_add(const char **names, size_t n, size_t cap, const char *p)
{
	size_t	 k;

	for (k = 0; k < n && strcmp(names[k], p) != 0; k++)
		;
	if (k == n && n < cap)
		names[n++] = p;
	return n;
}

/*
 * A candidate with both a "strength" and a "predictor" needs one of them
 * scorable: the reference heads, or its predictor head.  The loader
 * requires names, not alternatives, so this is checked against the model
 * loaded now only; a later reload offering neither leaves the candidate
 * unscored (its router falls back, reason no_prediction).
 */
static int
serve_check_either(const struct tg_config *cfg, const struct pred_model *pm,
    char *err, size_t errlen)
{
	const struct tg_model	*m;
	size_t			 i, j;
	int			 ref;

	ref = pred_model_find(pm, PRED_HEAD_WEAK) >= 0 &&
	    pred_model_find(pm, PRED_HEAD_STRONG) >= 0;
	for (i = 0; i < cfg->nrouters && !ref; i++)
		for (j = 0; j < cfg->routers[i].nmodels; j++) {
			m = &cfg->models[cfg->routers[i].models[j]];
			if (m->has_strength && m->predictor != NULL &&
			    pred_model_find(pm, m->predictor) < 0) {
				snprintf(err, errlen, "model %s: %s has neither the "
				    "reference heads %s %s for its strength nor "
				    "its predictor head '%s'", m->id,
				    pred_model_version(pm), PRED_HEAD_WEAK,
				    PRED_HEAD_STRONG, m->predictor);
				return -1;
			}
		}
	return 0;
}

/*
 * What the predictor must offer the routers, now and after any reload: a
 * candidate's "predictor" head when it has no "strength"; the reference
 * heads "(weak)" and "(strong)" when it has a strength and no predictor;
 * one of the two when it has both (serve_check_either).
 */
static int
serve_require_predictions(const struct tg_config *cfg, struct pred_loader *pl,
    char *err, size_t errlen)
{
	const char		*names[TG_MAX_CANDIDATES * 16 + 2];
	const size_t		 cap = sizeof(names) / sizeof(names[0]);
	const struct tg_model	*m;
	size_t			 i, j, n = 0;

	for (i = 0; i < cfg->nrouters; i++)
		for (j = 0; j < cfg->routers[i].nmodels; j++) {
			m = &cfg->models[cfg->routers[i].models[j]];
			if (!m->has_strength && m->predictor != NULL)
				n = serve_name_add(names, n, cap, m->predictor);
			else if (m->has_strength && m->predictor == NULL) {
				n = serve_name_add(names, n, cap, PRED_HEAD_WEAK);
				n = serve_name_add(names, n, cap, PRED_HEAD_STRONG);
			}
		}
	if (pred_loader_require(pl, names, n, err, errlen) != 0)
		return -1;
	return serve_check_either(cfg, pred_loader_get(pl), err, errlen);
}

/* The first router candidate at or after *pos (router * 16 + model)
 * that has neither a "predictor" nor a "strength": the predictor can
 * never score it, so its router always serves the fallback.  Returns
 * the model and sets *router, or NULL when there is none left. */
static const struct tg_model *
serve_unpredicted(const struct tg_config *cfg, size_t *pos, const char **router)
{
	const struct tg_model	*m;
	size_t			 i, j;

	for (; (i = *pos / 16) < cfg->nrouters; ++*pos) {
		if ((j = *pos % 16) >= cfg->routers[i].nmodels)
			continue;
		m = &cfg->models[cfg->routers[i].models[j]];
		if (m->predictor == NULL && !m->has_strength) {
			*router = cfg->routers[i].id;
			++*pos;
			return m;
		}
	}
	return NULL;
}

#define SERVE_UNPREDICTED_FMT	"router %s: model %s has neither \"predictor\" " \
	"nor \"strength\": the predictor cannot score it, every request " \
	"falls back (no_prediction)"

/* Shared state, opened once per process. */
static int
serve_open_shared(struct tg_server *s)
{
	const struct tg_model	*m;
	const char		*router;
	size_t			 pos = 0;
	char			 err[512];

	if (s->cfg->api_keys_file != NULL &&
	    (s->keys = auth_keyring_new(s->cfg->api_keys_file, err, sizeof(err))) == NULL) {
		log_err("api keys: %s", err);
		return -1;
	}
	if (s->keys == NULL)
		log_warn("no api_keys_file configured: clients are not authenticated");
	else
		log_info("api keys: %zu keys from %s", auth_keys_count(auth_keyring_get(s->keys)),
		    s->cfg->api_keys_file);
	if (s->cfg->stats_path != NULL &&
	    (s->stats = stats_open(s->cfg->stats_path, err, sizeof(err))) == NULL) {
		log_err("stats: %s", err);
		return -1;
	}
	if (s->cfg->decision_log != NULL &&
	    (s->declog = declog_open(s->cfg->decision_log, err, sizeof(err))) == NULL) {
		log_err("decision log: %s", err);
		return -1;
	}
	if ((s->pred = pred_loader_new(s->cfg->predictor_model, err, sizeof(err))) == NULL ||
	    serve_require_predictions(s->cfg, s->pred, err, sizeof(err)) != 0) {
		log_err("predictor: %s", err);
		return -1;
	}
	while ((m = serve_unpredicted(s->cfg, &pos, &router)) != NULL)
		log_warn(SERVE_UNPREDICTED_FMT, router, m->id);
	return 0;
}

/* The first router (index <= i) that uses router i's policy file. */
static size_t
serve_policy_twin(const struct tg_config *cfg, size_t i)
{
	size_t	 j;

	for (j = 0; j < i && strcmp(cfg->routers[j].policy, cfg->routers[i].policy) != 0; j++)
		;
	return j;
}

/*
 * FastCGI: finish what killed processes left in their journals (next to
 * the stats file, else the decision log), then open this process's, so
 * that an answer that left is recorded however this process ends.
 */
static int
serve_open_journal(struct tg_server *s)
{
	const char	*base = s->cfg->stats_path != NULL ? s->cfg->stats_path :
	    s->cfg->decision_log;
	char		 err[512];
	int		 n;

	if (base == NULL)
		return 0;
	if ((n = journal_recover(base, s->stats, s->declog, err, sizeof(err))) < 0) {
		log_err("%s", err);
		return -1;
	}
	if (n > 0)
		log_warn("recorded %d answer%s of killed processes from their journals",
		    n, n == 1 ? "" : "s");
	if ((s->journal = journal_open(base, (size_t)s->cfg->threads, err,
	    sizeof(err))) == NULL) {
		log_err("%s", err);
		return -1;
	}
	return 0;
}

static struct tg_worker *
serve_worker_new(struct tg_server *s, int id)
{
	struct tg_worker	*w;
	struct policy_limits	 lim = { s->cfg->limits.policy_memory_bytes,
	    s->cfg->limits.policy_instructions };
	char			 err[512];
	size_t			 i, j;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	w->id = id;
	w->cfg = s->cfg;
	w->keys = s->keys;
	w->stats = s->stats;
	w->declog = s->declog;
	w->pred = s->pred;
	w->jslot = journal_slot(s->journal, (size_t)id);
	if ((w->bedrock = bedrock_new(s->cfg, &s->auth)) == NULL ||
	    (w->policies = calloc(s->cfg->nrouters + 1, sizeof(*w->policies))) == NULL) {
		bedrock_free(w->bedrock);
		free(w);
		return NULL;
	}
	/* A router whose policy does not load still serves: every request
	 * goes to its fallback model, with the reason logged and returned.
	 * Routers with the same policy file share one Lua state per thread
	 * (the router, threshold and fallback reach it through ctx). */
	for (i = 0; i < s->cfg->nrouters; i++) {
		if ((j = serve_policy_twin(s->cfg, i)) < i) {
			w->policies[i] = w->policies[j];
			continue;
		}
		err[0] = '\0';
		w->policies[i] = policy_open(s->cfg->routers[i].policy, &lim, err, sizeof(err));
		if (id == 0 && (w->policies[i] == NULL || !policy_loaded(w->policies[i])))
			log_err("router %s: policy %s: %s; its fallback model serves "
			    "until the file is fixed", s->cfg->routers[i].id,
			    s->cfg->routers[i].policy, err);
	}
	return w;
}

static void
serve_worker_free(struct tg_worker *w)
{
	size_t	 i;

	if (w == NULL)
		return;
	for (i = 0; w->policies != NULL && i < w->cfg->nrouters; i++)
		if (serve_policy_twin(w->cfg, i) == i)
			policy_free(w->policies[i]);
	free(w->policies);
	bedrock_free(w->bedrock);
	free(w);
}

/* One request, FastCGI or CGI. */
static void
serve_one(struct tg_worker *w, FCGX_Request *fr)
{
	struct tg_req	 req;

	http_req_init(&req, fr, w, &w->cfg->limits);
	gw_dispatch(&req);
	http_req_free(&req);
}

static void *
serve_thread(void *arg)
{
	struct tg_worker	*w = arg;
	FCGX_Request		 fr;
	int			 rc;

	if (FCGX_InitRequest(&fr, srv.listen_fd, 0) != 0)
		return NULL;
	/* No accept mutex: Linux wakes one accept(2) caller per connection,
	 * and a mutex would be held across a kept-alive connection's wait. */
	while (!srv.stopping) {
		if ((rc = FCGX_Accept_r(&fr)) < 0)
			break;
		serve_one(w, &fr);
		FCGX_Finish_r(&fr);
	}
	FCGX_Free(&fr, 1);
	return NULL;
}

/* Signals are taken by one thread with sigwait(): SIGHUP reopens the logs
 * (logrotate), SIGTERM/SIGINT stop accepting and let requests finish. */
static void *
serve_signals(void *arg)
{
	sigset_t	*set = arg;
	int		 sig;

	for (;;) {
		if (sigwait(set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			log_reopen();
			if (srv.declog != NULL)
				declog_reopen(srv.declog);
			log_info("SIGHUP: logs reopened");
			continue;
		}
		log_info("signal %d: shutting down", sig);
		srv.stopping = 1;
		FCGX_ShutdownPending();
		shutdown(srv.listen_fd, SHUT_RDWR);
		return NULL;
	}
}

static int
serve_fastcgi(struct tg_server *s, const char *listen_addr)
{
	pthread_t	*th, sigth;
	struct tg_worker **ws;
	sigset_t	 set;
	int		 i, n = s->cfg->threads, started = 0;

	if (serve_open_journal(s) != 0)
		return 1;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	pthread_create(&sigth, NULL, serve_signals, &set);
	pthread_detach(sigth);
	th = calloc(n, sizeof(*th));
	ws = calloc(n, sizeof(*ws));
	for (i = 0; th != NULL && ws != NULL && i < n; i++) {
		if ((ws[i] = serve_worker_new(s, i)) == NULL ||
		    pthread_create(&th[i], NULL, serve_thread, ws[i]) != 0)
			break;
		started++;
	}
	log_info("tiergate %s serving FastCGI%s%s with %d threads, %zu routers, "
	    "%zu models", PACKAGE_VERSION, listen_addr ? " on " : "",
	    listen_addr ? listen_addr : "", started, s->cfg->nrouters, s->cfg->nmodels);
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	for (i = 0; ws != NULL && i < n; i++)
		serve_worker_free(ws[i]);
	free(th);
	free(ws);
	journal_close(s->journal);
	s->journal = NULL;
	return started == n ? 0 : 1;
}

static int
serve_cgi(struct tg_server *s)
{
	struct tg_worker	*w;

	if ((w = serve_worker_new(s, 0)) == NULL)
		return 1;
	serve_one(w, NULL);
	fflush(stdout);
	serve_worker_free(w);
	return 0;
}

struct serve_opts {
	const char		*config;
	const char		*listen_arg;	/* as given, for messages */
	struct listen_addr	 listen;
	const char		*user;		/* --user, or NULL */
	struct priv_user	 pw;
	int			 allow_root;
	int			 threads;
};

/* --user and --allow-root against who we are. */
static int
serve_parse_user(struct serve_opts *o)
{
	char	 err[512];

	if (o->user != NULL && o->allow_root)
		return tg_usage_error("serve", "--user and --allow-root exclude each other");
	if (o->user != NULL && geteuid() != 0)
		return tg_usage_error("serve", "--user %s: only root can change user", o->user);
	if (o->user != NULL && priv_lookup(o->user, &o->pw, err, sizeof(err)) != 0)
		return tg_usage_error("serve", "%s", err);
	if (geteuid() == 0 && o->user == NULL && !o->allow_root)
		return tg_usage_error("serve", "refusing to serve as root: pass --user "
		    "NAME to drop to NAME once the socket is bound (or --allow-root)");
	return 0;
}

/* Options, checked before anything is opened: every problem is a usage
 * error (exit 2).  Returns 0, or the exit status. */
static int
serve_parse(int argc, char **argv, struct serve_opts *o)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "threads", required_argument, NULL, 't' },
		{ "user", required_argument, NULL, 'u' },
		{ "allow-root", no_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 } };
	char	 err[512];
	int	 ch;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":c:l:t:", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': o->config = optarg; break;
		case 'l': o->listen_arg = optarg; break;
		case 't': o->threads = atoi(optarg); break;
		case 'u': o->user = optarg; break;
		case 'R': o->allow_root = 1; break;
		default: return tg_getopt_error("serve", ch, argv);
		}
	}
	if (optind < argc)
		return tg_usage_error("serve", "unexpected argument '%s'", argv[optind]);
	if (o->listen_arg != NULL && listen_parse(o->listen_arg, &o->listen, err, sizeof(err)) != 0)
		return tg_usage_error("serve", "%s", err);
	return serve_parse_user(o);
}

static void
serve_cgi_misconfigured(void)
{
	printf("Status: 500 Internal Server Error\r\nContent-Type: "
	    "application/json\r\nx-amzn-ErrorType: InternalServerException"
	    "\r\n\r\n{\"message\":\"tiergate is misconfigured; see the "
	    "server log\"}");
}

/* What needs root: bind the --listen socket (a Unix socket is given to the
 * --user), then drop to --user.  Messages go to stderr: the log is opened
 * after, as the user.  Returns 0 or -1. */
static int
serve_bind_and_drop(struct tg_server *s, const struct serve_opts *o)
{
	char	 err[512];

	if (o->listen_arg != NULL &&
	    (s->listen_fd = FCGX_OpenSocket(o->listen.bind, 1024)) < 0) {
		fprintf(stderr, "tiergate: cannot listen on %s: %s\n", o->listen.bind,
		    strerror(errno));
		return -1;
	}
	if (o->user == NULL)
		return 0;
	if (o->listen_arg != NULL && o->listen.is_unix &&
	    chown(o->listen.bind, o->pw.uid, o->pw.gid) != 0) {
		fprintf(stderr, "tiergate: chown %s: %s\n", o->listen.bind, strerror(errno));
		return -1;
	}
	if (priv_drop(&o->pw, err, sizeof(err)) != 0) {
		fprintf(stderr, "tiergate: %s\n", err);
		return -1;
	}
	return 0;
}

/* The log, then a word on how we serve: who, and where. */
static void
serve_open_log(struct tg_server *s, const struct serve_opts *o)
{
	if (log_open(s->cfg->log_path, serve_log_level(s->cfg->log_level)) != 0)
		fprintf(stderr, "tiergate: log %s: %s\n", s->cfg->log_path, strerror(errno));
	if (o->user != NULL)
		log_info("running as user %s (uid %ld, gid %ld)", o->pw.name,
		    (long)o->pw.uid, (long)o->pw.gid);
	else if (geteuid() == 0)
		log_warn("running as root (--allow-root): consider --user NAME");
	if (o->listen_arg != NULL && !o->listen.loopback)
		log_warn("listening on %s, which is not a loopback address: anyone "
		    "who can reach it can send FastCGI requests to tiergate",
		    o->listen.bind);
}

int
gw_cmd_serve(int argc, char **argv)
{
	struct serve_opts o = { .config = serve_default_config() };
	char		 err[1024];
	int		 rc;

	if ((rc = serve_parse(argc, argv, &o)) != 0)
		return rc;
	rc = 1;
	signal(SIGPIPE, SIG_IGN);
	if ((srv.cfg = config_load(o.config, err, sizeof(err))) == NULL) {
		fprintf(stderr, "tiergate: %s\n", err);
		if (FCGX_IsCGI() && o.listen_arg == NULL)
			serve_cgi_misconfigured();
		return 1;
	}
	if (o.threads > 0)
		srv.cfg->threads = o.threads;
	if (FCGX_Init() != 0) {
		fprintf(stderr, "tiergate: FCGX_Init failed\n");
		goto done;
	}
	if (serve_bind_and_drop(&srv, &o) != 0)
		goto done;
	serve_open_log(&srv, &o);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (serve_credentials(&srv) != 0 || serve_open_shared(&srv) != 0)
		goto done;
	rc = FCGX_IsCGI() && o.listen_arg == NULL ? serve_cgi(&srv) :
	    serve_fastcgi(&srv, o.listen_arg != NULL ? o.listen.bind : NULL);
done:
	pred_loader_free(srv.pred);
	declog_close(srv.declog);
	stats_close(srv.stats);
	auth_keyring_free(srv.keys);
	creds_clear(&srv.creds);
	config_free(srv.cfg);
	curl_global_cleanup();
	return rc;
}

/* check-config's predictor phase: errors make it fail (returns 1),
 * unscorable candidates are warnings. */
static int
check_config_predictor(const struct tg_config *cfg, const char *file)
{
	const struct tg_model	*m;
	const char		*router;
	struct pred_loader	*pl;
	size_t			 pos = 0;
	char			 err[1024];
	int			 bad = 0;

	if ((pl = pred_loader_new(cfg->predictor_model, err, sizeof(err))) == NULL ||
	    serve_require_predictions(cfg, pl, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: predictor: %s\n", file, err);
		bad = 1;
	}
	pred_loader_free(pl);
	while ((m = serve_unpredicted(cfg, &pos, &router)) != NULL)
		fprintf(stderr, "%s: warning: " SERVE_UNPREDICTED_FMT "\n", file,
		    router, m->id);
	return bad;
}

/* `tiergate check-config FILE`: the config, the keys file and every
 * router's policy, as the server would load them; exit 0 when all load. */
int
gw_cmd_check_config(int argc, char **argv)
{
	struct tg_config	*cfg;
	struct tg_keys		*keys = NULL;
	struct policy		*p;
	struct policy_limits	 lim;
	char			 err[1024];
	size_t			 i;
	int			 bad = 0;

	if (argc == 3 && strcmp(argv[1], "--") == 0) {	/* FILE may start with '-' */
		argc--;
		argv++;
	} else if (argc == 2 && argv[1][0] == '-')
		return tg_usage_error("check-config", "unrecognized option '%s'", argv[1]);
	if (argc != 2)
		return tg_usage_error("check-config", argc < 2 ? "missing FILE" :
		    "one FILE only");
	if ((cfg = config_load(argv[1], err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (cfg->api_keys_file != NULL &&
	    (keys = auth_keys_load(cfg->api_keys_file, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		bad = 1;
	}
	bad |= check_config_predictor(cfg, argv[1]);
	lim.memory_bytes = cfg->limits.policy_memory_bytes;
	lim.instructions = cfg->limits.policy_instructions;
	for (i = 0; i < cfg->nrouters; i++) {
		if ((p = policy_new(cfg->routers[i].policy, &lim, err, sizeof(err))) == NULL) {
			fprintf(stderr, "%s: router %s: %s\n", argv[1], cfg->routers[i].id, err);
			bad = 1;
		}
		policy_free(p);
	}
	if (!bad)
		printf("%s: ok: %zu models, %zu routers, %zu client keys\n", argv[1],
		    cfg->nmodels, cfg->nrouters, auth_keys_count(keys));
	auth_keys_free(keys);
	config_free(cfg);
	return bad;
}
