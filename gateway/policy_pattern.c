/*
 * policy_pattern.c - Lua 5.4 pattern matching for policies, bounded.
 *
 * The standard string library matches patterns in C, where the
 * instruction hook never runs: a backtracking pattern such as
 * ".-.-.-.-b" on 30 kB, or a plain find repeated on a large subject,
 * holds a worker for seconds or for good.  These are the same four
 * functions, written from the reference manual's description (§6.4.1,
 * "Patterns"; §6.4, string.find/match/gmatch/gsub), and every unit of
 * work takes one step from a struct pat_meter: one pattern item tried at
 * one subject position, one subject byte tested by a repetition, scanned
 * by %b or a plain find, or compared by a back-reference.  The policy
 * host shares that meter with its instruction hook, so a policy's
 * instruction limit covers the matcher too (gateway/policy.c).
 *
 * What the manual leaves to the implementation is kept as Lua 5.4 does
 * it, because policies are tested against stock Lua: at most 32
 * captures, at most 200 nested matcher frames ("pattern too complex"),
 * errors raised lazily as matching reaches the faulty item, the same
 * error messages, an empty match right after the previous match skipped
 * by gmatch and gsub.  tests/unit/test_pattern.c holds the two
 * implementations side by side on random patterns.
 */
#include "autoconf.h"

#include <ctype.h>
#include <stddef.h>
#include <string.h>

#include <lua.h>
#include <lauxlib.h>

#include "policy_pattern.h"

#define PAT_MAXCAPTURES	32	/* Lua's LUA_MAXCAPTURES */
#define PAT_MAXDEPTH	200	/* nested matcher frames, as Lua */
#define PAT_SPECIALS	"^$*+?.([%-"

#define CAP_OPEN	(-1)	/* capture started, not closed yet */
#define CAP_POSITION	(-2)	/* "()": captures a position */

#define UC(c)		((unsigned char)(c))

/* One match attempt: the subject, the pattern's end, the captures. */
struct pat_state {
	lua_State		*L;
	struct pat_meter	*meter;
	const char		*s0, *s_end;	/* subject */
	const char		*p_end;		/* pattern */
	int			 depth;		/* frames left before "too complex" */
	int			 ncap;
	struct {
		const char	*at;
		ptrdiff_t	 len;		/* or CAP_OPEN, CAP_POSITION */
	}			 cap[PAT_MAXCAPTURES];
};

/* Protected from here on: ms->L may raise. */
static const char *pat_match(struct pat_state *, const char *, const char *);

void
pat_charge(struct pat_meter *m, lua_State *L, size_t steps)
{
	if (m->left < 0 || steps > (unsigned long long)m->left) {
		m->left = -1;
		m->exhausted(L, m);
	}
	m->left -= (long long)steps;
}

static void
ms_charge(struct pat_state *ms, size_t steps)
{
	pat_charge(ms->meter, ms->L, steps);
}

/* ---- single items ------------------------------------------------------ */

/* Does byte c belong to class letter cl (%a, %d ...)?  An upper-case
 * letter is the complement; any other character stands for itself. */
static int
pat_class(int c, int cl)
{
	int	 in;

	switch (tolower(cl)) {
	case 'a': in = isalpha(c); break;
	case 'c': in = iscntrl(c); break;
	case 'd': in = isdigit(c); break;
	case 'g': in = isgraph(c); break;
	case 'l': in = islower(c); break;
	case 'p': in = ispunct(c); break;
	case 's': in = isspace(c); break;
	case 'u': in = isupper(c); break;
	case 'w': in = isalnum(c); break;
	case 'x': in = isxdigit(c); break;
	case 'z': in = c == '\0'; break;	/* deprecated, still honoured */
	default: return cl == c;
	}
	in = in != 0;
	return isupper(cl) ? !in : in;
}

/* Is byte c in the set that starts at p ('[') and ends at last (its
 * closing ']')? */
static int
pat_inset(int c, const char *p, const char *last)
{
	int	 neg = 0;

	if (*++p == '^') {
		neg = 1;
		p++;
	}
	for (; p < last; p++) {
		if (*p == '%') {
			p++;
			if (pat_class(c, UC(*p)))
				return !neg;
		} else if (p[1] == '-' && p + 2 < last) {
			if (UC(p[0]) <= c && c <= UC(p[2]))
				return !neg;
			p += 2;
		} else if (UC(*p) == c)
			return !neg;
	}
	return neg;
}

