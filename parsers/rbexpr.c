/*
 * rbexpr.c — the Ruby embedded in Fluentd configurations (see rbexpr.h).
 *
 * A recursive-descent evaluator over the grammar
 *
 *   program := stmt (';' stmt)*
 *   stmt    := NAME '=' stmt | rescue
 *   rescue  := cond ('rescue' cond)?
 *   cond    := or ('?' cond ':' cond)?
 *   or      := sum ('||' sum)*
 *   sum     := term ('+' term)*
 *
 * Every function takes `ev`: false means "parse only", which is how
 * laziness works; an unevaluated branch may even hold Ruby that is not
 * supported, which is skipped by its brackets. A raised exception
 * (KeyError, IPAddr's) switches evaluation off up to the `rescue` that
 * catches it, or to the end, where it becomes the error.
 */
#include <arpa/inet.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "rbexpr.h"

#define RB_VARS		16
#define RB_AVOID	8
#define RB_NAME_MAX	64
#define RB_DEPTH	64	/* statements and conditions nested */

struct val {
	enum rb_kind	 kind;
	char		*s;		/* RB_STR, RB_NUM */
	char		 env[RB_NAME_MAX];	/* ENV['X'] that gave nil */
};

struct rb {
	const char	*p;
	const char	*end;
	rb_getenv_fn	 getenv;
	void		*arg;
	char		*why;
	size_t		 whylen;
	bool		 raised;
	char		 raise_why[512];
	struct {
		char		 name[RB_NAME_MAX];
		struct val	 v;
	}		 vars[RB_VARS];
	int		 nvars;
	char		 avoid[RB_AVOID][RB_NAME_MAX];
	int		 navoid;
	int		 depth;		/* see deeper() */
};

static int	rb_program(struct rb *, bool, struct val *, char);
static int	rb_stmt(struct rb *, bool, struct val *);
static int	rb_cond(struct rb *, bool, struct val *);

static bool
is_word_char(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || ch == '_';
}

static bool
is_digit(int ch)
{
	return ch >= '0' && ch <= '9';
}

static void
val_free(struct val *v)
{
	free(v->s);
	memset(v, 0, sizeof *v);
}

static void
val_str(struct val *v, enum rb_kind kind, char *s)
{
	val_free(v);
	v->kind = kind;
	v->s = s;
}

static bool
truthy(const struct val *v)
{
	return v->kind != RB_NIL && v->kind != RB_FALSE;
}

static bool
live(const struct rb *r, bool ev)
{
	return ev && !r->raised;
}

static void
skip_space(struct rb *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t'))
		r->p++;
}

/* The variables whose setting would have kept evaluation from here. */
static void
avoid_text(const struct rb *r, const char *first, char *out, size_t size)
{
	size_t	 n = 0;
	int	 i, k = 0;

	out[0] = '\0';
	if (first != NULL)
		n += (size_t)snprintf(out, size, "%s", first), k++;
	for (i = r->navoid - 1; i >= 0 && n < size; i--, k++)
		n += (size_t)snprintf(out + n, size - n, "%s%s",
		    k ? " or " : "", r->avoid[i]);
}

static void
suffix(const struct rb *r, const char *first, char *out, size_t size)
{
	char	 names[256];

	avoid_text(r, first, names, sizeof names);
	if (names[0] == '\0')
		snprintf(out, size, "no environment variable avoids it: "
		    "change the value");
	else
		snprintf(out, size, "setting %s avoids it", names);
}

static int
rb_fail(struct rb *r, const char *fmt, const char *what, size_t n)
{
	char	 msg[256], sfx[320];

	snprintf(msg, sizeof msg, fmt, (int)n, what);
	suffix(r, NULL, sfx, sizeof sfx);
	snprintf(r->why, r->whylen, "%s; %s", msg, sfx);
	return -1;
}

/*
 * Nesting is recursion: (((...))), f(f(...)), a ? b ? ..., a = b = ...
 * each pass through rb_stmt or rb_cond, brackets not evaluated through
 * skip_group. Past RB_DEPTH it is an error, not a stack overflow.
 */
static int
deeper(struct rb *r)
{
	if (r->depth >= RB_DEPTH)
		return rb_fail(r, "nested more than 64 deep%.*s", "", 0);
	r->depth++;
	return 0;
}

