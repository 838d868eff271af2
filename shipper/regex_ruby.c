/*
 * regex_ruby.c — Ruby regexp syntax to PCRE2's (see regex_ruby.h).
 *
 * One pass that copies the pattern and rewrites what means something
 * else in PCRE2. It keeps a stack of the open groups (where each starts
 * in the output, whether /x is on in it) and where the last item a
 * quantifier would take starts: Ruby's X{n}? is (?:X{n})?, so the
 * translation has to go back and open a group before X.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "regex_ruby.h"

#define DEPTH_MAX	256	/* PCRE2 refuses deeper nesting anyway */
#define NO_ATOM		((size_t)-1)

struct rx_group {
	size_t	 start;		/* in out */
	bool	 ext;		/* /x in force inside */
	bool	 isolated;	/* opened for (?i): closes with its enclosing
				   group, as Ruby's isolated option does */
};

struct rx {
	const char	*s;
	size_t		 i;
	struct strbuf	*out;
	struct rx_group	 g[DEPTH_MAX];	/* g[0]: the whole pattern */
	size_t		 depth;
	size_t		 atom;		/* in out: what a quantifier takes */
	const char	*why;
	size_t		 at;
};

/* --- \d \w \s \h: Ruby's are ASCII, PCRE2_UCP's would not be ----------- */

/* lo, hi pairs, 0-ended. */
static const unsigned char set_digit[] = { '0', '9', 0 };
static const unsigned char set_word[] = { '0', '9', 'A', 'Z', '_', '_',
	'a', 'z', 0 };
static const unsigned char set_space[] = { '\t', '\r', ' ', ' ', 0 };
static const unsigned char set_hex[] = { '0', '9', 'A', 'F', 'a', 'f', 0 };

static const unsigned char *
ascii_set(char letter)
{
	switch (tolower((unsigned char)letter)) {
	case 'd':
		return set_digit;
	case 'w':
		return set_word;
	case 's':
		return set_space;
	case 'h':
		return set_hex;
	}
	return NULL;
}

static void
emit_range(struct strbuf *out, unsigned lo, unsigned hi)
{
	if (lo == hi)
		sb_addf(out, "\\x{%x}", lo);
	else
		sb_addf(out, "\\x{%x}-\\x{%x}", lo, hi);
}

/* The set's ranges, or those of everything else (inside a class). */
static void
emit_ranges(struct strbuf *out, const unsigned char *p, bool complement)
{
	unsigned	 lo = 0;

	for (; *p != 0; p += 2) {
		if (!complement)
			emit_range(out, p[0], p[1]);
		else if (p[0] > lo)
			emit_range(out, lo, p[0] - 1u);
		lo = p[1] + 1u;
	}
	if (complement)
		emit_range(out, lo, 0x10ffff);
}

static void
emit_set(struct rx *r, char letter, bool in_class)
{
	const unsigned char	*set = ascii_set(letter);
	bool			 neg = isupper((unsigned char)letter);

	if (in_class) {
		emit_ranges(r->out, set, neg);
		return;
	}
	sb_adds(r->out, neg ? "[^" : "[");
	emit_ranges(r->out, set, false);
	sb_addc(r->out, ']');
}

/* --- escapes ------------------------------------------------------------- */

static void
copy_escape(struct rx *r)
{
	sb_addc(r->out, '\\');
	r->i++;
	if (r->s[r->i] != '\0')
		sb_addc(r->out, r->s[r->i++]);
}

/* Ruby's POSIX names of \p{...}, case, spaces, _ and - aside. */
static bool
posix_name(const char *name, size_t len, char canon[16])
{
	static const char *const names[] = {
		"alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph",
		"lower", "print", "punct", "space", "upper", "word", "xdigit",
		NULL
	};
	size_t	 i, n = 0;

	for (i = 0; i < len && n < 15; i++)
		if (name[i] != ' ' && name[i] != '_' && name[i] != '-')
			canon[n++] = (char)tolower((unsigned char)name[i]);
	canon[n] = '\0';
	for (i = 0; names[i] != NULL; i++)
		if (strcmp(canon, names[i]) == 0)
			return true;
	return false;
}