/* The end of the single-character class at p (one past it).  A set's
 * first character, and any character after '%', is never its end. */
static const char *
pat_item_end(struct pat_state *ms, const char *p)
{
	char	 c = *p++;

	if (c == '%') {
		if (p == ms->p_end)
			luaL_error(ms->L, "malformed pattern (ends with '%%')");
		return p + 1;
	}
	if (c != '[')
		return p;
	if (p < ms->p_end && *p == '^')
		p++;
	do {
		if (p == ms->p_end)
			luaL_error(ms->L, "malformed pattern (missing ']')");
		if (*p++ == '%' && p < ms->p_end)
			p++;
	} while (p == ms->p_end || *p != ']');
	return p + 1;
}

/* Does the subject byte at s match the class p..ep? */
static int
pat_single(struct pat_state *ms, const char *s, const char *p, const char *ep)
{
	int	 c;

	if (s >= ms->s_end)
		return 0;
	c = UC(*s);
	switch (*p) {
	case '.':
		return 1;
	case '%':
		return pat_class(c, UC(p[1]));
	case '[':
		return pat_inset(c, p, ep - 1);
	default:
		return UC(*p) == c;
	}
}

/* ---- repetitions ------------------------------------------------------- */

/* '*' (and '+' after its first byte): the longest run first. */
static const char *
pat_greedy(struct pat_state *ms, const char *s, const char *p, const char *ep)
{
	const char	*r;
	size_t		 n = 0;

	while (pat_single(ms, s + n, p, ep)) {
		ms_charge(ms, 1);
		n++;
	}
	for (;;) {
		if ((r = pat_match(ms, s + n, ep + 1)) != NULL)
			return r;
		if (n-- == 0)
			return NULL;
	}
}

/* '-': the shortest run first. */
static const char *
pat_lazy(struct pat_state *ms, const char *s, const char *p, const char *ep)
{
	const char	*r;

	for (;;) {
		if ((r = pat_match(ms, s, ep + 1)) != NULL)
			return r;
		if (!pat_single(ms, s, p, ep))
			return NULL;
		ms_charge(ms, 1);
		s++;
	}
}

/*
 * The item at *pp with its quantifier, at subject *sp.  Returns 1 when
 * matching goes on in the caller's frame from the updated *sp and *pp,
 * 0 when *sp holds the outcome of the rest of the pattern (NULL: no
 * match).
 */
static int
pat_item(struct pat_state *ms, const char **sp, const char **pp)
{
	const char	*s = *sp, *p = *pp, *ep = pat_item_end(ms, p), *r;
	int		 q = ep < ms->p_end ? *ep : '\0';

	if (!pat_single(ms, s, p, ep)) {
		if (q != '*' && q != '?' && q != '-') {
			*sp = NULL;
			return 0;
		}
		*pp = ep + 1;
		return 1;
	}
	switch (q) {
	case '?':
		if ((r = pat_match(ms, s + 1, ep + 1)) != NULL) {
			*sp = r;
			return 0;
		}
		*pp = ep + 1;
		return 1;
	case '+':
		*sp = pat_greedy(ms, s + 1, p, ep);
		return 0;
	case '*':
		*sp = pat_greedy(ms, s, p, ep);
		return 0;
	case '-':
		*sp = pat_lazy(ms, s, p, ep);
		return 0;
	default:
		*sp = s + 1;
		*pp = ep;
		return 1;
	}
}

/* ---- captures, %b, %f, back-references -------------------------------- */

static const char *
pat_open(struct pat_state *ms, const char *s, const char *p, ptrdiff_t what)
{
	const char	*r;

	if (ms->ncap >= PAT_MAXCAPTURES)
		luaL_error(ms->L, "too many captures");
	ms->cap[ms->ncap].at = s;
	ms->cap[ms->ncap].len = what;
	ms->ncap++;
	if ((r = pat_match(ms, s, p)) == NULL)
		ms->ncap--;
	return r;
}