/* A Ruby exception: caught by `rescue`, else the error. */
static void
rb_raise(struct rb *r, const char *msg, const char *first)
{
	char	 sfx[320];

	suffix(r, first, sfx, sizeof sfx);
	snprintf(r->raise_why, sizeof r->raise_why, "%.200s; %.300s", msg, sfx);
	r->raised = true;
}

static size_t
token_len(const char *p, const char *end)
{
	const char	*q = p;

	if (q < end && (*q == '\'' || *q == '"' || *q == '`')) {
		const char *c = memchr(q + 1, *q, (size_t)(end - q - 1));

		return c != NULL ? (size_t)(c + 1 - p) : (size_t)(end - p);
	}
	if (q < end && (*q == '-' || *q == '+') && q + 1 < end &&
	    is_digit(q[1]))
		q++;
	while (q < end && (is_word_char(*q) || *q == '.' || *q == ':'))
		q++;
	if (q < end && q > p && (*q == '?' || *q == '!'))
		q++;
	if (q == p && q < end)
		q++;
	return (size_t)(q - p);
}

static int
unsupported(struct rb *r)
{
	return rb_fail(r, "'%.*s' is not supported", r->p,
	    token_len(r->p, r->end));
}

static bool
word(struct rb *r, const char *w)
{
	size_t	 n = strlen(w);

	return (size_t)(r->end - r->p) >= n && memcmp(r->p, w, n) == 0 &&
	    (r->p + n == r->end || !is_word_char(r->p[n]));
}

static bool
eat(struct rb *r, char ch)
{
	skip_space(r);
	if (r->p < r->end && *r->p == ch) {
		r->p++;
		return true;
	}
	return false;
}

static int
expect(struct rb *r, char ch, const char *where)
{
	char	 msg[192];

	if (eat(r, ch))
		return 0;
	if (r->p >= r->end)
		snprintf(msg, sizeof msg, "expected '%c' %s, found the end", ch,
		    where);
	else
		snprintf(msg, sizeof msg, "expected '%c' %s, found '%.*s'", ch,
		    where, (int)token_len(r->p, r->end), r->p);
	return rb_fail(r, "%.*s", msg, strlen(msg));
}

/* 'text' (only \' and \\ escape) or "text" (no interpolation). */
static int
string_lit(struct rb *r, struct val *out)
{
	static const char	 from[] = "ntrfbaes0";
	static const char	 to[] = "\n\t\r\f\b\a\033 ";
	struct strbuf		 b = STRBUF_INIT;
	char			 q = *r->p++;
	const char		*e;

	for (;;) {
		if (r->p >= r->end) {
			sb_free(&b);
			return rb_fail(r, "unterminated string literal%.*s",
			    "", 0);
		}
		if (*r->p == q)
			break;
		if (*r->p == '\\' && r->p + 1 < r->end) {
			char	 ch = *++r->p;

			if (q == '\'' && ch != '\'' && ch != '\\')
				sb_addc(&b, '\\');
			else if (q == '"' && (e = strchr(from, ch)) != NULL &&
			    ch != '0')
				ch = to[e - from];
			else if (q == '"' && is_word_char(ch)) {
				sb_free(&b);
				r->p--;
				return rb_fail(r, "the escape '%.*s' is not "
				    "supported in a Ruby string", r->p, 2);
			}
			sb_addc(&b, ch);
			r->p++;
			continue;
		}
		if (q == '"' && *r->p == '#' && r->p + 1 < r->end &&
		    r->p[1] == '{') {
			sb_free(&b);
			return rb_fail(r, "interpolation inside a string is not "
			    "supported%.*s", "", 0);
		}
		sb_addc(&b, *r->p++);
	}
	r->p++;
	val_str(out, RB_STR, sb_take(&b));
	return 0;
}

/* Past a string literal or bracketed group, for code not evaluated. */
static int
skip_group(struct rb *r)
{
	char	 close = *r->p == '(' ? ')' : *r->p == '[' ? ']' : '}';
	struct val v;
	int	 rc = 0;

	if (deeper(r) == -1)
		return -1;
	memset(&v, 0, sizeof v);
	r->p++;
	while (rc == 0 && r->p < r->end && *r->p != close) {
		if (*r->p == '\'' || *r->p == '"') {
			rc = string_lit(r, &v);
			val_free(&v);
		} else if (*r->p == '(' || *r->p == '[' || *r->p == '{')
			rc = skip_group(r);
		else
			r->p++;
	}
	r->depth--;
	if (rc == -1)
		return -1;
	if (r->p >= r->end)
		return rb_fail(r, "unbalanced '%.*s'", &close, 1);
	r->p++;
	return 0;
}

