/*
 * policy.c - runs the operator's Lua routing policy, untrusted code, in a
 * sandbox: an allow-list of globals, a private _ENV that refuses new
 * globals, a per-call instruction limit that pcall cannot swallow once it
 * fires, a heap cap through lua_Alloc, and read-only request facts.
 *
 * Every entry into Lua (setup, loading, deciding) goes through lua_pcall
 * with a traceback message handler, so no Lua error ever reaches the panic
 * function.  A state belongs to one thread.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>
#include <openssl/evp.h>

#include "log.h"
#include "policy.h"
#include "policy_lib.h"

#define PS_MAX_CAND		64
#define PS_MAX_MSG		512	/* error message kept for the traceback */
#define PS_MAX_MOVE		(1 << 20)	/* table.move element cap */

/* One Lua state and its accounting.  Replaced as a whole on reload. */
struct pstate {
	lua_State	*L;
	size_t		 used;		/* heap bytes in use */
	size_t		 limit;		/* heap cap */
	int		 mem_hit;	/* the policy saw an allocation refused */
	int		 mem_retry;	/* refused once; Lua collects and retries */
	int		 mem_pressed;	/* a refusal this call: collect after it */
	int		 in_call;	/* refusals are sticky while set */
	int		 hook_count;	/* instruction budget per call */
	int		 hook_hit;	/* the instruction limit fired */
	int		 decide_ref;	/* registry ref of decide() */
	int		 env_ref;	/* registry ref of the policy's _ENV */
	int		 host_ref;	/* registry ref of the host table (ctx) */
	size_t		 ncand_built;	/* candidate tables in the host table */
	struct shadow	*sh;		/* what ctx holds (ctx_fill), in the host table */
	const struct policy_facts *cur;	/* the facts of the call in progress */
	size_t		 order[PS_MAX_CAND];	/* ctx.candidates[i + 1] is cur->cand[order[i]] */
	char		 version[13];
	/* set by ps_result() inside a protected call */
	enum policy_err	 res_err;
	int		 res_shape;	/* the error is a bad shape, not a non-candidate */
	char		 res_msg[200];
};

struct policy {
	char			*path;
	struct policy_limits	 lim;
	struct pstate		*ps;
	dev_t			 dev;
	ino_t			 ino;
	off_t			 size;
	struct timespec		 mtim;
	uint64_t		 last_check_ms;
	unsigned		 interval_ms;
	char			 version[13];	/* "none" while nothing is loaded */
	char			 load_err[512];	/* why nothing is loaded */
	char			 traceback[1024];
};

static const char *const policy_errs[POLICY_E__MAX] = {
	[POLICY_OK] = "ok",
	[POLICY_E_LOAD] = "policy could not be loaded",
	[POLICY_E_CONTRACT] = "policy does not follow the contract",
	[POLICY_E_RUNTIME] = "policy error",
	[POLICY_E_INSTRUCTIONS] = "policy instruction limit exceeded",
	[POLICY_E_MEMORY] = "policy memory limit exceeded",
	[POLICY_E_RESULT] = "policy returned an invalid result",
	[POLICY_E_NOMEM] = "out of memory",
};

const char *
policy_strerror(enum policy_err e)
{
	if ((unsigned)e >= POLICY_E__MAX)
		return "unknown policy error";
	return policy_errs[e];
}

/* ---- accounting: heap cap and instruction limit --------------------- */

static struct pstate *
ps_of(lua_State *L)
{
	return *(struct pstate **)lua_getextraspace(L);
}

/* lua_Alloc with a cap.  When an allocation is refused Lua runs an
 * emergency collection and asks once more; only if that retry fails too
 * does the policy see "not enough memory" — and from then on every growth
 * in the same call is refused, so a policy that catches the error with
 * pcall cannot carry on allocating.  Shrinking never fails, as Lua
 * requires. */
static void *
ps_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct pstate	*ps = ud;
	size_t		 old = ptr != NULL ? osize : 0;
	void		*np;

	if (nsize == 0) {
		free(ptr);
		ps->used -= old;
		return NULL;
	}
	if (nsize > old && ((ps->mem_hit && ps->in_call) ||
	    nsize - old > ps->limit - ps->used)) {
		if (ps->mem_retry || !ps->in_call)
			ps->mem_hit = 1;
		ps->mem_retry = !ps->mem_retry;
		ps->mem_pressed = 1;
		return NULL;
	}
	if ((np = realloc(ptr, nsize)) == NULL)
		return nsize <= old ? ptr : NULL;
	if (nsize > old)
		ps->mem_retry = 0;
	ps->used = ps->used - old + nsize;
	return np;
}

/* Count hook.  Once the budget is spent it re-arms itself to fire on every
 * instruction, so an error caught by the policy's own pcall is raised again
 * at the very next instruction. */
static void
ps_hook(lua_State *L, lua_Debug *ar)
{
	struct pstate	*ps = ps_of(L);

	(void)ar;
	ps->hook_hit = 1;
	lua_sethook(L, ps_hook, LUA_MASKCOUNT, 1);
	luaL_error(L, "instruction limit exceeded");
}

static void
ps_arm(struct pstate *ps)
{
	ps->hook_hit = 0;
	ps->mem_hit = 0;
	ps->mem_retry = 0;
	ps->mem_pressed = 0;
	ps->in_call = 1;
	lua_sethook(ps->L, ps_hook, LUA_MASKCOUNT, ps->hook_count);
}

static void
ps_disarm(struct pstate *ps)
{
	lua_sethook(ps->L, NULL, 0, 0);
	ps->in_call = 0;
}

/* ---- read-only tables ----------------------------------------------- */

static int
ro_newindex(lua_State *L)
{
	return luaL_error(L, "attempt to modify a read-only table (key '%s')",
	    lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "?");
}

/* The data table behind a read-only proxy at `idx`.  C ignores
 * __metatable, so only C can reach it. */
static void
ro_data(lua_State *L, int idx)
{
	if (!lua_getmetatable(L, idx) || lua_getfield(L, -1, "__index") != LUA_TTABLE)
		luaL_error(L, "not a read-only table");
	lua_remove(L, -2);
}

static int
ro_len(lua_State *L)
{
	ro_data(L, 1);
	lua_pushinteger(L, (lua_Integer)lua_rawlen(L, -1));
	return 1;
}

/* next(t [, k]) that sees through read-only proxies, so that the idiom
 * `next(ctx.metadata) == nil` works.  Only metatables built by ro_wrap()
 * carry ro_newindex, and raw access runs no policy code. */
static int
sb_next(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	lua_settop(L, 2);
	if (lua_getmetatable(L, 1)) {
		lua_pushliteral(L, "__newindex");
		if (lua_rawget(L, -2) == LUA_TFUNCTION &&
		    lua_tocfunction(L, -1) == ro_newindex) {
			lua_pushliteral(L, "__index");
			lua_rawget(L, -3);
			lua_replace(L, 1);
		}
		lua_settop(L, 2);
	}
	if (lua_next(L, 1))
		return 2;
	lua_pushnil(L);
	return 1;
}