/* \p{Alpha}, \p{^Alpha}, \P{Alpha}: the POSIX bracket; others as they are. */
static void
rx_property(struct rx *r, bool in_class)
{
	const char	*p = r->s + r->i, *name = p + 3, *close;
	bool		 neg = p[1] == 'P';
	char		 canon[16];

	if (p[2] != '{' || (close = strchr(name, '}')) == NULL) {
		copy_escape(r);
		return;
	}
	if (*name == '^') {
		neg = !neg;
		name++;
	}
	if (posix_name(name, (size_t)(close - name), canon))
		sb_addf(r->out, in_class ? "[:%s%s:]" : "[[:%s%s:]]",
		    neg ? "^" : "", canon);
	else
		sb_add(r->out, p, (size_t)(close + 1 - p));
	r->i += (size_t)(close + 1 - p);
}

/* Hex digits at p, up to max; how many. */
static size_t
hex_run(const char *p, size_t max)
{
	size_t	 n = 0;

	while (n < max && isxdigit((unsigned char)p[n]))
		n++;
	return n;
}

/* \u{H H...}: each code point as \x{H}, if the list is well formed. */
static bool
rx_unicode_list(struct rx *r, const char *p)
{
	const char	*q = p;
	size_t		 n, start = r->out->len;

	for (;;) {
		while (*q == ' ')
			q++;
		if (*q == '}' && q > p)
			break;
		if ((n = hex_run(q, 6)) == 0) {
			r->out->len = start;
			return false;
		}
		sb_addf(r->out, "\\x{%.*s}", (int)n, q);
		q += n;
	}
	r->i = (size_t)(q + 1 - r->s);
	return true;
}

/* \uHHHH and \u{...}, which PCRE2 spells \x{...}. */
static void
rx_unicode(struct rx *r)
{
	const char	*p = r->s + r->i + 2;

	if (*p == '{' && rx_unicode_list(r, p + 1))
		return;
	if (hex_run(p, 4) != 4) {
		copy_escape(r);
		return;
	}
	sb_addf(r->out, "\\x{%.4s}", p);
	r->i += 6;
}

static void
rx_escape(struct rx *r, bool in_class)
{
	char	 c = r->s[r->i + 1];

	if (c != '\0' && strchr("dDwWsShH", c) != NULL) {
		emit_set(r, c, in_class);
		r->i += 2;
		return;
	}
	switch (c) {
	case 'v':			/* PCRE2: any vertical space */
		sb_adds(r->out, "\\x{b}");
		r->i += 2;
		return;
	case 'Q':			/* PCRE2: quoting; Ruby: the letter */
	case 'E':
		sb_addc(r->out, c);
		r->i += 2;
		return;
	case 'u':
		rx_unicode(r);
		return;
	case 'p':
	case 'P':
		rx_property(r, in_class);
		return;
	}
	copy_escape(r);
}

/* --- character classes --------------------------------------------------- */

static int
rx_refuse(struct rx *r, size_t at, const char *why)
{
	r->why = why;
	r->at = at;
	return -1;
}

/* Length of a POSIX bracket [:name:] or [:^name:] at p, else 0. */
static size_t
posix_bracket(const char *p)
{
	size_t	 n = 2;

	if (p[0] != '[' || p[1] != ':')
		return 0;
	if (p[n] == '^')
		n++;
	while (islower((unsigned char)p[n]))
		n++;
	return p[n] == ':' && p[n + 1] == ']' ? n + 2 : 0;
}

static int	rx_class(struct rx *, bool);