/* Some Ruby not evaluated: names, calls and brackets, as nil. */
static int
skip_unknown(struct rb *r)
{
	const char	*start = r->p;

	while (r->p < r->end) {
		if (*r->p == '`')
			r->p += token_len(r->p, r->end);
		else if (is_word_char(*r->p) || *r->p == '.' || *r->p == ':' ||
		    ((*r->p == '?' || *r->p == '!') && r->p > start &&
		    is_word_char(r->p[-1])))
			r->p++;
		else if (*r->p == '(' || *r->p == '[') {
			if (skip_group(r) == -1)
				return -1;
		} else
			break;
	}
	if (r->p == start)
		return unsupported(r);
	return 0;
}

/* (a, b, ...) into args; returns how many, or -1. */
static int
call_args(struct rb *r, bool ev, struct val *args, int max, const char *fn)
{
	int	 n = 0;

	if (expect(r, '(', fn) == -1)
		return -1;
	if (eat(r, ')'))
		return 0;
	for (;;) {
		struct val	 scratch;

		memset(&scratch, 0, sizeof scratch);
		/* A failed expression may hold a value (args: the caller's). */
		if (rb_cond(r, ev, n < max ? &args[n] : &scratch) == -1) {
			val_free(&scratch);
			return -1;
		}
		val_free(&scratch);
		n++;
		if (eat(r, ')'))
			return n;
		if (expect(r, ',', fn) == -1)
			return -1;
	}
}

static void
args_free(struct val *args, int n)
{
	while (n-- > 0)
		val_free(&args[n]);
}

static void
name_copy(char *dst, const char *src)
{
	snprintf(dst, RB_NAME_MAX, "%s", src);
}

/* ENV['X'] */
static int
env_index(struct rb *r, bool ev, struct val *out)
{
	struct val	 name;
	const char	*v;

	memset(&name, 0, sizeof name);
	r->p++;
	skip_space(r);
	if (r->p >= r->end || (*r->p != '\'' && *r->p != '"'))
		return rb_fail(r, "ENV[...] takes a quoted name%.*s", "", 0);
	if (string_lit(r, &name) == -1 ||
	    expect(r, ']', "after the name in ENV[...]") == -1) {
		val_free(&name);
		return -1;
	}
	if (live(r, ev)) {
		if ((v = r->getenv(r->arg, name.s)) != NULL)
			val_str(out, RB_STR, xstrdup(v));
		else
			name_copy(out->env, name.s);
	}
	val_free(&name);
	return 0;
}

/* ENV.fetch('X') raises KeyError when X is unset; ENV.fetch('X', d). */
static int
env_fetch(struct rb *r, bool ev, struct val *out)
{
	struct val	 a[2];
	const char	*v;
	char		 msg[256];
	int		 n;

	memset(a, 0, sizeof a);
	if ((n = call_args(r, ev, a, 2, "in ENV.fetch(...)")) == -1) {
		args_free(a, 2);
		return -1;
	}
	if (n != 1 && n != 2) {
		args_free(a, 2);
		return rb_fail(r, "ENV.fetch takes a name and an optional "
		    "default%.*s", "", 0);
	}
	if (live(r, ev)) {
		if (a[0].kind != RB_STR) {
			args_free(a, 2);
			return rb_fail(r, "ENV.fetch needs a string name%.*s",
			    "", 0);
		}
		if ((v = r->getenv(r->arg, a[0].s)) != NULL)
			val_str(out, RB_STR, xstrdup(v));
		else if (n == 2) {
			*out = a[1];
			memset(&a[1], 0, sizeof a[1]);
		} else {
			snprintf(msg, sizeof msg, "ENV.fetch('%s') raised "
			    "KeyError: %s is not set", a[0].s, a[0].s);
			rb_raise(r, msg, a[0].s);
		}
	}
	args_free(a, 2);
	return 0;
}

