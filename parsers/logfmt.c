/*
 * logfmt.c — logrus' text format into records.
 *
 *   time="2025-03-11T19:06:11Z" level=info msg=Configured admin_ids="[]"
 *
 * logrus writes `key=value` pairs separated by one space, and quotes a
 * value with Go's %q as soon as it holds anything outside
 * [A-Za-z0-9-._/@^+]. So a well-formed line never holds a raw NUL, a
 * control character or invalid UTF-8, and those are checked once over the
 * whole line before any field is looked at. Bare values and quoted values
 * without a backslash point into the line; only values with escapes are
 * decoded, into the batch's arena.
 *
 * A line is foreign text (a panic, a klog line) when it does not start
 * with key=value or lacks the required keys; once it has started like
 * logfmt, an unterminated quote is truncation and anything else syntax.
 */
#include <stddef.h>
#include <string.h>

#include "logfmt.h"
#include "hex.h"
#include "utf8.h"

#define LOGFMT_MAX_REQUIRED 64	/* required keys tracked in a bit mask */

static enum parse_status
logfmt_fail(struct parse_error *err, enum bad_kind kind, size_t offset,
    const char *what)
{
	if (err != NULL) {
		err->kind = kind;
		err->offset = offset;
		err->what = what;
	}
	return PARSE_FAIL;
}

/* n hex digits at s as a number, or -1. */
static long
hexn(const char *s, size_t n)
{
	long	 v = 0;
	size_t	 i;
	int	 h;

	for (i = 0; i < n; i++) {
		if ((h = hex_digit(s[i])) < 0)
			return -1;
		v = v << 4 | h;
	}
	return v;
}

/*
 * One Go escape at s[1] (s[0] is the backslash), as strconv.Unquote reads
 * it inside double quotes. Returns how many input bytes it took, 0 when
 * it is not a valid escape. \x and octal give a byte, \u and \U a rune.
 */