/* pairs(proxy): next() that sees through the proxy, no closure. */
static int
ro_pairs(lua_State *L)
{
	lua_pushcfunction(L, sb_next);
	lua_pushvalue(L, 1);
	lua_pushnil(L);
	return 3;
}

/* Replace the table on top of the stack with a read-only proxy of it. */
static void
ro_wrap(lua_State *L)
{
	lua_createtable(L, 0, 0);		/* data proxy */
	lua_createtable(L, 0, 5);		/* data proxy mt */
	lua_pushvalue(L, -3);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, ro_newindex);
	lua_setfield(L, -2, "__newindex");
	lua_pushcfunction(L, ro_len);
	lua_setfield(L, -2, "__len");
	lua_pushcfunction(L, ro_pairs);
	lua_setfield(L, -2, "__pairs");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_setmetatable(L, -2);
	lua_remove(L, -2);
}

/* ---- the sandbox ------------------------------------------------------ */

/* Base functions a policy may use.  Left out on purpose: dofile, loadfile,
 * collectgarbage, rawset (would bypass read-only proxies), warn, require. */
static const char *const sb_base[] = {
	"assert", "error", "getmetatable", "ipairs", "pairs", "pcall",
	"rawequal", "rawget", "rawlen", "select", "tonumber", "tostring",
	"type", "xpcall", "_VERSION", NULL
};

static int
sb_newglobal(lua_State *L)
{
	return luaL_error(L, "assignment to undeclared global '%s' (a policy "
	    "must not create globals: use local)",
	    lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "?");
}

/* setmetatable without __gc: a finalizer runs with hooks disabled, outside
 * any limit. */
static int
sb_setmetatable(lua_State *L)
{
	if (lua_type(L, 2) == LUA_TTABLE) {
		lua_pushliteral(L, "__gc");
		if (lua_rawget(L, 2) != LUA_TNIL)
			return luaL_error(L, "__gc metamethods are not allowed in policies");
		lua_pop(L, 1);
	}
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, 1);
	return 1;
}

/* load(chunk [, name [, mode [, env]]]): text only, and the default
 * environment is the policy's own _ENV, never the real globals. */
static int
sb_load(lua_State *L)
{
	int	 has_env = !lua_isnone(L, 4);

	if (!lua_isnoneornil(L, 3) && strcmp(luaL_checkstring(L, 3), "t") != 0) {
		luaL_pushfail(L);
		lua_pushliteral(L, "binary chunks are not allowed in policies");
		return 2;
	}
	lua_settop(L, 4);
	lua_pushliteral(L, "t");
	lua_replace(L, 3);
	if (!has_env) {
		lua_pushvalue(L, lua_upvalueindex(2));
		lua_replace(L, 4);
	}
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, 4, LUA_MULTRET);
	return lua_gettop(L);
}

/* print → the debug log, one line, capped. */
static int
sb_print(lua_State *L)
{
	luaL_Buffer	 b;
	int		 i, n = lua_gettop(L);
	const char	*s;
	size_t		 len;

	luaL_buffinit(L, &b);
	for (i = 1; i <= n; i++) {
		if (i > 1)
			luaL_addchar(&b, '\t');
		s = luaL_tolstring(L, i, &len);
		luaL_addlstring(&b, s, len > 512 ? 512 : len);
		lua_pop(L, 1);
	}
	luaL_pushresult(&b);
	log_debug("policy print: %.512s", lua_tostring(L, -1));
	return 0;
}

/* string.rep refuses results beyond the heap cap before looping: an empty
 * string repeated 1e15 times would otherwise spin in C, unseen by the
 * instruction hook. */
static int
sb_rep(lua_State *L)
{
	size_t		 l, lsep = 0;
	lua_Integer	 n;

	luaL_checklstring(L, 1, &l);
	n = luaL_checkinteger(L, 2);
	luaL_optlstring(L, 3, "", &lsep);
	if (n <= 0 || l + lsep == 0) {
		lua_pushliteral(L, "");
		return 1;
	}
	if ((lua_Unsigned)n > ps_of(L)->limit / (l + lsep))
		return luaL_error(L, "string.rep: result larger than the policy memory limit");
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, 1);
	return 1;
}

/* table.move with a cap on the element count: the copy loop is in C. */
static int
sb_move(lua_State *L)
{
	lua_Integer	 f = luaL_checkinteger(L, 2), e = luaL_checkinteger(L, 3);

	if (e >= f && (lua_Unsigned)e - (lua_Unsigned)f >= PS_MAX_MOVE)
		return luaL_error(L, "table.move: too many elements");
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
	return lua_gettop(L);
}

/* table.insert and table.remove shift #t elements in C; __len can claim
 * any length without allocating, so cap it. */
static int
sb_shift(lua_State *L)
{
	if (luaL_len(L, 1) > PS_MAX_MOVE)
		return luaL_error(L, "table too long for insert/remove in a policy");
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
	return lua_gettop(L);
}

/* Replace lib[name] (lib on top) by a closure over the original. */
static void
sb_wrapfn(lua_State *L, const char *name, lua_CFunction fn)
{
	lua_getfield(L, -1, name);
	lua_pushcclosure(L, fn, 1);
	lua_setfield(L, -2, name);
}

static void
sb_openlibs(lua_State *L)
{
	luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
	lua_pop(L, 1);
	luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
	lua_pushnil(L);
	lua_setfield(L, -2, "dump");
	sb_wrapfn(L, "rep", sb_rep);
	lua_pop(L, 1);
	luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
	sb_wrapfn(L, "move", sb_move);
	sb_wrapfn(L, "insert", sb_shift);
	sb_wrapfn(L, "remove", sb_shift);
	lua_pop(L, 1);
	luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
	lua_pop(L, 1);
	luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 1);
	lua_pop(L, 1);
	/* getmetatable("") must not hand out the shared string metatable */
	lua_pushliteral(L, "");
	lua_getmetatable(L, -1);
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_pop(L, 2);
}

/* Build the allow-listed globals (on top of the stack), read-only. */
static void
sb_safe(lua_State *L)
{
	static const char *const libs[] = { LUA_STRLIBNAME, LUA_TABLIBNAME,
	    LUA_MATHLIBNAME, LUA_UTF8LIBNAME, NULL };
	int	 i;

	lua_newtable(L);
	lua_pushglobaltable(L);
	for (i = 0; sb_base[i] != NULL; i++) {
		lua_getfield(L, -1, sb_base[i]);
		lua_setfield(L, -3, sb_base[i]);
	}
	for (i = 0; libs[i] != NULL; i++) {
		lua_getfield(L, -1, libs[i]);
		ro_wrap(L);
		lua_setfield(L, -3, libs[i]);
	}
	lua_getfield(L, -1, "setmetatable");
	lua_pushcclosure(L, sb_setmetatable, 1);
	lua_setfield(L, -3, "setmetatable");
	lua_pushcfunction(L, sb_print);
	lua_setfield(L, -3, "print");
	lua_pushcfunction(L, sb_next);
	lua_setfield(L, -3, "next");
	lua_pop(L, 1);
}