/* File.join: Ruby's, one '/' between the parts. */
static int
file_join(struct rb *r, bool ev, struct val *out)
{
	struct val	 a[8];
	struct strbuf	 b = STRBUF_INIT;
	int		 n, i;

	memset(a, 0, sizeof a);
	if ((n = call_args(r, ev, a, 8, "in File.join(...)")) == -1 ||
	    n > 8) {
		args_free(a, 8);
		return n == -1 ? -1 : rb_fail(r, "File.join of more than 8 "
		    "parts%.*s", "", 0);
	}
	for (i = 0; live(r, ev) && i < n; i++) {
		const char	*s = a[i].s != NULL ? a[i].s : "";

		if (a[i].kind != RB_STR) {
			args_free(a, 8);
			sb_free(&b);
			return rb_fail(r, "File.join takes strings%.*s", "", 0);
		}
		if (i > 0) {
			while (b.len > 0 && b.buf[b.len - 1] == '/')
				b.len--;
			while (*s == '/')
				s++;
			sb_addc(&b, '/');
		}
		sb_adds(&b, s);
	}
	if (live(r, ev))
		val_str(out, RB_STR, sb_take(&b));
	sb_free(&b);
	args_free(a, 8);
	return 0;
}

/* IPAddr.new(s).ipv6? / .ipv4? */
static int
ipaddr(struct rb *r, bool ev, struct val *out)
{
	struct val	 a[1];
	unsigned char	 buf[16];
	bool		 v4, v6, want6;
	char		 msg[256];
	int		 n;

	memset(a, 0, sizeof a);
	if ((n = call_args(r, ev, a, 1, "in IPAddr.new(...)")) != 1) {
		args_free(a, 1);
		return n == -1 ? -1 : rb_fail(r, "IPAddr.new takes one "
		    "address%.*s", "", 0);
	}
	skip_space(r);
	if (r->end - r->p < 6 || (memcmp(r->p, ".ipv6?", 6) != 0 &&
	    memcmp(r->p, ".ipv4?", 6) != 0)) {
		args_free(a, 1);
		return rb_fail(r, "IPAddr.new(...) is supported only with "
		    ".ipv6? or .ipv4?, not '%.*s'", r->p,
		    token_len(r->p, r->end));
	}
	want6 = r->p[4] == '6';
	r->p += 6;
	if (live(r, ev)) {
		const char *s = a[0].kind == RB_STR ? a[0].s : "";

		v4 = inet_pton(AF_INET, s, buf) == 1;
		v6 = inet_pton(AF_INET6, s, buf) == 1;
		if (!v4 && !v6) {
			snprintf(msg, sizeof msg, "IPAddr.new('%.64s') raised "
			    "IPAddr::InvalidAddressError", s);
			rb_raise(r, msg, NULL);
		} else
			val_str(out, (want6 ? v6 : v4) ? RB_TRUE : RB_FALSE,
			    NULL);
	}
	args_free(a, 1);
	return 0;
}

static int
variable(struct rb *r, bool ev, struct val *out)
{
	size_t	 n = token_len(r->p, r->end);
	int	 i;

	for (i = 0; i < r->nvars; i++)
		if (strlen(r->vars[i].name) == n &&
		    memcmp(r->vars[i].name, r->p, n) == 0)
			break;
	if (i == r->nvars) {
		if (!live(r, ev))
			return skip_unknown(r);
		return unsupported(r);
	}
	r->p += n;
	if (live(r, ev)) {
		val_free(out);
		out->kind = r->vars[i].v.kind;
		out->s = r->vars[i].v.s ? xstrdup(r->vars[i].v.s) : NULL;
	}
	return 0;
}

static int
number(struct rb *r, bool ev, struct val *out)
{
	const char	*s = r->p;

	if (*r->p == '-' || *r->p == '+')
		r->p++;
	while (r->p < r->end && (is_digit(*r->p) || *r->p == '_' ||
	    (*r->p == '.' && r->p + 1 < r->end && is_digit(r->p[1]))))
		r->p++;
	if (live(r, ev))
		val_str(out, RB_NUM, xstrndup(s, (size_t)(r->p - s)));
	return 0;
}