static size_t
go_escape(const char *s, size_t n, char **o)
{
	static const char	 simple[] = "a\ab\bf\fn\nr\rt\tv\v\\\\\"\"";
	const char		*p;
	long			 v;

	if (n < 2)
		return 0;
	for (p = simple; *p != '\0'; p += 2) {
		if (s[1] == p[0]) {
			*(*o)++ = p[1];
			return 2;
		}
	}
	switch (s[1]) {
	case 'x':
		if (n < 4 || (v = hexn(s + 2, 2)) < 0)
			return 0;
		*(*o)++ = (char)v;
		return 4;
	case 'u':
	case 'U':
		if (n < (s[1] == 'u' ? 6u : 10u) ||
		    (v = hexn(s + 2, s[1] == 'u' ? 4 : 8)) < 0 ||
		    v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
			return 0;
		*o = utf8_put(*o, (unsigned long)v);
		return s[1] == 'u' ? 6 : 10;
	}
	if (n < 4 || s[1] < '0' || s[1] > '3' || s[2] < '0' || s[2] > '7' ||
	    s[3] < '0' || s[3] > '7')
		return 0;
	*(*o)++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
	return 4;
}

/*
 * Decodes the n bytes inside a quoted value into out (n bytes suffice:
 * every escape is longer than what it stands for). Returns the decoded
 * length, or -1 with *bad at the offending escape.
 */
static long
go_unquote(const char *s, size_t n, char *out, size_t *bad)
{
	const char	*bs;
	char		*o = out;
	size_t		 i = 0, run, k;

	while (i < n) {
		bs = memchr(s + i, '\\', n - i);
		run = (bs != NULL ? (size_t)(bs - s) : n) - i;
		memcpy(o, s + i, run);
		o += run;
		i += run;
		if (bs == NULL)
			break;
		if ((k = go_escape(s + i, n - i, &o)) == 0) {
			*bad = i;
			return -1;
		}
		i += k;
	}
	return (long)(o - out);
}

/* Is the quote at s[i] escaped, by an odd run of backslashes before it? */
static bool
quote_escaped(const char *s, size_t i, size_t start)
{
	size_t	 k = i;

	while (k > start && s[k - 1] == '\\')
		k--;
	return (i - k) % 2 == 1;
}

/* The closing quote of a value opened at s[start - 1], or len if none. */
static size_t
closing_quote(const char *s, size_t len, size_t start)
{
	const char	*q;
	size_t		 i = start;

	while ((q = memchr(s + i, '"', len - i)) != NULL) {
		i = (size_t)(q - s);
		if (!quote_escaped(s, i, start))
			return i;
		i++;
	}
	return len;
}

struct lf_value {
	const char	*val;
	size_t		 vlen;
	size_t		 next;	/* offset past the value */
};

/* A quoted value whose opening quote is at line[i]. */
static enum parse_status
logfmt_quoted(const char *line, size_t len, size_t i, struct batch *b,
    struct lf_value *v, struct parse_error *err)
{
	size_t	 q, n, bad = 0;
	char	*p;
	long	 dl;

	q = closing_quote(line, len, i + 1);
	if (q == len)
		return logfmt_fail(err, BAD_TRUNCATED, i, "unterminated quote");
	n = q - (i + 1);
	v->next = q + 1;
	if (memchr(line + i + 1, '\\', n) == NULL) {
		v->val = line + i + 1;
		v->vlen = n;
		return PARSE_OK;
	}
	p = batch_alloc(b, n);
	if ((dl = go_unquote(line + i + 1, n, p, &bad)) < 0) {
		batch_shrink_last(b, p, n, 0);
		return logfmt_fail(err, BAD_SYNTAX, i + 1 + bad,
		    "invalid escape in quoted value");
	}
	batch_shrink_last(b, p, n, (size_t)dl);
	v->val = p;
	v->vlen = (size_t)dl;
	return PARSE_OK;
}

/* The value starting at line[i], just after its `=`. */
static enum parse_status
logfmt_value(const char *line, size_t len, size_t i, struct batch *b,
    struct lf_value *v, struct parse_error *err)
{
	size_t	 j;

	if (i < len && line[i] == '"') {
		if (logfmt_quoted(line, len, i, b, v, err) != PARSE_OK)
			return PARSE_FAIL;
		if (v->next < len && line[v->next] != ' ')
			return logfmt_fail(err, BAD_SYNTAX, v->next,
			    "text after a quoted value");
		return PARSE_OK;
	}
	for (j = i; j < len && line[j] != ' '; j++) {
		if (line[j] == '"')
			return logfmt_fail(err, BAD_SYNTAX, j,
			    "quote inside a bare value");
	}
	v->val = line + i;
	v->vlen = j - i;
	v->next = j;
	return PARSE_OK;
}

/* A key runs up to its `=`: no blank, quote or control character. */
static size_t
logfmt_key(const char *line, size_t len, size_t i)
{
	unsigned char	 c;

	for (; i < len; i++) {
		c = (unsigned char)line[i];
		if (c == '=' || c == ' ' || c == '"' || c < 0x20 || c == 0x7f)
			break;
	}
	return i;
}

/* Which of the required keys is this; sets its bit in *seen. */
static void
logfmt_required(const struct logfmt_opts *opts, const char *key,
    size_t klen, uint64_t *seen)
{
	size_t	 k;

	for (k = 0; k < opts->nrequired && k < LOGFMT_MAX_REQUIRED; k++) {
		if (strlen(opts->required[k]) == klen &&
		    memcmp(opts->required[k], key, klen) == 0)
			*seen |= (uint64_t)1 << k;
	}
}

static bool
logfmt_has_required(const struct logfmt_opts *opts, uint64_t seen)
{
	size_t	 n = opts->nrequired;
	uint64_t all;

	if (n > LOGFMT_MAX_REQUIRED)
		n = LOGFMT_MAX_REQUIRED;
	all = n == 64 ? ~(uint64_t)0 : ((uint64_t)1 << n) - 1;
	return (seen & all) == all;
}

/* NUL and invalid UTF-8 first: they are damage whatever the syntax. */
static enum parse_status
logfmt_check_bytes(const char *line, size_t len, struct parse_error *err)
{
	const char	*nul;
	size_t		 valid;

	if (len == 0)
		return logfmt_fail(err, BAD_EMPTY, 0, "empty line");
	if ((nul = memchr(line, '\0', len)) != NULL)
		return logfmt_fail(err, BAD_EMBEDDED_NUL, (size_t)(nul - line),
		    "NUL byte");
	if ((valid = utf8_valid_prefix(line, len)) != len)
		return logfmt_fail(err, BAD_INVALID_UTF8, valid,
		    "invalid UTF-8");
	return PARSE_OK;
}

/*
 * Is there a " key=" in rest? The last value of a key is the one the
 * filters test, so the gate may stop the parse only when there is not
 * (the caller then asks gate_passes). Quoted text that looks like a pair
 * only costs the early exit.
 */
static bool
key_again(const char *rest, size_t n, const char *key, size_t klen)
{
	const char	*p = rest, *end = rest + n;

	while ((p = memchr(p, '=', (size_t)(end - p))) != NULL) {
		if ((size_t)(p - rest) >= klen + 1 && p[-(ptrdiff_t)klen - 1] ==
		    ' ' && memcmp(p - klen, key, klen) == 0)
			return true;
		p++;
	}
	return false;
}

enum parse_status
logfmt_parse(const char *line, size_t len, const struct logfmt_opts *opts,
    struct batch *b, const struct gate *gate, struct gate_state *gst,
    struct parse_error *err)
{
	struct lf_value	 v;
	size_t		 i = 0, ks;
	uint64_t	 seen = 0;
	bool		 first = true, late_gate = false;

	if (err != NULL) {
		err->kind = BAD_NONE;
		err->offset = 0;
		err->what = NULL;
	}
	/* A line handed over with its end of line still on it. */
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (logfmt_check_bytes(line, len, err) != PARSE_OK)
		return PARSE_FAIL;
	for (;;) {
		while (i < len && line[i] == ' ')
			i++;
		if (i == len)
			break;
		ks = i;
		i = logfmt_key(line, len, ks);
		if (i == ks || i == len || line[i] != '=')
			return logfmt_fail(err, first ? BAD_FOREIGN_TEXT :
			    BAD_SYNTAX, i, "expected key=value");
		if (logfmt_value(line, len, i + 1, b, &v, err) != PARSE_OK)
			return PARSE_FAIL;
		batch_add(b, line + ks, i - ks, v.val, v.vlen, VAL_STRING);
		if (opts != NULL)
			logfmt_required(opts, line + ks, i - ks, &seen);
		if (gate != NULL && gst != NULL && gate_feed(gate, gst,
		    line + ks, i - ks, v.val, v.vlen) == GATE_DROP &&
		    !late_gate && !(late_gate = key_again(line + v.next,
		    len - v.next, line + ks, i - ks)))
			return PARSE_DROP;
		i = v.next;
		first = false;
	}
	if (first)
		return logfmt_fail(err, BAD_FOREIGN_TEXT, 0, "blank line");
	if (opts != NULL && !logfmt_has_required(opts, seen))
		return logfmt_fail(err, BAD_FOREIGN_TEXT, 0,
		    "required key missing");
	return PARSE_OK;
}