/* ')' closes the innermost capture still open. */
static const char *
pat_close(struct pat_state *ms, const char *s, const char *p)
{
	const char	*r;
	int		 i;

	for (i = ms->ncap - 1; i >= 0 && ms->cap[i].len != CAP_OPEN; i--)
		continue;
	if (i < 0)
		luaL_error(ms->L, "invalid pattern capture");
	ms->cap[i].len = s - ms->cap[i].at;
	if ((r = pat_match(ms, s, p)) == NULL)
		ms->cap[i].len = CAP_OPEN;
	return r;
}

/* %bxy at s: x, then up to the y that balances it. */
static const char *
pat_balance(struct pat_state *ms, const char *s, const char *p)
{
	int	 depth = 1;

	if (ms->p_end - p < 2)
		luaL_error(ms->L, "malformed pattern (missing arguments to '%%b')");
	if (s >= ms->s_end || *s != p[0])
		return NULL;
	while (++s < ms->s_end) {
		ms_charge(ms, 1);
		if (*s == p[1]) {
			if (--depth == 0)
				return s + 1;
		} else if (*s == p[0])
			depth++;
	}
	return NULL;
}

/* %f[set] at s (p after "%f"): the end of the frontier item, or NULL. */
static const char *
pat_frontier(struct pat_state *ms, const char *s, const char *p)
{
	const char	*ep;
	int		 before, here;

	if (p == ms->p_end || *p != '[')
		luaL_error(ms->L, "missing '[' after '%%f' in pattern");
	ep = pat_item_end(ms, p);
	before = s == ms->s0 ? '\0' : UC(s[-1]);
	here = s < ms->s_end ? UC(*s) : '\0';
	if (!pat_inset(before, p, ep - 1) && pat_inset(here, p, ep - 1))
		return ep;
	return NULL;
}

/* %1 .. %9 at s: the text of that (closed) capture again. */
static const char *
pat_backref(struct pat_state *ms, const char *s, int digit)
{
	int		 i = digit - '1';
	ptrdiff_t	 len;

	if (i < 0 || i >= ms->ncap || ms->cap[i].len == CAP_OPEN)
		luaL_error(ms->L, "invalid capture index %%%d", i + 1);
	len = ms->cap[i].len;
	if (len < 0 || ms->s_end - s < len)
		return NULL;
	ms_charge(ms, (size_t)len);
	return memcmp(ms->cap[i].at, s, (size_t)len) == 0 ? s + len : NULL;
}

/* ---- the matcher -------------------------------------------------------- */

/*
 * "%" items that are not classes (%b, %f, %0-%9) at *sp: 1 when matching
 * goes on from the updated *sp and *pp, 0 when *sp is the outcome, -1
 * when the item is a class after all.
 */
static int
pat_escape(struct pat_state *ms, const char **sp, const char **pp)
{
	const char	*p = *pp;
	int		 c = p + 1 < ms->p_end ? UC(p[1]) : '\0';

	if (c == 'b') {
		*sp = pat_balance(ms, *sp, p + 2);
		*pp = p + 4;
	} else if (c == 'f') {
		*pp = pat_frontier(ms, *sp, p + 2);
		if (*pp == NULL)
			*sp = NULL;
	} else if (isdigit(c)) {
		*sp = pat_backref(ms, *sp, c);
		*pp = p + 2;
	} else
		return -1;
	return *sp != NULL;
}

/* The rest of the pattern from p at s, in this frame until an item
 * needs to backtrack.  Returns the end of the match or NULL. */
static const char *
pat_frame(struct pat_state *ms, const char *s, const char *p)
{
	int	 go;

	while (p != ms->p_end) {
		ms_charge(ms, 1);
		switch (*p) {
		case '(':
			if (p + 1 < ms->p_end && p[1] == ')')
				return pat_open(ms, s, p + 2, CAP_POSITION);
			return pat_open(ms, s, p + 1, CAP_OPEN);
		case ')':
			return pat_close(ms, s, p + 1);
		case '$':
			if (p + 1 == ms->p_end)
				return s == ms->s_end ? s : NULL;
			break;
		case '%':
			if ((go = pat_escape(ms, &s, &p)) == 0)
				return NULL;
			if (go == 1)
				continue;
			break;
		}
		if (!pat_item(ms, &s, &p))
			return s;
	}
	return s;
}