static int
term(struct rb *r, bool ev, struct val *out)
{
	static const struct {
		const char	*w;
		enum rb_kind	 kind;
	} consts[] = {
		{ "nil", RB_NIL }, { "true", RB_TRUE }, { "false", RB_FALSE },
		{ "use_default", RB_USE_DEFAULT }, { "use_nil", RB_USE_NIL },
	};
	size_t	 i;

	skip_space(r);
	if (r->p >= r->end)
		return rb_fail(r, "expected a value, found the end%.*s", "", 0);
	if (*r->p == '(') {
		r->p++;
		if (rb_program(r, ev, out, ')') == -1)
			return -1;
		return expect(r, ')', "to close '('");
	}
	if (*r->p == '\'' || *r->p == '"') {
		if (!live(r, ev)) {
			struct val	 v;

			memset(&v, 0, sizeof v);
			i = (size_t)string_lit(r, &v);
			val_free(&v);
			return (int)i;
		}
		return string_lit(r, out);
	}
	if (is_digit(*r->p) || ((*r->p == '-' || *r->p == '+') &&
	    r->p + 1 < r->end && is_digit(r->p[1])))
		return number(r, ev, out);
	for (i = 0; i < sizeof consts / sizeof consts[0]; i++)
		if (word(r, consts[i].w)) {
			r->p += strlen(consts[i].w);
			if (live(r, ev))
				val_str(out, consts[i].kind, NULL);
			return 0;
		}
	if (r->end - r->p > 3 && memcmp(r->p, "ENV[", 4) == 0) {
		r->p += 3;
		return env_index(r, ev, out);
	}
	if (word(r, "ENV.fetch")) {
		r->p += 9;
		return env_fetch(r, ev, out);
	}
	if (word(r, "File.join")) {
		r->p += 9;
		return file_join(r, ev, out);
	}
	if (word(r, "IPAddr.new")) {
		r->p += 10;
		return ipaddr(r, ev, out);
	}
	if (*r->p >= 'a' && *r->p <= 'z')
		return variable(r, ev, out);
	if (!live(r, ev))
		return skip_unknown(r);
	return unsupported(r);
}

static int
sum(struct rb *r, bool ev, struct val *out)
{
	struct val	 rhs;
	char		*s;

	if (term(r, ev, out) == -1)
		return -1;
	while (skip_space(r), r->p < r->end && *r->p == '+') {
		r->p++;
		memset(&rhs, 0, sizeof rhs);
		if (term(r, ev, &rhs) == -1) {
			val_free(&rhs);
			return -1;
		}
		if (live(r, ev)) {
			if (out->kind != RB_STR || rhs.kind != RB_STR) {
				val_free(&rhs);
				rb_raise(r, "'+' raised TypeError: only strings "
				    "are added here", NULL);
				continue;
			}
			s = xasprintf("%s%s", out->s, rhs.s);
			val_str(out, RB_STR, s);
		}
		val_free(&rhs);
	}
	return 0;
}

/* a || b: b only when a is nil or false. */
static int
or_expr(struct rb *r, bool ev, struct val *out)
{
	int	 base = r->navoid, rc = 0;

	if (sum(r, ev, out) == -1)
		return -1;
	while (skip_space(r), r->end - r->p >= 2 && r->p[0] == '|' &&
	    r->p[1] == '|') {
		bool	 need = live(r, ev) && !truthy(out);

		r->p += 2;
		if (need && out->env[0] != '\0' && r->navoid < RB_AVOID)
			name_copy(r->avoid[r->navoid++], out->env);
		if (need)
			val_free(out);
		if ((rc = sum(r, need, need ? out : &(struct val){ 0 })) == -1)
			break;
	}
	r->navoid = base;
	return rc;
}

static int
cond(struct rb *r, bool ev, struct val *out)
{
	struct val	 a, b;
	bool		 t;
	int		 rc;

	if (or_expr(r, ev, out) == -1)
		return -1;
	skip_space(r);
	if (r->p >= r->end || *r->p != '?')
		return 0;
	r->p++;
	t = live(r, ev) && truthy(out);
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	rc = rb_cond(r, ev && t, &a);
	if (rc == 0)
		rc = expect(r, ':', "in 'cond ? a : b'");
	if (rc == 0)
		rc = rb_cond(r, live(r, ev) && !t, &b);
	if (rc == 0 && live(r, ev)) {
		val_free(out);
		*out = t ? a : b;
		memset(t ? &a : &b, 0, sizeof a);
	}
	val_free(&a);
	val_free(&b);
	return rc;
}

