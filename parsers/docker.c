/*
 * docker.c — Docker's json-file log lines, by hand.
 *
 *   {"log":"time=\"...\" level=info ...\n","stream":"stdout","time":"..."}
 *
 * This runs on every line of every Docker node, so it is a single pass
 * with no allocation and no general JSON parser: the `log` value is
 * unescaped straight into the caller's scratch (escapes only ever shrink,
 * so len bytes are enough), runs without escapes go through memcpy, and
 * any other member is skipped after checking its grammar.
 *
 * The bytes of `log` are kept as they are: dockerd writes invalid UTF-8
 * raw, and deciding what to do with it is the inner parser's job. Raw
 * control bytes inside strings, which strict JSON forbids, are accepted
 * for the same reason: refusing the envelope would lose the line.
 */
#include <stdint.h>
#include <string.h>

#include "envelope.h"
#include "hex.h"
#include "utf8.h"
#include "timefmt.h"

#define DOCKER_MAX_DEPTH 64	/* nesting of skipped values (attrs) */

struct dscan {
	const char	*end;
	bool		 eof;	/* failed because the input ran out */
};

static const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' ||
	    *p == '\r'))
		p++;
	return p;
}

/* NULL for an error; sets eof when it is only that the input ended. */
static const char *
ran_out(struct dscan *ds)
{
	ds->eof = true;
	return NULL;
}

/* Four hex digits at p, or -1. */
static long
hex4(const char *p)
{
	int	 a = hex_digit(p[0]), b = hex_digit(p[1]), c = hex_digit(p[2]);
	int	 d = hex_digit(p[3]);

	if (a < 0 || b < 0 || c < 0 || d < 0)
		return -1;
	return (long)a << 12 | b << 8 | c << 4 | d;
}

/*
 * \uXXXX at p (p points at the u), joining a surrogate pair. A lone
 * surrogate has no UTF-8 form and becomes U+FFFD, as in Go and yajl.
 */
static const char *
unescape_u(struct dscan *ds, const char *p, char **o)
{
	long		 hi, lo;
	unsigned long	 cp;

	if (ds->end - p < 5)
		return ran_out(ds);
	if ((hi = hex4(p + 1)) < 0)
		return NULL;
	p += 5;
	if (hi < 0xd800 || hi > 0xdfff) {
		*o = utf8_put(*o, (unsigned long)hi);
		return p;
	}
	if (hi <= 0xdbff && ds->end - p >= 6 && p[0] == '\\' && p[1] == 'u' &&
	    (lo = hex4(p + 2)) >= 0xdc00 && lo <= 0xdfff) {
		cp = 0x10000 + ((unsigned long)(hi - 0xd800) << 10 |
		    (unsigned long)(lo - 0xdc00));
		*o = utf8_put(*o, cp);
		return p + 6;
	}
	/* A pair whose second half was cut off is not lone, just missing. */
	if (hi <= 0xdbff && ds->end - p < 6 &&
	    memcmp(p, "\\u", (size_t)(ds->end - p < 2 ? ds->end - p : 2)) == 0)
		return ran_out(ds);
	*o = utf8_put(*o, 0xfffd);
	return p;
}

/* The escape at p (after its backslash) into *o. */
static const char *
unescape(struct dscan *ds, const char *p, char **o)
{
	static const char	 simple[] = "\"\"\\\\//b\bf\fn\nr\rt\t";
	const char		*s;

	if (p >= ds->end)
		return ran_out(ds);
	if (*p == 'u')
		return unescape_u(ds, p, o);
	for (s = simple; *s != '\0'; s += 2) {
		if (*p == s[0]) {
			*(*o)++ = s[1];
			return p + 1;
		}
	}
	return NULL;
}

/*
 * Eight bytes at a time: a nonzero result marks the bytes of x equal to
 * b. Only marks above the first true one can be false, so the lowest mark
 * is exact.
 */
#define ONES	0x0101010101010101ULL
static inline uint64_t
bytes_equal(uint64_t x, unsigned char b)
{
	x ^= ONES * b;
	return (x - ONES) & ~x & (ONES << 7);
}

/*
 * The string whose opening quote is at p[-1] into out; returns the byte
 * after the closing quote. The `log` of a JSON line escapes every inner
 * quote, so runs between escapes are short: they are copied a word at a
 * time (out holds as many bytes as the input, and escapes only shrink, so
 * a whole word always fits), and the common escapes decoded inline.
 */
