/*
 * policy.h - the Lua policy host: runs the operator's routing policy in a
 * sandboxed Lua 5.4 state with instruction and memory limits.
 *
 * The policy contract (what a policy receives and returns) is documented in
 * lua-policies/README.md and tiergate-policy(7).  One struct policy belongs
 * to one worker thread and one router; it is never shared between threads.
 */
#ifndef TG_POLICY_H
#define TG_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "decision.h"

/* Per-state limits, from tg_config.limits.policy_{memory_bytes,instructions}.
 * Zero means the built-in default (POLICY_DEFAULT_*). */
struct policy_limits {
	size_t		 memory_bytes;	/* Lua heap cap, whole state */
	uint64_t	 instructions;	/* VM instructions per call */
};

#define POLICY_DEFAULT_MEMORY		(8u * 1024 * 1024)
#define POLICY_DEFAULT_INSTRUCTIONS	1000000u
#define POLICY_MAX_SOURCE		(1024u * 1024)	/* policy file size cap */

enum policy_err {
	POLICY_OK = 0,		/* decided: a candidate model or a refusal */
	POLICY_E_LOAD,		/* file unreadable, too large, or a syntax error */
	POLICY_E_CONTRACT,	/* chunk did not return a table with decide() */
	POLICY_E_RUNTIME,	/* the policy raised an error */
	POLICY_E_INSTRUCTIONS,	/* the instruction limit fired */
	POLICY_E_MEMORY,	/* the memory limit refused an allocation */
	POLICY_E_RESULT,	/* returned garbage or a model that is not a candidate */
	POLICY_E_NOMEM,		/* the host itself is out of memory */
	POLICY_E__MAX
};

const char	*policy_strerror(enum policy_err);

/* The facts of one request.  Everything is borrowed for the call. */
struct policy_facts {
	const char	*router;
	const char	*request_class;		/* "" none */
	const char	*tenant;		/* "" anonymous */
	const char	*api;			/* "converse", "converse-stream", ... */
	size_t		 prompt_chars;
	size_t		 est_input_tokens;
	int		 turns;
	int		 has_tools, has_images, has_documents;
	const char	*conversation_id;	/* "" none */
	const char	*previous_model;	/* sticky: model that served before, "" none */
	const struct tg_candidate *cand;	/* any order; the policy sees them by price */
	size_t		 ncand;
	double		 threshold;		/* response_quality_difference 0..100 */
	const char	*fallback;
	int		 predictor_ok;		/* 0: the predictor could not score */
	int		 has_confidence;	/* the predictor gave a confidence */
	double		 confidence;		/* 0..1, valid when has_confidence */
	double		 min_confidence;	/* router's, 0..1; 0 = off */
	double		 tenant_spend_today;	/* $, 0 without stats */
	double		 router_spend_today;
	const char *const *metadata_keys;	/* Converse requestMetadata */
	const char *const *metadata_values;
	size_t		 nmetadata;
};

struct policy_decision {
	char	 model[256];		/* a candidate (or the fallback); "" on refusal */
	char	 reason[256];		/* printable ASCII, safe for a header */
	int	 refuse;		/* 1: answer with the error below, call nothing */
	int	 refuse_status;		/* 400..599 */
	char	 refuse_type[64];	/* Bedrock error type, e.g. ThrottlingException */
	char	 refuse_message[256];
};

struct policy;

/*
 * Load the policy at `path` into a fresh sandboxed state: compile, run the
 * chunk, check it returned { decide = function }, and dry-run decide() on a
 * synthetic context.  Returns NULL with a message ("default.lua:12: ...")
 * in err on failure.  Caller frees with policy_free().
 */
struct policy	*policy_new(const char *path, const struct policy_limits *,
		    char *err, size_t errlen);
/*
 * Like policy_new, but a file that does not load still yields a policy
 * (NULL only when out of memory): it answers every policy_decide with
 * POLICY_E_LOAD ("policy not loaded: ...") and the fallback, and
 * policy_maybe_reload loads the file once it changes.  err gets the load
 * error, "" when the file loaded.  This is what a server wants at start-up.
 */
struct policy	*policy_open(const char *path, const struct policy_limits *,
		    char *err, size_t errlen);
int		 policy_loaded(const struct policy *);	/* 1 when a state serves */
void		 policy_free(struct policy *);

/*
 * Decide one request.  On POLICY_OK, `out` holds either a model that is one
 * of facts->cand (or facts->fallback), or a refusal.  On any error,
 * out->reason holds a human reason ("policy error: default.lua:12: attempt
 * to index a nil value"), out->model is facts->fallback, and the caller
 * serves the fallback.  The state stays usable after every error.
 */
enum policy_err	 policy_decide(struct policy *, const struct policy_facts *,
		    struct policy_decision *out);

/*
 * Hot reload.  At most once per reload interval (1 s by default) stat the
 * file; if its inode, size or mtime changed, load it into a NEW state (same
 * checks as policy_new) and swap only if it is good; a rejected file is
 * logged with log_err and the old policy keeps serving.  Returns 1 when
 * reloaded, 0 when unchanged, -1 when a changed file was rejected (once per
 * change).
 */
int		 policy_maybe_reload(struct policy *);
void		 policy_set_reload_interval(struct policy *, unsigned ms);

/* First 12 hex digits of the SHA-256 of the loaded source, "none" while
 * nothing is loaded.  Borrowed. */
const char	*policy_version(const struct policy *);
const char	*policy_path(const struct policy *);
/* The traceback of the last runtime error (for log_debug); "" none. */
const char	*policy_last_traceback(const struct policy *);

/* Commands (gateway/policy_cmd.c).  argv[0] is the subcommand name. */
int		 policy_cmd(int argc, char **argv);	/* check | test */
int		 policy_cmd_check(int argc, char **argv);
int		 policy_cmd_test(int argc, char **argv);
int		 policy_cmd_replay(int argc, char **argv);

#endif