/* The policy's private _ENV: empty, reads fall through to the read-only
 * allow-list, writes of new names raise. */
static void
sb_env(lua_State *L)
{
	sb_safe(L);
	lua_newtable(L);			/* safe env */
	lua_createtable(L, 0, 3);		/* safe env mt */
	lua_pushvalue(L, -3);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, sb_newglobal);
	lua_setfield(L, -2, "__newindex");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_setmetatable(L, -2);
	lua_remove(L, -2);
	/* load needs the env, which needs the allow-list: add it last */
	lua_getmetatable(L, -1);
	lua_getfield(L, -1, "__index");		/* env mt safe */
	lua_pushglobaltable(L);
	lua_getfield(L, -1, "load");
	lua_remove(L, -2);
	lua_pushvalue(L, -4);
	lua_pushcclosure(L, sb_load, 2);
	lua_setfield(L, -2, "load");
	lua_pop(L, 2);
}

/* Add `tiergate`, the helper library (policy_lib.c), to the allow-list
 * behind the env on top of the stack: compiled with the policy's _ENV,
 * handed out read-only like the standard libraries. */
static void
sb_helpers(lua_State *L)
{
	int	 env = lua_gettop(L);

	lua_getmetatable(L, env);
	lua_getfield(L, -1, "__index");		/* env mt safe */
	policy_lib_push(L, env);
	ro_wrap(L);
	lua_setfield(L, -2, "tiergate");
	lua_pop(L, 2);
}

/* ---- loading ---------------------------------------------------------- */

struct ps_src {
	const char	*buf;
	size_t		 len;
	const char	*name;		/* "@default.lua" */
};

static void	ctx_build(lua_State *, struct pstate *);

/* Protected: build the host table (ctx), open the libraries, build the
 * sandbox, run the chunk and check it returned { decide = function }. */
static int
ps_setup(lua_State *L)
{
	struct pstate	*ps = ps_of(L);
	struct ps_src	*src = lua_touserdata(L, 1);

	ctx_build(L, ps);
	sb_openlibs(L);
	sb_env(L);
	sb_helpers(L);
	lua_pushvalue(L, -1);
	ps->env_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	if (luaL_loadbufferx(L, src->buf, src->len, src->name, "t") != LUA_OK)
		return lua_error(L);
	lua_pushvalue(L, -2);
	lua_setupvalue(L, -2, 1);
	ps_arm(ps);
	lua_call(L, 0, 1);
	ps_disarm(ps);
	if (!lua_istable(L, -1))
		return luaL_error(L, "%s: the policy must return a table "
		    "{ decide = function(ctx) ... end }, got %s", src->name + 1,
		    luaL_typename(L, -1));
	if (lua_getfield(L, -1, "decide") != LUA_TFUNCTION)
		return luaL_error(L, "%s: the returned table has no function "
		    "'decide' (got %s)", src->name + 1, luaL_typename(L, -1));
	ps->decide_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	return 0;
}

/* Message handler: a string message plus a traceback.  Non-string error
 * objects are named, not converted (a __tostring would run policy code),
 * and huge messages are cut before anything copies them. */
static int
ps_msgh(lua_State *L)
{
	size_t		 len;
	const char	*msg;

	if (lua_type(L, 1) != LUA_TSTRING)
		msg = lua_pushfstring(L, "(error object is a %s value)",
		    luaL_typename(L, 1));
	else {
		msg = lua_tolstring(L, 1, &len);
		if (len > PS_MAX_MSG)
			msg = lua_pushfstring(L, "%s... (%d bytes)",
			    lua_pushlstring(L, msg, PS_MAX_MSG), (int)len);
	}
	luaL_traceback(L, L, msg, 1);
	return 1;
}

static void
ps_free(struct pstate *ps)
{
	if (ps == NULL)
		return;
	if (ps->L != NULL)
		lua_close(ps->L);
	free(ps);
}