static const char *
decode_string(struct dscan *ds, const char *p, char *out, size_t *outlen)
{
	const char	*end = ds->end;	/* local: stores through o alias ds */
	char		*o = out;
	uint64_t	 w, m;

	for (;;) {
		while (end - p >= 8) {
			memcpy(&w, p, 8);
			memcpy(o, &w, 8);
			if ((m = bytes_equal(w, '"') | bytes_equal(w, '\\')) != 0) {
				int	 n = __builtin_ctzll(m) / 8;

				p += n;
				o += n;
				break;
			}
			p += 8;
			o += 8;
		}
		while (p < end && *p != '"' && *p != '\\')
			*o++ = *p++;
		*outlen = (size_t)(o - out);
		if (p >= end)
			return ran_out(ds);
		if (*p == '"')
			return p + 1;
		if (p + 1 < end && (p[1] == '"' || p[1] == '\\')) {
			*o++ = p[1];
			p += 2;
		} else if ((p = unescape(ds, p + 1, &o)) == NULL) {
			*outlen = (size_t)(o - out);
			return NULL;
		}
		*outlen = (size_t)(o - out);
	}
}

/* Past a string whose opening quote is at p[-1], checking its escapes. */
static const char *
skip_string(struct dscan *ds, const char *p)
{
	for (; p < ds->end; p++) {
		if (*p == '"')
			return p + 1;
		if (*p != '\\')
			continue;
		if (++p >= ds->end)
			break;
		if (*p == 'u') {
			if (ds->end - p < 5)
				break;
			if (hex4(p + 1) < 0)
				return NULL;
			p += 4;
		} else if (strchr("\"\\/bfnrt", *p) == NULL || *p == '\0')
			return NULL;
	}
	return ran_out(ds);
}

static const char *
skip_digits(const char *p, const char *end)
{
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	return p;
}

/* -? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)? */
static const char *
skip_number(struct dscan *ds, const char *p)
{
	const char	*end = ds->end, *d;

	if (p < end && *p == '-')
		p++;
	if (p >= end)
		return ran_out(ds);
	if (*p == '0')
		p++;
	else if ((d = skip_digits(p, end)) == p)
		return NULL;
	else
		p = d;
	if (p < end && *p == '.') {
		p++;
		if ((d = skip_digits(p, end)) == p)
			return d < end ? NULL : ran_out(ds);
		p = d;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		if (++p < end && (*p == '+' || *p == '-'))
			p++;
		if ((d = skip_digits(p, end)) == p)
			return d < end ? NULL : ran_out(ds);
		p = d;
	}
	return p;
}

static const char *
skip_literal(struct dscan *ds, const char *p, const char *word)
{
	size_t	 n = strlen(word), have = (size_t)(ds->end - p);

	if (memcmp(p, word, have < n ? have : n) != 0)
		return NULL;
	return have < n ? ran_out(ds) : p + n;
}

static const char *skip_value(struct dscan *, const char *, int);

/* Past the members of an object or elements of an array at p[-1]. */
static const char *
skip_container(struct dscan *ds, const char *p, char close, int depth)
{
	p = skip_ws(p, ds->end);
	if (p < ds->end && *p == close)
		return p + 1;
	for (;;) {
		if (close == '}') {
			if (p >= ds->end)
				return ran_out(ds);
			if (*p != '"' || (p = skip_string(ds, p + 1)) == NULL)
				return NULL;
			p = skip_ws(p, ds->end);
			if (p >= ds->end)
				return ran_out(ds);
			if (*p != ':')
				return NULL;
			p = skip_ws(p + 1, ds->end);
		}
		if ((p = skip_value(ds, p, depth)) == NULL)
			return NULL;
		p = skip_ws(p, ds->end);
		if (p >= ds->end)
			return ran_out(ds);
		if (*p == close)
			return p + 1;
		if (*p != ',')
			return NULL;
		p = skip_ws(p + 1, ds->end);
	}
}

static const char *
skip_value(struct dscan *ds, const char *p, int depth)
{
	if (p >= ds->end)
		return ran_out(ds);
	switch (*p) {
	case '"':
		return skip_string(ds, p + 1);
	case '{':
	case '[':
		if (depth >= DOCKER_MAX_DEPTH)
			return NULL;
		return skip_container(ds, p + 1, *p == '{' ? '}' : ']',
		    depth + 1);
	case 't':
		return skip_literal(ds, p, "true");
	case 'f':
		return skip_literal(ds, p, "false");
	case 'n':
		return skip_literal(ds, p, "null");
	}
	if (*p == '-' || (*p >= '0' && *p <= '9'))
		return skip_number(ds, p);
	return NULL;
}