/* One item of a class: ], a POSIX bracket, a nested class, an escape. */
static int
rx_class_item(struct rx *r, bool *closed)
{
	const char	*p = r->s + r->i;
	size_t		 n;

	if (*p == ']') {
		*closed = true;
		r->i++;
		return 0;
	}
	if (p[0] == '&' && p[1] == '&')
		return rx_refuse(r, r->i, "a class intersection (&&) has no "
		    "PCRE2 form: list the characters it leaves, or use a "
		    "lookahead, (?=[...])[...]");
	if ((n = posix_bracket(p)) > 0) {
		sb_add(r->out, p, n);
		r->i += n;
	} else if (*p == '[')
		return rx_class(r, true);
	else if (*p == '\\')
		rx_escape(r, true);
	else
		sb_addc(r->out, r->s[r->i++]);
	return 0;
}

/*
 * [...] at r->i. A class nested in another is a union in Ruby: its items
 * join the outer one's, without brackets.
 */
static int
rx_class(struct rx *r, bool nested)
{
	size_t	 open = r->i++;
	bool	 closed = false;

	if (r->s[r->i] == '^' && nested)
		return rx_refuse(r, open, "a negated class inside a class "
		    "([...[^...]...]) has no PCRE2 form: list the characters "
		    "it leaves, or use a lookahead, (?![...])[...]");
	if (!nested)
		sb_addc(r->out, '[');
	if (r->s[r->i] == '^')
		sb_addc(r->out, r->s[r->i++]);
	if (r->s[r->i] == ']')			/* first: a literal ] */
		sb_addc(r->out, r->s[r->i++]);
	while (!closed && r->s[r->i] != '\0')
		if (rx_class_item(r, &closed) != 0)
			return -1;
	if (closed && !nested)
		sb_addc(r->out, ']');
	return 0;	/* unterminated: PCRE2 says so */
}

/* --- groups -------------------------------------------------------------- */

static int
rx_push(struct rx *r, size_t start, bool ext, bool isolated)
{
	if (r->depth + 1 >= DEPTH_MAX)
		return rx_refuse(r, r->i, "groups nested too deep");
	r->depth++;
	r->g[r->depth].start = start;
	r->g[r->depth].ext = ext;
	r->g[r->depth].isolated = isolated;
	r->atom = NO_ATOM;
	return 0;
}

/* The isolated options open in the current group end with it. */
static void
rx_close_isolated(struct rx *r)
{
	while (r->depth > 0 && r->g[r->depth].isolated) {
		sb_addc(r->out, ')');
		r->depth--;
	}
}

static void
rx_close(struct rx *r)
{
	rx_close_isolated(r);
	if (r->depth > 0)	/* else unbalanced: PCRE2 says so */
		r->atom = r->g[r->depth--].start;
	sb_addc(r->out, ')');
	r->i++;
}

/*
 * (?imx-imx) and (?imx-imx:...): Ruby's m is PCRE2's s. The isolated
 * form takes the rest of its group in Ruby, alternatives included
 * (a(?i)b|c is a(?i:b|c)), so it becomes a group to that group's end.
 * Returns 1 when the letters are no options (a group of another kind).
 */
static int
rx_options(struct rx *r)
{
	const char	*p = r->s + r->i + 2, *q = p;
	size_t		 start = r->out->len;
	bool		 ext = r->g[r->depth].ext, on = true;

	while (isalpha((unsigned char)*q) || *q == '-')
		q++;
	if (q == p || (*q != ')' && *q != ':'))
		return 1;
	sb_adds(r->out, "(?");
	for (; p < q; p++) {
		if (*p == '-')
			on = false;
		else if (*p == 'x')
			ext = on;
		sb_addc(r->out, *p == 'm' ? 's' : *p);
	}
	sb_addc(r->out, ':');
	r->i = (size_t)(q + 1 - r->s);
	return rx_push(r, start, ext, *q == ')');
}