/* fn one level deeper; see deeper(). */
static int
nested(struct rb *r, bool ev, struct val *out,
    int (*fn)(struct rb *, bool, struct val *))
{
	int	 rc;

	if (deeper(r) == -1)
		return -1;
	rc = fn(r, ev, out);
	r->depth--;
	return rc;
}

static int
rb_cond(struct rb *r, bool ev, struct val *out)
{
	return nested(r, ev, out, cond);
}

static int
rescue_expr(struct rb *r, bool ev, struct val *out)
{
	bool	 before = r->raised;

	if (rb_cond(r, ev, out) == -1)
		return -1;
	skip_space(r);
	if (!word(r, "rescue"))
		return 0;
	r->p += 6;
	if (ev && !before && r->raised) {
		r->raised = false;
		val_free(out);
		return rb_cond(r, ev, out);
	}
	return rb_cond(r, false, &(struct val){ 0 });
}

static int
stmt(struct rb *r, bool ev, struct val *out)
{
	const char	*save;
	size_t		 n;
	int		 i;

	skip_space(r);
	save = r->p;
	n = token_len(r->p, r->end);
	if (n > 0 && *r->p >= 'a' && *r->p <= 'z' && n < RB_NAME_MAX &&
	    memchr(r->p, '.', n) == NULL && memchr(r->p, ':', n) == NULL) {
		r->p += n;
		skip_space(r);
		if (r->p < r->end && *r->p == '=' &&
		    (r->p + 1 == r->end || (r->p[1] != '=' && r->p[1] != '~'))) {
			r->p++;
			if (rb_stmt(r, ev, out) == -1)
				return -1;
			if (!live(r, ev))
				return 0;
			for (i = 0; i < r->nvars; i++)
				if (strlen(r->vars[i].name) == n &&
				    memcmp(r->vars[i].name, save, n) == 0)
					break;
			if (i == RB_VARS)
				return rb_fail(r, "more than 16 variables%.*s",
				    "", 0);
			if (i == r->nvars)
				snprintf(r->vars[r->nvars++].name, RB_NAME_MAX,
				    "%.*s", (int)n, save);
			val_free(&r->vars[i].v);
			r->vars[i].v.kind = out->kind;
			r->vars[i].v.s = out->s ? xstrdup(out->s) : NULL;
			return 0;
		}
		r->p = save;
	}
	return rescue_expr(r, ev, out);
}

static int
rb_stmt(struct rb *r, bool ev, struct val *out)
{
	return nested(r, ev, out, stmt);
}

static int
rb_program(struct rb *r, bool ev, struct val *out, char close)
{
	for (;;) {
		if (rb_stmt(r, ev, out) == -1)
			return -1;
		skip_space(r);
		if (r->p >= r->end || *r->p != ';')
			break;
		r->p++;
		skip_space(r);
		if (r->p >= r->end || *r->p == close)
			break;
		if (live(r, ev))
			val_free(out);
	}
	skip_space(r);
	if (r->p < r->end && *r->p != close)
		return rb_fail(r, "'%.*s' is not supported here", r->p,
		    token_len(r->p, r->end));
	return 0;
}

int
rb_eval(const char *code, size_t len, rb_getenv_fn env, void *arg,
    enum rb_kind *kind, struct strbuf *out, char *why, size_t whylen)
{
	struct rb	*r = xcalloc(1, sizeof *r);
	struct val	 v;
	int		 rc, i;

	memset(&v, 0, sizeof v);
	r->p = code;
	r->end = code + len;
	r->getenv = env;
	r->arg = arg;
	r->why = why;
	r->whylen = whylen;
	why[0] = '\0';
	skip_space(r);
	rc = r->p == r->end ? 0 : rb_program(r, true, &v, '\0');
	if (rc == 0 && r->raised) {
		snprintf(why, whylen, "%s", r->raise_why);
		rc = -1;
	}
	if (rc == 0) {
		*kind = v.kind;
		if (v.s != NULL)
			sb_adds(out, v.s);
		else if (v.kind == RB_TRUE || v.kind == RB_FALSE)
			sb_adds(out, v.kind == RB_TRUE ? "true" : "false");
	}
	val_free(&v);
	for (i = 0; i < r->nvars; i++)
		val_free(&r->vars[i].v);
	free(r);
	return rc;
}