static bool
key_is(const char *k, size_t klen, const char *name)
{
	return klen == strlen(name) && memcmp(k, name, klen) == 0;
}

/* A string member kept as written: stream and time carry no escapes. */
static const char *
raw_string(struct dscan *ds, const char *p, const char **s, size_t *len)
{
	const char	*q;

	if (p >= ds->end)
		return ran_out(ds);
	if (*p != '"' || (q = skip_string(ds, p + 1)) == NULL)
		return NULL;
	*s = p + 1;
	*len = (size_t)(q - 1 - *s);
	return q;
}

enum log_state {
	LOG_NONE,
	LOG_STARTED,	/* its opening quote was read */
	LOG_DONE,	/* and its closing one */
};

/* One member's value at p. */
static const char *
docker_member(struct dscan *ds, const char *k, size_t klen, const char *p,
    char *scratch, struct envelope *out, enum log_state *ls)
{
	if (key_is(k, klen, "log")) {
		if (p >= ds->end)
			return ran_out(ds);
		if (*p != '"')
			return NULL;
		out->content = scratch;
		out->len = 0;
		*ls = LOG_STARTED;
		if ((p = decode_string(ds, p + 1, scratch, &out->len)) != NULL)
			*ls = LOG_DONE;
		return p;
	}
	if (key_is(k, klen, "stream"))
		return raw_string(ds, p, &out->stream, &out->streamlen);
	if (key_is(k, klen, "time"))
		return raw_string(ds, p, &out->time, &out->timelen);
	return skip_value(ds, p, 1);
}

/* The members of the top-level object; p is past its `{`. */
static const char *
docker_members(struct dscan *ds, const char *p, char *scratch,
    struct envelope *out, enum log_state *ls)
{
	const char	*k, *q;

	for (;;) {
		p = skip_ws(p, ds->end);
		if (p >= ds->end)
			return ran_out(ds);
		if (*p != '"')
			return NULL;
		k = p + 1;
		if ((q = skip_string(ds, k)) == NULL)
			return NULL;
		p = skip_ws(q, ds->end);
		if (p >= ds->end)
			return ran_out(ds);
		if (*p != ':')
			return NULL;
		p = skip_ws(p + 1, ds->end);
		if ((p = docker_member(ds, k, (size_t)(q - 1 - k), p, scratch,
		    out, ls)) == NULL)
			return NULL;
		p = skip_ws(p, ds->end);
		if (p >= ds->end)
			return ran_out(ds);
		if (*p == '}')
			return p + 1;
		if (*p != ',')
			return NULL;
		p++;
	}
}

/*
 * A `log` value ending in \n is a whole line; the \n is not content.
 * When the framer cut the line inside `log`, whether it ended in \n is
 * lost: it is taken as whole, and the framer flags the record truncated.
 */
static void
docker_finish(struct envelope *out, enum log_state ls)
{
	out->partial = false;
	if (ls == LOG_DONE) {
		if (out->len > 0 && out->content[out->len - 1] == '\n')
			out->len--;
		else
			out->partial = true;
	}
	out->stream_kind = out->stream != NULL ?
	    envelope_stream_kind(out->stream, out->streamlen) : STREAM_OTHER;
	if (out->time == NULL ||
	    time_parse_rfc3339(out->time, out->timelen, &out->time_ns) != 0)
		out->time_ns = 0;
}

int
docker_parse(const char *line, size_t len, bool cut, char *scratch,
    struct envelope *out)
{
	struct dscan	 ds = { line + len, false };
	const char	*p;
	enum log_state	 ls = LOG_NONE;

	memset(out, 0, sizeof *out);
	p = skip_ws(line, ds.end);
	if (p >= ds.end || *p != '{')
		return -1;
	p = docker_members(&ds, p + 1, scratch, out, &ls);
	if (p == NULL && !(cut && ds.eof))
		return -1;
	if (p != NULL && skip_ws(p, ds.end) != ds.end)
		return -1;
	if (ls == LOG_NONE)
		return -1;
	docker_finish(out, ls);
	return 0;
}