static int
rx_open(struct rx *r)
{
	const char	*p = r->s + r->i;
	const char	*end;
	int		 rc;

	if (p[1] == '?' && p[2] == '#') {	/* a comment, to its ) */
		end = strchr(p, ')');
		end = end != NULL ? end + 1 : p + strlen(p);
		sb_add(r->out, p, (size_t)(end - p));
		r->i += (size_t)(end - p);
		return 0;
	}
	if (p[1] == '?' && (rc = rx_options(r)) <= 0)
		return rc;
	if (rx_push(r, r->out->len, r->g[r->depth].ext, false) != 0)
		return -1;
	sb_addc(r->out, '(');
	r->i++;
	return 0;
}

/* --- intervals ----------------------------------------------------------- */

/* Wraps out[atom...] in (?: ... ), for an interval Ruby quantifies again. */
static void
wrap_atom(struct rx *r)
{
	struct strbuf	*out = r->out;

	sb_reserve(out, 3);
	memmove(out->buf + r->atom + 3, out->buf + r->atom,
	    out->len - r->atom);
	memcpy(out->buf + r->atom, "(?:", 3);
	out->len += 3;
}

/*
 * {n}, {n,}, {,m}, {n,m}. {,m} is {0,m} (PCRE2 10.42 reads it as text);
 * X{n}? is (?:X{n})? and X{n,m}+ is (?:X{n,m})+ (PCRE2: lazy and
 * possessive). Anything else is a literal {, in both.
 */
static void
rx_interval(struct rx *r)
{
	const char	*p = r->s + r->i + 1, *q = p;
	size_t		 lo, hi = 0;
	bool		 comma, again;

	lo = strspn(q, "0123456789");
	q += lo;
	if ((comma = *q == ','))
		q += 1 + (hi = strspn(q + 1, "0123456789"));
	if (*q != '}' || (lo == 0 && hi == 0)) {
		r->atom = r->out->len;
		sb_addc(r->out, '{');
		r->i++;
		return;
	}
	again = r->atom != NO_ATOM && ((q[1] == '?' && !comma) || q[1] == '+');
	if (again)
		wrap_atom(r);
	sb_addf(r->out, "{%s%.*s}", lo == 0 ? "0" : "", (int)(q - p), p);
	if (again)
		sb_addc(r->out, ')');
	r->i = (size_t)(q + 1 - r->s);
}

/* --- the pattern --------------------------------------------------------- */

/* /x: a comment to the end of its line, or white space. */
static void
rx_extended(struct rx *r)
{
	const char	*p = r->s + r->i;
	size_t		 n = 1;

	if (*p == '#')
		n = strcspn(p, "\n") + (p[strcspn(p, "\n")] == '\n');
	sb_add(r->out, p, n);
	r->i += n;
}

static int
rx_item(struct rx *r)
{
	char	 c = r->s[r->i];
	size_t	 start = r->out->len;

	if (r->g[r->depth].ext && (c == '#' || isspace((unsigned char)c))) {
		rx_extended(r);
		return 0;
	}
	switch (c) {
	case '\\':
		r->atom = start;
		rx_escape(r, false);
		return 0;
	case '[':
		r->atom = start;
		return rx_class(r, false);
	case '(':
		return rx_open(r);
	case ')':
		rx_close(r);
		return 0;
	case '{':
		rx_interval(r);
		return 0;
	case '*':
	case '+':
	case '?':
		break;
	case '|':
		r->atom = NO_ATOM;
		break;
	default:
		if (((unsigned char)c & 0xc0) != 0x80)	/* not inside a char */
			r->atom = start;
	}
	sb_addc(r->out, c);
	r->i++;
	return 0;
}

int
regex_ruby_to_pcre2(const char *ruby, bool extended, struct strbuf *out,
    const char **why, size_t *at)
{
	struct rx	 r;

	memset(&r, 0, sizeof r);
	r.s = ruby;
	r.out = out;
	r.atom = NO_ATOM;
	r.g[0].ext = extended;
	while (r.s[r.i] != '\0') {
		if (rx_item(&r) != 0) {
			*why = r.why;
			*at = r.at;
			return -1;
		}
	}
	rx_close_isolated(&r);
	return 0;
}