static const char *
pat_match(struct pat_state *ms, const char *s, const char *p)
{
	const char	*r;

	if (ms->depth-- == 0)
		luaL_error(ms->L, "pattern too complex");
	r = pat_frame(ms, s, p);
	ms->depth++;
	return r;
}

/* A fresh attempt at s. */
static const char *
pat_try(struct pat_state *ms, const char *s, const char *p)
{
	ms->ncap = 0;
	ms->depth = PAT_MAXDEPTH;
	return pat_match(ms, s, p);
}

static void
ms_init(struct pat_state *ms, lua_State *L, const char *s, size_t ls,
    const char *p, size_t lp)
{
	ms->L = L;
	ms->meter = lua_touserdata(L, lua_upvalueindex(1));
	ms->s0 = s;
	ms->s_end = s + ls;
	ms->p_end = p + lp;
	ms->ncap = 0;
	ms->depth = PAT_MAXDEPTH;
}

/* ---- results ------------------------------------------------------------ */

/* Push capture i of the match s..e; with no captures, capture 0 is the
 * whole match. */
static void
pat_push_one(struct pat_state *ms, int i, const char *s, const char *e)
{
	if (i >= ms->ncap) {
		if (i != 0)
			luaL_error(ms->L, "invalid capture index %%%d", i + 1);
		lua_pushlstring(ms->L, s, (size_t)(e - s));
	} else if (ms->cap[i].len == CAP_OPEN)
		luaL_error(ms->L, "unfinished capture");
	else if (ms->cap[i].len == CAP_POSITION)
		lua_pushinteger(ms->L, ms->cap[i].at - ms->s0 + 1);
	else
		lua_pushlstring(ms->L, ms->cap[i].at, (size_t)ms->cap[i].len);
}

/* Push every capture (the whole match when there are none and s is not
 * NULL); returns how many. */
static int
pat_push_all(struct pat_state *ms, const char *s, const char *e)
{
	int	 i, n = ms->ncap == 0 && s != NULL ? 1 : ms->ncap;

	luaL_checkstack(ms->L, n, "too many captures");
	for (i = 0; i < n; i++)
		pat_push_one(ms, i, s, e);
	return n;
}

/* ---- find and match ----------------------------------------------------- */

/* A 1-based start position (negative counts from the end) as an offset
 * into a subject of `len` bytes; may exceed len. */
static size_t
pat_start(lua_Integer pos, size_t len)
{
	if (pos > 0)
		return (size_t)pos - 1;
	if (pos == 0 || pos < -(lua_Integer)len)
		return 0;
	return len + (size_t)pos;
}

static int
pat_is_plain(const char *p, size_t lp)
{
	size_t	 i;

	for (i = 0; i < lp; i++)
		if (p[i] != '\0' && strchr(PAT_SPECIALS, p[i]) != NULL)
			return 0;
	return 1;
}

/* The first occurrence of p in s..s+ls, each byte scanned or compared
 * charged. */
static const char *
pat_memfind(struct pat_state *ms, const char *s, size_t ls, const char *p,
    size_t lp)
{
	const char	*last, *hit;

	if (lp == 0)
		return s;
	if (lp > ls)
		return NULL;
	for (last = s + (ls - lp); s <= last; s = hit + 1) {
		hit = memchr(s, p[0], (size_t)(last - s) + 1);
		ms_charge(ms, (size_t)((hit != NULL ? hit : last) - s) + 1);
		if (hit == NULL)
			return NULL;
		ms_charge(ms, lp - 1);
		if (memcmp(hit + 1, p + 1, lp - 1) == 0)
			return hit;
	}
	return NULL;
}

static int
pat_find_plain(struct pat_state *ms, size_t init, const char *p, size_t lp)
{
	const char	*hit;

	hit = pat_memfind(ms, ms->s0 + init, (size_t)(ms->s_end - ms->s0) - init,
	    p, lp);
	if (hit == NULL) {
		luaL_pushfail(ms->L);
		return 1;
	}
	lua_pushinteger(ms->L, hit - ms->s0 + 1);
	lua_pushinteger(ms->L, hit - ms->s0 + (lua_Integer)lp);
	return 2;
}