static void
sha256_prefix(const char *buf, size_t len, char out[13])
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	int		 i;

	if (!EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL) || mdlen < 6) {
		strcpy(out, "unknown");
		return;
	}
	for (i = 0; i < 6; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static int	ps_dryrun(struct pstate *, char *, size_t);
static void	sanitize(char *, size_t, const char *, size_t);

/* Copy the first line of the message on top of L into err. */
static void
ps_errline(lua_State *L, char *err, size_t errlen)
{
	const char	*msg = lua_tostring(L, -1);
	size_t		 n;

	if (msg == NULL)
		msg = "unknown error";
	n = strcspn(msg, "\n");
	sanitize(err, errlen, msg, n);
}

/* A new state running `src`, or NULL with err set. */
static struct pstate *
ps_new(const struct ps_src *src, const struct policy_limits *lim,
    char *err, size_t errlen)
{
	struct pstate	*ps = NULL;
	int		 rc;

	if ((ps = calloc(1, sizeof(*ps))) == NULL)
		goto nomem;
	ps->limit = lim->memory_bytes ? lim->memory_bytes : POLICY_DEFAULT_MEMORY;
	ps->hook_count = lim->instructions == 0 ? (int)POLICY_DEFAULT_INSTRUCTIONS :
	    lim->instructions > INT_MAX ? INT_MAX : (int)lim->instructions;
	ps->decide_ref = ps->env_ref = ps->host_ref = LUA_NOREF;
	if ((ps->L = lua_newstate(ps_alloc, ps)) == NULL)
		goto nomem;
	*(struct pstate **)lua_getextraspace(ps->L) = ps;
	/* each call leaves ~20 short-lived tables: the young generation */
	lua_gc(ps->L, LUA_GCGEN, 0, 0);
	lua_pushcfunction(ps->L, ps_msgh);
	lua_pushcfunction(ps->L, ps_setup);
	lua_pushlightuserdata(ps->L, (void *)src);
	rc = lua_pcall(ps->L, 1, 0, 1);
	ps_disarm(ps);
	if (rc != LUA_OK) {
		if (ps->hook_hit)
			snprintf(err, errlen, "%s: instruction limit exceeded "
			    "while loading", src->name + 1);
		else if (ps->mem_hit)
			snprintf(err, errlen, "%s: memory limit exceeded "
			    "while loading", src->name + 1);
		else
			ps_errline(ps->L, err, errlen);
		goto fail;
	}
	lua_settop(ps->L, 0);
	sha256_prefix(src->buf, src->len, ps->version);
	if (ps_dryrun(ps, err, errlen) != 0)
		goto fail;
	return ps;
nomem:
	snprintf(err, errlen, "out of memory");
fail:
	ps_free(ps);
	return NULL;
}

/* Read at most POLICY_MAX_SOURCE bytes of `path`; *st gets its identity.
 * Caller frees the buffer. */
static char *
read_source(const char *path, size_t *len, struct stat *st, char *err,
    size_t errlen)
{
	char	*buf = NULL;
	ssize_t	 n;
	size_t	 off = 0;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 || fstat(fd, st) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st->st_mode) || st->st_size > (off_t)POLICY_MAX_SOURCE) {
		snprintf(err, errlen, "%s: not a regular file of at most %u bytes",
		    path, POLICY_MAX_SOURCE);
		goto fail;
	}
	if ((buf = malloc((size_t)st->st_size + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	while (off < (size_t)st->st_size &&
	    (n = read(fd, buf + off, (size_t)st->st_size - off)) > 0)
		off += (size_t)n;
	if (off != (size_t)st->st_size) {
		snprintf(err, errlen, "%s: short read", path);
		goto fail;
	}
	close(fd);
	*len = off;
	return buf;
fail:
	if (fd != -1)
		close(fd);
	free(buf);
	return NULL;
}

/* Load `path` into a new state.  *st gets the file identity. */
static struct pstate *
ps_load(const char *path, const struct policy_limits *lim, struct stat *st,
    char *err, size_t errlen)
{
	struct ps_src	 src;
	struct pstate	*ps;
	char		 name[256];
	const char	*base = strrchr(path, '/');
	char		*buf;

	if ((buf = read_source(path, &src.len, st, err, errlen)) == NULL)
		return NULL;
	snprintf(name, sizeof(name), "@%s", base != NULL ? base + 1 : path);
	src.buf = buf;
	src.name = name;
	ps = ps_new(&src, lim, err, errlen);
	free(buf);
	return ps;
}

static void
policy_setstat(struct policy *p, const struct stat *st)
{
	p->dev = st->st_dev;
	p->ino = st->st_ino;
	p->size = st->st_size;
	p->mtim = st->st_mtim;
}

/* The policy object without a state yet; NULL only when out of memory. */
static struct policy *
policy_alloc(const char *path, const struct policy_limits *lim)
{
	static const struct policy_limits deflim = { 0, 0 };
	struct policy	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	if ((p->path = strdup(path)) == NULL) {
		free(p);
		return NULL;
	}
	p->lim = lim != NULL ? *lim : deflim;
	p->interval_ms = 1000;
	snprintf(p->version, sizeof(p->version), "none");
	return p;
}

/* Load p->path into p; on failure p keeps no state and p->load_err says
 * why.  The file identity is recorded either way, so that the next change
 * is what triggers a retry. */
static int
policy_load(struct policy *p, char *err, size_t errlen)
{
	struct stat	 st;

	memset(&st, 0, sizeof(st));
	p->ps = ps_load(p->path, &p->lim, &st, err, errlen);
	policy_setstat(p, &st);
	if (p->ps == NULL) {
		snprintf(p->load_err, sizeof(p->load_err), "%s", err);
		return -1;
	}
	snprintf(p->version, sizeof(p->version), "%s", p->ps->version);
	return 0;
}

struct policy *
policy_new(const char *path, const struct policy_limits *lim, char *err,
    size_t errlen)
{
	struct policy	*p;

	if ((p = policy_alloc(path, lim)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (policy_load(p, err, errlen) == -1) {
		policy_free(p);
		return NULL;
	}
	return p;
}

struct policy *
policy_open(const char *path, const struct policy_limits *lim, char *err,
    size_t errlen)
{
	struct policy	*p;

	err[0] = '\0';
	if ((p = policy_alloc(path, lim)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	policy_load(p, err, errlen);
	return p;
}

void
policy_free(struct policy *p)
{
	if (p == NULL)
		return;
	ps_free(p->ps);
	free(p->path);
	free(p);
}

const char *
policy_version(const struct policy *p)
{
	return p->version;
}

int
policy_loaded(const struct policy *p)
{
	return p->ps != NULL;
}

const char *
policy_path(const struct policy *p)
{
	return p->path;
}

const char *
policy_last_traceback(const struct policy *p)
{
	return p->traceback;
}

void
policy_set_reload_interval(struct policy *p, unsigned ms)
{
	p->interval_ms = ms;
}

static uint64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
stat_changed(const struct policy *p, const struct stat *st)
{
	return st->st_dev != p->dev || st->st_ino != p->ino ||
	    st->st_size != p->size || st->st_mtim.tv_sec != p->mtim.tv_sec ||
	    st->st_mtim.tv_nsec != p->mtim.tv_nsec;
}

int
policy_maybe_reload(struct policy *p)
{
	struct stat	 st;
	struct pstate	*ps;
	char		 err[512];
	uint64_t	 now = now_ms();
	int		 errnum;

	if (p->last_check_ms != 0 && now - p->last_check_ms < p->interval_ms)
		return 0;
	p->last_check_ms = now;
	if (stat(p->path, &st) == -1) {
		errnum = errno;
		memset(&st, 0, sizeof(st));
		if (!stat_changed(p, &st))
			return 0;
		policy_setstat(p, &st);
		log_err("policy %s: %s; keeping version %s", p->path,
		    strerror(errnum), p->version);
		return -1;
	}
	if (!stat_changed(p, &st))
		return 0;
	if ((ps = ps_load(p->path, &p->lim, &st, err, sizeof(err))) == NULL) {
		policy_setstat(p, &st);
		log_err("policy %s: reload rejected: %s; keeping version %s",
		    p->path, err, p->version);
		if (p->ps == NULL)
			snprintf(p->load_err, sizeof(p->load_err), "%s", err);
		return -1;
	}
	policy_setstat(p, &st);
	log_info("policy %s: reloaded, version %s (was %s)", p->path,
	    ps->version, p->version);
	ps_free(p->ps);
	p->ps = ps;
	snprintf(p->version, sizeof(p->version), "%s", ps->version);
	p->load_err[0] = '\0';
	return 1;
}

/* ---- the context ------------------------------------------------------ */

/*
 * ctx is built once per state and overwritten by every call, so that a
 * request costs a few dozen raw stores instead of ~20 fresh tables (and
 * the garbage they leave): the tables, their read-only proxies and the
 * field names live in the host table, a registry array with the slots
 * below.  Every field is set or cleared on every call (ctx_fill), so a
 * policy that keeps ctx from an earlier call reads the current request
 * there, never a field of an older one.
 */
enum {
	K_ROUTER = 1, K_FALLBACK, K_CLASS, K_TENANT, K_API, K_TURNS,
	K_HAS_TOOLS, K_HAS_IMAGES, K_HAS_DOCUMENTS, K_CONVERSATION,
	K_PREVIOUS_MODEL, K_THRESHOLD, K_PREDICTOR_OK, K_CONFIDENCE,
	K_MIN_CONFIDENCE, K_PROMPT, K_SPEND,
	K_METADATA, K_CANDIDATES, K_CHARS, K_TOKENS, K_TENANT_TODAY,
	K_ROUTER_TODAY, K_MODEL, K_QUALITY, K_PRICED, K_PRICE_IN,
	K_PRICE_OUT, K_EST_COST, K_REASON, K_REFUSE, K_INDEX,
	H_CTX,		/* ctx's data table */
	H_CTX_PROXY,	/* ctx as decide() receives it */
	H_PROMPT, H_SPEND,	/* data tables of ctx.prompt, ctx.spend */
	H_META_MT,	/* metatable of ctx.metadata: __index is swapped */
	H_META_EMPTY,	/* the data of an empty ctx.metadata */
	H_CANDS,	/* data table of ctx.candidates */
	H_SHADOW,	/* userdata: ps->sh */
	H_CAND0		/* candidate i: data at H_CAND0 + 2i, proxy next */
};

/*
 * What C last stored in one field of ctx, so that ctx_fill stores only
 * what changed: between two requests most fields (router, fallback, the
 * models and prices ...) do not, and a skipped store touches no key, no
 * table node and no string of the state, which is what costs when the
 * caches are cold.  Zeroed means nil, as in a new table.  ps->sh[k] is
 * ctx's field k (ctx, ctx.prompt, ctx.spend), ps->sh[k + 6 * i] field
 * k (K_MODEL .. K_EST_COST) of candidate slot i.  Only C writes these
 * tables, so the string a shadow points at is alive while it is stored.
 */
enum { SH_NIL, SH_FLOAT, SH_INT, SH_BOOL, SH_STR };
#define SH_SIZE(ncand)	((size_t)K_MODEL + 6 * (size_t)(ncand))

struct shadow {
	int		 kind;		/* SH_* */
	lua_Number	 n;		/* SH_FLOAT */
	lua_Integer	 i;		/* SH_INT, SH_BOOL */
	const char	*s;		/* SH_STR: the Lua string's bytes */
	size_t		 len;
};

static const char *const ctx_keys[H_CTX] = {
	[K_ROUTER] = "router", [K_FALLBACK] = "fallback", [K_CLASS] = "class",
	[K_TENANT] = "tenant", [K_API] = "api", [K_TURNS] = "turns",
	[K_HAS_TOOLS] = "has_tools", [K_HAS_IMAGES] = "has_images",
	[K_HAS_DOCUMENTS] = "has_documents", [K_CONVERSATION] = "conversation",
	[K_PREVIOUS_MODEL] = "previous_model", [K_THRESHOLD] = "threshold",
	[K_PREDICTOR_OK] = "predictor_ok", [K_CONFIDENCE] = "confidence",
	[K_MIN_CONFIDENCE] = "min_confidence", [K_PROMPT] = "prompt",
	[K_SPEND] = "spend", [K_METADATA] = "metadata",
	[K_CANDIDATES] = "candidates", [K_CHARS] = "chars",
	[K_TOKENS] = "tokens", [K_TENANT_TODAY] = "tenant_today",
	[K_ROUTER_TODAY] = "router_today", [K_MODEL] = "model",
	[K_QUALITY] = "quality", [K_PRICED] = "priced",
	[K_PRICE_IN] = "price_in", [K_PRICE_OUT] = "price_out",
	[K_EST_COST] = "est_cost", [K_REASON] = "reason",
	[K_REFUSE] = "refuse", [K_INDEX] = "__index",
};

/* The stack index of the host table inside ps_call. */
#define HOST	2

/* t[name k] = the value on top (popped); t is an absolute index. */
static void
put_top(lua_State *L, int t, int k)
{
	lua_rawgeti(L, HOST, k);
	lua_insert(L, -2);
	lua_rawset(L, t);
}

static void
put_nil(lua_State *L, int t, int k, struct shadow *sh)
{
	if (sh[k].kind == SH_NIL)
		return;
	lua_pushnil(L);
	put_top(L, t, k);
	sh[k].kind = SH_NIL;
}

/* t[k] = v, or nil when v is NULL or "" (unless `keep`, which stores "").
 * sh is the shadow of t's fields (see struct shadow). */
static void
put_str(lua_State *L, int t, int k, struct shadow *sh, const char *v, int keep)
{
	const char	*s;

	if (v == NULL)
		v = "";
	if (*v == '\0' && !keep) {
		put_nil(L, t, k, sh);
		return;
	}
	if (sh[k].kind == SH_STR && strncmp(sh[k].s, v, sh[k].len) == 0 &&
	    v[sh[k].len] == '\0')
		return;
	s = lua_pushstring(L, v);
	put_top(L, t, k);
	sh[k].kind = SH_STR;
	sh[k].s = s;
	sh[k].len = strlen(v);
}

/* Floats compare by their bits: -0.0 and 0.0 differ, a NaN is stored
 * again. */
static void
put_num(lua_State *L, int t, int k, struct shadow *sh, int present,
    lua_Number v)
{
	if (!present) {
		put_nil(L, t, k, sh);
		return;
	}
	if (sh[k].kind == SH_FLOAT && memcmp(&sh[k].n, &v, sizeof(v)) == 0)
		return;
	lua_pushnumber(L, v);
	put_top(L, t, k);
	sh[k].kind = SH_FLOAT;
	sh[k].n = v;
}

static void
put_int(lua_State *L, int t, int k, struct shadow *sh, lua_Integer v)
{
	if (sh[k].kind == SH_INT && sh[k].i == v)
		return;
	lua_pushinteger(L, v);
	put_top(L, t, k);
	sh[k].kind = SH_INT;
	sh[k].i = v;
}

static void
put_bool(lua_State *L, int t, int k, struct shadow *sh, int v)
{
	v = v != 0;
	if (sh[k].kind == SH_BOOL && sh[k].i == v)
		return;
	lua_pushboolean(L, v);
	put_top(L, t, k);
	sh[k].kind = SH_BOOL;
	sh[k].i = v;
}

/* Candidates by ascending estimated cost, unpriced last, stable. */
static int
cand_before(const struct tg_candidate *a, size_t ia,
    const struct tg_candidate *b, size_t ib)
{
	if (a->priced != b->priced)
		return a->priced;
	if (a->priced && a->est_cost != b->est_cost)
		return a->est_cost < b->est_cost;
	if (a->priced && a->price_in + a->price_out != b->price_in + b->price_out)
		return a->price_in + a->price_out < b->price_in + b->price_out;
	return ia < ib;
}

static void
cand_order(const struct tg_candidate *c, size_t n, size_t *idx)
{
	size_t	 i, j, t;

	for (i = 0; i < n; i++)
		idx[i] = i;
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && cand_before(&c[idx[j]], idx[j],
		    &c[idx[j - 1]], idx[j - 1]); j--) {
			t = idx[j];
			idx[j] = idx[j - 1];
			idx[j - 1] = t;
		}
}

/* A new data table (sized for `nrec` fields) at host slot `slot`, its
 * read-only proxy left on top. */
static void
ctx_table(lua_State *L, int slot, int nrec)
{
	lua_createtable(L, 0, nrec);
	lua_pushvalue(L, -1);
	lua_rawseti(L, HOST, slot);
	ro_wrap(L);
}

/* Protected: room in ps->sh for `ncand` candidate slots, new entries nil.
 * A userdata, so that it counts against the heap cap and a refusal is a
 * memory error like any other. */
static void
sh_grow(lua_State *L, struct pstate *ps, size_t ncand)
{
	struct shadow	*sh;

	sh = lua_newuserdatauv(L, SH_SIZE(ncand) * sizeof(*sh), 0);
	memset(sh, 0, SH_SIZE(ncand) * sizeof(*sh));
	if (ps->sh != NULL)
		memcpy(sh, ps->sh, SH_SIZE(ps->ncand_built) * sizeof(*sh));
	lua_rawseti(L, HOST, H_SHADOW);
	ps->sh = sh;
}

/* Protected, once per state, with one value on the stack: the host table
 * (left at HOST, and in the registry as ps->host_ref) with the field names
 * and an empty ctx.  ctx's own fields are the names up to K_CANDIDATES. */
static void
ctx_build(lua_State *L, struct pstate *ps)
{
	int	 h, c, i;

	lua_createtable(L, H_CAND0 + 8, 0);
	h = lua_gettop(L);
	for (i = 1; i < H_CTX; i++) {
		lua_pushstring(L, ctx_keys[i]);
		lua_rawseti(L, h, i);
	}
	lua_pushvalue(L, h);
	ps->host_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	ctx_table(L, H_CTX, K_CANDIDATES);
	c = lua_gettop(L);
	lua_rawgeti(L, HOST, H_CTX);
	ctx_table(L, H_PROMPT, 2);
	put_top(L, c + 1, K_PROMPT);
	ctx_table(L, H_SPEND, 2);
	put_top(L, c + 1, K_SPEND);
	ctx_table(L, H_META_EMPTY, 0);
	lua_getmetatable(L, -1);
	lua_rawseti(L, HOST, H_META_MT);
	put_top(L, c + 1, K_METADATA);
	lua_createtable(L, 4, 0);
	lua_pushvalue(L, -1);
	lua_rawseti(L, HOST, H_CANDS);
	ro_wrap(L);
	put_top(L, c + 1, K_CANDIDATES);
	lua_settop(L, c);
	lua_rawseti(L, HOST, H_CTX_PROXY);
	lua_settop(L, h);
	sh_grow(L, ps, 0);
}

/* The fields of candidate `c` into the data table on top, whose shadow
 * is sh; c NULL clears them all (a slot this call does not use). */
static void
cand_fill(lua_State *L, struct shadow *sh, const struct tg_candidate *c)
{
	static const struct tg_candidate none;
	int	 t = lua_gettop(L);

	put_str(L, t, K_MODEL, sh, c != NULL ? c->model : NULL, 0);
	if (c == NULL) {
		c = &none;
		put_nil(L, t, K_PRICED, sh);
	} else
		put_bool(L, t, K_PRICED, sh, c->priced);
	put_num(L, t, K_QUALITY, sh, c->has_quality, c->quality);
	put_num(L, t, K_PRICE_IN, sh, c->priced, c->price_in);
	put_num(L, t, K_PRICE_OUT, sh, c->priced, c->price_out);
	put_num(L, t, K_EST_COST, sh, c->priced, c->est_cost);
}

/* ctx.candidates[1..n] by price.  Candidate tables are made the first
 * time a state sees that many candidates; those past n are dropped from
 * the list and cleared (a policy may have kept one from an earlier call). */
static void
ctx_candidates(lua_State *L, struct pstate *ps, const struct policy_facts *f)
{
	size_t	*idx = ps->order, i;
	int	 list;

	cand_order(f->cand, f->ncand, idx);
	lua_rawgeti(L, HOST, H_CANDS);
	list = lua_gettop(L);
	if (ps->ncand_built < f->ncand)
		sh_grow(L, ps, f->ncand);
	for (; ps->ncand_built < f->ncand; ps->ncand_built++) {
		ctx_table(L, H_CAND0 + 2 * (int)ps->ncand_built, 6);
		lua_rawseti(L, HOST, H_CAND0 + 2 * (int)ps->ncand_built + 1);
	}
	for (i = 0; i < f->ncand; i++) {
		lua_rawgeti(L, HOST, H_CAND0 + 2 * (int)i);
		cand_fill(L, ps->sh + 6 * i, &f->cand[idx[i]]);
		lua_pop(L, 1);
		lua_rawgeti(L, HOST, H_CAND0 + 2 * (int)i + 1);
		lua_rawseti(L, list, (lua_Integer)i + 1);
	}
	for (; i < ps->ncand_built; i++) {
		lua_pushnil(L);
		lua_rawseti(L, list, (lua_Integer)i + 1);
		lua_rawgeti(L, HOST, H_CAND0 + 2 * (int)i);
		cand_fill(L, ps->sh + 6 * i, NULL);
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
}

/* ctx.metadata's data: a new table when the request has metadata (keys
 * vary, so none is kept), else the shared empty one. */
static void
ctx_metadata(lua_State *L, const struct policy_facts *f)
{
	size_t	 i;

	lua_rawgeti(L, HOST, H_META_MT);
	if (f->nmetadata == 0)
		lua_rawgeti(L, HOST, H_META_EMPTY);
	else {
		lua_createtable(L, 0, (int)f->nmetadata);
		for (i = 0; i < f->nmetadata; i++)
			if (f->metadata_keys[i] != NULL && f->metadata_values[i] != NULL) {
				lua_pushstring(L, f->metadata_keys[i]);
				lua_pushstring(L, f->metadata_values[i]);
				lua_rawset(L, -3);
			}
	}
	put_top(L, lua_gettop(L) - 1, K_INDEX);
	lua_pop(L, 1);
}

/* Overwrite every field of the state's ctx with `f`. */
static void
ctx_fill(lua_State *L, struct pstate *ps, const struct policy_facts *f)
{
	struct shadow	*sh = ps->sh;
	int		 t;

	lua_rawgeti(L, HOST, H_CTX);
	t = lua_gettop(L);
	put_str(L, t, K_ROUTER, sh, f->router, 1);
	put_str(L, t, K_FALLBACK, sh, f->fallback, 1);
	put_str(L, t, K_CLASS, sh, f->request_class, 0);
	put_str(L, t, K_TENANT, sh, f->tenant, 0);
	put_str(L, t, K_API, sh, f->api, 0);
	put_int(L, t, K_TURNS, sh, f->turns);
	put_bool(L, t, K_HAS_TOOLS, sh, f->has_tools);
	put_bool(L, t, K_HAS_IMAGES, sh, f->has_images);
	put_bool(L, t, K_HAS_DOCUMENTS, sh, f->has_documents);
	put_str(L, t, K_CONVERSATION, sh, f->conversation_id, 0);
	put_str(L, t, K_PREVIOUS_MODEL, sh, f->previous_model, 0);
	put_num(L, t, K_THRESHOLD, sh, 1, f->threshold);
	put_bool(L, t, K_PREDICTOR_OK, sh, f->predictor_ok);
	put_num(L, t, K_CONFIDENCE, sh, f->has_confidence, f->confidence);
	put_num(L, t, K_MIN_CONFIDENCE, sh, 1, f->min_confidence);
	lua_rawgeti(L, HOST, H_PROMPT);
	put_int(L, t + 1, K_CHARS, sh, (lua_Integer)f->prompt_chars);
	put_int(L, t + 1, K_TOKENS, sh, (lua_Integer)f->est_input_tokens);
	lua_rawgeti(L, HOST, H_SPEND);
	put_num(L, t + 2, K_TENANT_TODAY, sh, 1, f->tenant_spend_today);
	put_num(L, t + 2, K_ROUTER_TODAY, sh, 1, f->router_spend_today);
	lua_settop(L, t - 1);
	ctx_metadata(L, f);
	ctx_candidates(L, ps, f);
}

const struct policy_facts *
policy_ctx_facts(lua_State *L, int idx, const size_t **order)
{
	struct pstate	*ps = ps_of(L);
	int		 same;

	if (ps->cur == NULL || lua_type(L, idx) != LUA_TTABLE)
		return NULL;
	idx = lua_absindex(L, idx);
	lua_rawgeti(L, LUA_REGISTRYINDEX, ps->host_ref);
	lua_rawgeti(L, -1, H_CTX_PROXY);
	same = lua_rawequal(L, idx, -1);
	lua_pop(L, 2);
	*order = ps->order;
	return same ? ps->cur : NULL;
}

/* ---- the result ------------------------------------------------------- */

/* Copy src into dst as printable ASCII (a header value): control bytes
 * become spaces, other bytes '?'; cut at dstlen-1 with "...". */
static void
sanitize(char *dst, size_t dstlen, const char *src, size_t len)
{
	size_t	 i, n = len < dstlen - 1 ? len : dstlen - 1;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)src[i];
		dst[i] = c < 0x20 || c == 0x7f ? ' ' : c > 0x7e ? '?' : (char)c;
	}
	dst[n] = '\0';
	if (len > n && n >= 3)
		memcpy(dst + n - 3, "...", 3);
}

static int	res_fail(struct pstate *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/* Record a result problem; `shape` says the value is not a decision at
 * all (as opposed to a well-formed choice of a non-candidate). */
static int
res_fail(struct pstate *ps, int shape, const char *fmt, ...)
{
	va_list	 ap;

	ps->res_err = POLICY_E_RESULT;
	ps->res_shape = shape;
	va_start(ap, fmt);
	vsnprintf(ps->res_msg, sizeof(ps->res_msg), fmt, ap);
	va_end(ap);
	return 0;
}

/* Raw field of the table at `t` (no metamethods: no policy code runs). */
static int
raw_field(lua_State *L, int t, const char *k)
{
	lua_pushstring(L, k);
	return lua_rawget(L, t);
}

/* raw_field with a name from the host table (inside ps_call only). */
static int
raw_key(lua_State *L, int t, int k)
{
	lua_rawgeti(L, HOST, k);
	return lua_rawget(L, t);
}

static int
valid_type(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0 || len > 63)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '.'))
			return 0;
	return 1;
}

/* result.refuse (table at top) → out.  Leaves the stack as it found it. */
static int
res_refuse(lua_State *L, struct pstate *ps, struct policy_decision *out)
{
	int		 t = lua_gettop(L), ty;
	const char	*s;
	size_t		 len;

	out->refuse = 1;
	out->refuse_status = 429;
	strcpy(out->refuse_type, "ThrottlingException");
	strcpy(out->refuse_message, "request refused by the routing policy");
	if ((ty = raw_field(L, t, "status")) != LUA_TNIL) {
		if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 400 ||
		    lua_tointeger(L, -1) > 599)
			return res_fail(ps, 1, "%s", "refuse.status must be an integer 400..599");
		out->refuse_status = (int)lua_tointeger(L, -1);
	}
	if ((ty = raw_field(L, t, "type")) != LUA_TNIL) {
		if (ty != LUA_TSTRING || (s = lua_tolstring(L, -1, &len), !valid_type(s, len)))
			return res_fail(ps, 1, "%s", "refuse.type must be an error name like ThrottlingException");
		memcpy(out->refuse_type, s, len + 1);
	}
	if ((ty = raw_field(L, t, "message")) != LUA_TNIL) {
		if (ty != LUA_TSTRING)
			return res_fail(ps, 1, "%s", "refuse.message must be a string");
		s = lua_tolstring(L, -1, &len);
		sanitize(out->refuse_message, sizeof(out->refuse_message), s, len);
	}
	lua_settop(L, t);
	if (out->reason[0] == '\0')
		snprintf(out->reason, sizeof(out->reason), "policy refused: %d %s",
		    out->refuse_status, out->refuse_type);
	return 0;
}

static int
is_candidate(const struct policy_facts *f, const char *m)
{
	size_t	 i;

	for (i = 0; i < f->ncand; i++)
		if (f->cand[i].model != NULL && strcmp(f->cand[i].model, m) == 0)
			return 1;
	return f->fallback != NULL && *f->fallback != '\0' && strcmp(f->fallback, m) == 0;
}

/* The value at `r` → out.  Problems are recorded in ps->res_*, not raised. */
static int
ps_result(lua_State *L, int r, struct pstate *ps, const struct policy_facts *f,
    struct policy_decision *out)
{
	const char	*s;
	size_t		 len;
	int		 ty;

	if (!lua_istable(L, r))
		return res_fail(ps, 1, "policy returned %s, not a table", luaL_typename(L, r));
	if ((ty = raw_key(L, r, K_REASON)) != LUA_TNIL && ty != LUA_TSTRING)
		return res_fail(ps, 1, "reason is %s, not a string", lua_typename(L, ty));
	if (ty == LUA_TSTRING) {
		s = lua_tolstring(L, -1, &len);
		sanitize(out->reason, sizeof(out->reason), s, len);
	}
	if (raw_key(L, r, K_REFUSE) != LUA_TNIL)
		return lua_istable(L, -1) ? res_refuse(L, ps, out) :
		    res_fail(ps, 1, "%s", "refuse must be a table");
	if ((ty = raw_key(L, r, K_MODEL)) != LUA_TSTRING)
		return res_fail(ps, 1, "model is %s, not a string", lua_typename(L, ty));
	s = lua_tolstring(L, -1, &len);
	if (len >= sizeof(out->model) || strlen(s) != len || !is_candidate(f, s)) {
		sanitize(out->model, 64, s, len);
		return res_fail(ps, 0, "policy chose '%s', which is not a candidate", out->model);
	}
	memcpy(out->model, s, len + 1);
	if (out->reason[0] == '\0')
		snprintf(out->reason, sizeof(out->reason), "policy chose %s", s);
	return 0;
}

struct ps_call {
	const struct policy_facts	*f;
	struct policy_decision		*out;
};

/* Protected: fill ctx, call decide, read the result. */
static int
ps_call(lua_State *L)
{
	struct ps_call	*c = lua_touserdata(L, 1);
	struct pstate	*ps = ps_of(L);

	lua_rawgeti(L, LUA_REGISTRYINDEX, ps->host_ref);	/* HOST */
	ctx_fill(L, ps, c->f);
	ps->cur = c->f;
	lua_rawgeti(L, LUA_REGISTRYINDEX, ps->decide_ref);
	lua_rawgeti(L, HOST, H_CTX_PROXY);
	lua_call(L, 1, 1);
	return ps_result(L, lua_gettop(L), ps, c->f, c->out);
}

/* Turn the outcome of a protected decide call into an error code and a
 * reason; limits win over whatever the policy did after they fired. */
static enum policy_err
ps_classify(struct pstate *ps, int rc, struct policy_decision *out,
    char *tb, size_t tblen)
{
	lua_State	*L = ps->L;

	if (ps->hook_hit) {
		snprintf(out->reason, sizeof(out->reason), "policy limit: more "
		    "than %d instructions", ps->hook_count);
		return POLICY_E_INSTRUCTIONS;
	}
	if (ps->mem_hit || rc == LUA_ERRMEM) {
		snprintf(out->reason, sizeof(out->reason), "policy limit: more "
		    "than %zu bytes of memory", ps->limit);
		return POLICY_E_MEMORY;
	}
	if (rc != LUA_OK) {
		if (tb != NULL)
			snprintf(tb, tblen, "%s", lua_tostring(L, -1) ? lua_tostring(L, -1) : "");
		snprintf(out->reason, sizeof(out->reason), "policy error: ");
		ps_errline(L, out->reason + 14, sizeof(out->reason) - 14);
		return POLICY_E_RUNTIME;
	}
	if (ps->res_err != POLICY_OK) {
		snprintf(out->reason, sizeof(out->reason), "policy result: %s", ps->res_msg);
		return ps->res_err;
	}
	return POLICY_OK;
}

/* One protected decide call on `ps`.  tb (may be NULL) gets the traceback
 * of a runtime error.  The state is cleaned after any failure. */
static enum policy_err
ps_decide(struct pstate *ps, const struct policy_facts *f,
    struct policy_decision *out, char *tb, size_t tblen)
{
	struct ps_call	 c = { f, out };
	lua_State	*L = ps->L;
	enum policy_err	 e;
	int		 rc;

	memset(out, 0, sizeof(*out));
	ps->res_err = POLICY_OK;
	ps->res_shape = 0;
	if (f->ncand > PS_MAX_CAND) {
		snprintf(out->reason, sizeof(out->reason), "too many candidates");
		return POLICY_E_RESULT;
	}
	lua_settop(L, 0);
	lua_pushcfunction(L, ps_msgh);
	lua_pushcfunction(L, ps_call);
	lua_pushlightuserdata(L, &c);
	ps_arm(ps);
	rc = lua_pcall(L, 1, 0, 1);
	ps_disarm(ps);
	ps->cur = NULL;
	e = ps_classify(ps, rc, out, tb, tblen);
	lua_settop(L, 0);
	if (e != POLICY_OK) {
		memset(out->model, 0, sizeof(out->model));
		out->refuse = 0;
	}
	/* Lua's emergency collections run no finalizers, so the buffer boxes
	 * of lauxlib (string.rep, table.concat ...) that they find dead stay
	 * queued; a policy that always works near the cap would pile them up
	 * until it fails.  A normal full collection finalizes them.  Only
	 * then: any other failure (an error, the instruction limit) leaves
	 * garbage that the generational collector takes like any other, and
	 * a full collection costs tens of microseconds on every call of a
	 * policy that keeps failing. */
	if (ps->mem_pressed)
		lua_gc(L, LUA_GCCOLLECT);
	return e;
}

/* Reject a policy that raises or exceeds a limit on a plain request, or
 * returns something that is not a decision at all.  A model that is not
 * one of the synthetic candidates is fine (policies may name models). */
static int
ps_dryrun(struct pstate *ps, char *err, size_t errlen)
{
	static const struct tg_candidate cand[] = {
		{ "dry-run.cheap", 0.80, 1, 1, 0.25, 1.25, 0.0001 },
		{ "dry-run.strong", 0.90, 1, 1, 3.0, 15.0, 0.0012 },
	};
	struct policy_facts	 f;
	struct policy_decision	 d;
	enum policy_err		 e;

	memset(&f, 0, sizeof(f));
	f.router = "dry-run";
	f.request_class = f.tenant = f.conversation_id = f.previous_model = "";
	f.api = "converse";
	f.prompt_chars = 400;
	f.est_input_tokens = 100;
	f.turns = 1;
	f.cand = cand;
	f.ncand = 2;
	f.threshold = 20;
	f.fallback = "dry-run.strong";
	f.predictor_ok = 1;
	e = ps_decide(ps, &f, &d, NULL, 0);
	if (e == POLICY_OK || (e == POLICY_E_RESULT && !ps->res_shape))
		return 0;
	snprintf(err, errlen, "dry run: %s", d.reason);
	return -1;
}

enum policy_err
policy_decide(struct policy *p, const struct policy_facts *f,
    struct policy_decision *out)
{
	enum policy_err	 e;

	p->traceback[0] = '\0';
	if (p->ps == NULL) {
		memset(out, 0, sizeof(*out));
		snprintf(out->reason, sizeof(out->reason), "policy not loaded: ");
		sanitize(out->reason + 19, sizeof(out->reason) - 19, p->load_err,
		    strlen(p->load_err));
		e = POLICY_E_LOAD;
	} else
		e = ps_decide(p->ps, f, out, p->traceback, sizeof(p->traceback));
	if (e != POLICY_OK && f->fallback != NULL)
		snprintf(out->model, sizeof(out->model), "%s", f->fallback);
	return e;
}