/* find (find = 1) and match (0) after the plain case. */
static int
pat_find_pattern(struct pat_state *ms, size_t init, const char *p, int find)
{
	const char	*s = ms->s0 + init, *e;
	int		 anchor = p < ms->p_end && *p == '^';

	if (anchor)
		p++;
	do {
		if ((e = pat_try(ms, s, p)) != NULL) {
			if (!find)
				return pat_push_all(ms, s, e);
			lua_pushinteger(ms->L, s - ms->s0 + 1);
			lua_pushinteger(ms->L, e - ms->s0);
			return pat_push_all(ms, NULL, NULL) + 2;
		}
	} while (s++ < ms->s_end && !anchor);
	luaL_pushfail(ms->L);
	return 1;
}

static int
pat_find_aux(lua_State *L, int find)
{
	struct pat_state	 ms;
	size_t			 ls, lp, init;
	const char		*s = luaL_checklstring(L, 1, &ls);
	const char		*p = luaL_checklstring(L, 2, &lp);

	init = pat_start(luaL_optinteger(L, 3, 1), ls);
	if (init > ls) {
		luaL_pushfail(L);
		return 1;
	}
	ms_init(&ms, L, s, ls, p, lp);
	ms_charge(&ms, 1);
	if (find && (lua_toboolean(L, 4) || pat_is_plain(p, lp))) {
		ms_charge(&ms, lp);
		return pat_find_plain(&ms, init, p, lp);
	}
	return pat_find_pattern(&ms, init, p, find);
}

static int
pat_find(lua_State *L)
{
	return pat_find_aux(L, 1);
}

static int
pat_str_match(lua_State *L)
{
	return pat_find_aux(L, 0);
}

/* ---- gmatch --------------------------------------------------------------- */

/* Where the next gmatch attempt starts, and where the last match ended
 * (an empty match there is skipped); offsets into the subject. */
struct pat_iter {
	size_t		 next;
	size_t		 last;
	int		 matched;	/* `last` is set */
};

/* The iterator; upvalues: meter, subject, pattern, struct pat_iter. */
static int
pat_gmatch_next(lua_State *L)
{
	struct pat_state	 ms;
	struct pat_iter		*it = lua_touserdata(L, lua_upvalueindex(4));
	size_t			 ls, lp;
	const char		*s = lua_tolstring(L, lua_upvalueindex(2), &ls);
	const char		*p = lua_tolstring(L, lua_upvalueindex(3), &lp);
	const char		*e, *start;

	ms_init(&ms, L, s, ls, p, lp);
	ms_charge(&ms, 1);
	for (; it->next <= ls; it->next++) {
		e = pat_try(&ms, s + it->next, p);
		if (e != NULL && !(it->matched && (size_t)(e - s) == it->last)) {
			start = s + it->next;
			it->next = it->last = (size_t)(e - s);
			it->matched = 1;
			return pat_push_all(&ms, start, e);
		}
	}
	return 0;
}

static int
pat_gmatch(lua_State *L)
{
	struct pat_iter	*it;
	size_t		 ls, init;

	luaL_checklstring(L, 1, &ls);
	luaL_checkstring(L, 2);
	init = pat_start(luaL_optinteger(L, 3, 1), ls);
	lua_settop(L, 2);
	it = lua_newuserdatauv(L, sizeof(*it), 0);
	it->next = init > ls ? ls + 1 : init;
	it->last = 0;
	it->matched = 0;
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_pushcclosure(L, pat_gmatch_next, 4);
	return 1;
}

/* ---- gsub ------------------------------------------------------------------ */

/* A replacement string (argument 3) for the match s..e: %0-%9 are
 * captures, %% is '%'. */
static void
pat_add_string(struct pat_state *ms, luaL_Buffer *b, const char *s,
    const char *e)
{
	size_t		 l;
	const char	*r = lua_tolstring(ms->L, 3, &l), *end = r + l, *pct;
	int		 c;

	ms_charge(ms, l);
	while ((pct = memchr(r, '%', (size_t)(end - r))) != NULL) {
		luaL_addlstring(b, r, (size_t)(pct - r));
		c = pct + 1 < end ? UC(pct[1]) : '\0';
		if (c == '%')
			luaL_addchar(b, '%');
		else if (c == '0')
			luaL_addlstring(b, s, (size_t)(e - s));
		else if (isdigit(c)) {
			pat_push_one(ms, c - '1', s, e);
			luaL_addvalue(b);	/* a position becomes its digits */
		} else
			luaL_error(ms->L, "invalid use of '%%' in replacement string");
		r = pct + 2;
	}
	luaL_addlstring(b, r, (size_t)(end - r));
}

/* A table or function replacement: its value for the match s..e, or
 * the match itself when that value is false or nil.  Returns 1 when the
 * match was replaced. */
static int
pat_add_value(struct pat_state *ms, luaL_Buffer *b, const char *s,
    const char *e, int type)
{
	lua_State	*L = ms->L;

	if (type == LUA_TFUNCTION) {
		lua_pushvalue(L, 3);
		lua_call(L, pat_push_all(ms, s, e), 1);
	} else if (type == LUA_TTABLE) {
		pat_push_one(ms, 0, s, e);
		lua_gettable(L, 3);
	} else {
		pat_add_string(ms, b, s, e);
		return 1;
	}
	if (!lua_toboolean(L, -1)) {
		lua_pop(L, 1);
		luaL_addlstring(b, s, (size_t)(e - s));
		return 0;
	}
	if (!lua_isstring(L, -1))
		return luaL_error(L, "invalid replacement value (a %s)",
		    luaL_typename(L, -1));
	luaL_addvalue(b);
	return 1;
}

/* The replacement loop; b is initialised, the result is left in it.
 * Returns the number of matches and sets *changed. */
static lua_Integer
pat_gsub_loop(struct pat_state *ms, luaL_Buffer *b, const char *p,
    lua_Integer max, int type, int *changed)
{
	const char	*s = ms->s0, *e, *last = NULL;
	int		 anchor = p < ms->p_end && *p == '^';
	lua_Integer	 n = 0;

	if (anchor)
		p++;
	while (n < max) {
		if ((e = pat_try(ms, s, p)) != NULL && e != last) {
			n++;
			*changed |= pat_add_value(ms, b, s, e, type);
			s = last = e;
		} else if (s < ms->s_end)
			luaL_addchar(b, *s++);
		else
			break;
		if (anchor)
			break;
	}
	luaL_addlstring(b, s, (size_t)(ms->s_end - s));
	return n;
}

static int
pat_gsub(lua_State *L)
{
	struct pat_state	 ms;
	luaL_Buffer		 b;
	size_t			 ls, lp;
	const char		*s = luaL_checklstring(L, 1, &ls);
	const char		*p = luaL_checklstring(L, 2, &lp);
	int			 type = lua_type(L, 3), changed = 0;
	lua_Integer		 max = luaL_optinteger(L, 4, (lua_Integer)ls + 1), n;

	luaL_argexpected(L, type == LUA_TNUMBER || type == LUA_TSTRING ||
	    type == LUA_TFUNCTION || type == LUA_TTABLE, 3,
	    "string/function/table");
	ms_init(&ms, L, s, ls, p, lp);
	ms_charge(&ms, 1);
	luaL_buffinit(L, &b);
	n = pat_gsub_loop(&ms, &b, p, max, type, &changed);
	if (changed)
		luaL_pushresult(&b);
	else
		lua_pushvalue(L, 1);
	lua_pushinteger(L, n);
	return 2;
}

/* ---- installation ------------------------------------------------------- */

void
pat_install(lua_State *L, int lib, struct pat_meter *meter)
{
	static const luaL_Reg	 fns[] = {
		{ "find", pat_find },
		{ "match", pat_str_match },
		{ "gmatch", pat_gmatch },
		{ "gsub", pat_gsub },
		{ NULL, NULL }
	};

	lua_pushvalue(L, lib);
	lua_pushlightuserdata(L, meter);
	luaL_setfuncs(L, fns, 1);
	lua_pop(L, 1);
}
