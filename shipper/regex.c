/*
 * regex.c — PCRE2 with JIT (see regex.h).
 *
 * The match data is made once per pattern, so a match allocates nothing.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <string.h>

#include "autoconfig.h"
#ifdef HAVE_VALGRIND_VALGRIND_H
#include <valgrind/valgrind.h>
#endif
#include "mem.h"
#include "regex.h"

/*
 * PCRE2's JIT reads the subject 16 bytes at a time, past its end (inside
 * the page), from code without symbols: memcheck reports each match, and
 * only a suppression of every 16-byte read anywhere would hide it. Under
 * valgrind the interpreter matches instead: same results, and our own
 * reads stay checked.
 */
static bool
jit_wanted(void)
{
#ifdef HAVE_VALGRIND_VALGRIND_H
	return !RUNNING_ON_VALGRIND;
#else
	return true;
#endif
}

struct regex {
	pcre2_code		*code;
	pcre2_match_data	*md;
	bool			 jit;
	char			*pattern;
};

struct regex *
regex_compile(const char *pattern, unsigned flags, struct err *e)
{
	struct regex	*re;
	PCRE2_UCHAR	 msg[256];
	PCRE2_SIZE	 off;
	uint32_t	 opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
	int		 code;

	if (flags & REGEX_RUBY)
		opts |= PCRE2_MULTILINE;
	if (flags & REGEX_ICASE)
		opts |= PCRE2_CASELESS;
	if (flags & REGEX_DOTALL)
		opts |= PCRE2_DOTALL;
	if (flags & REGEX_EXTENDED)
		opts |= PCRE2_EXTENDED;
	re = xcalloc(1, sizeof *re);
	re->code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
	    opts, &code, &off, NULL);
	if (re->code == NULL) {
		pcre2_get_error_message(code, msg, sizeof msg);
		free(re);
		err_set(e, "invalid regular expression /%s/ at offset %zu: %s",
		    pattern, (size_t)off, (char *)msg);
		return NULL;
	}
	re->jit = jit_wanted() &&
	    pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE) == 0;
	re->md = pcre2_match_data_create_from_pattern(re->code, NULL);
	re->pattern = xstrdup(pattern);
	return re;
}

struct regex *
regex_compile_fluentd(const char *value, unsigned flags, struct err *e)
{
	const char	*end = strrchr(value, '/');
	struct regex	*re;
	char		*body;

	flags |= REGEX_RUBY;
	if (value[0] != '/' || end == NULL || end == value ||
	    end[strspn(end + 1, "imx") + 1] != '\0')
		return regex_compile(value, flags, e);
	for (const char *f = end + 1; *f != '\0'; f++)
		flags |= *f == 'i' ? REGEX_ICASE : *f == 'm' ? REGEX_DOTALL :
		    REGEX_EXTENDED;
	body = xstrndup(value + 1, (size_t)(end - value - 1));
	re = regex_compile(body, flags, e);
	free(body);
	return re;
}

static int
regex_exec(const struct regex *re, const char *s, size_t len)
{
	if (re->jit)
		return pcre2_jit_match(re->code, (PCRE2_SPTR)s, len, 0, 0,
		    re->md, NULL);
	return pcre2_match(re->code, (PCRE2_SPTR)s, len, 0, 0, re->md, NULL);
}

bool
regex_match(const struct regex *re, const char *s, size_t len)
{
	return regex_exec(re, s, len) >= 0;
}

unsigned
regex_ngroups(const struct regex *re)
{
	uint32_t	 n = 0;

	pcre2_pattern_info(re->code, PCRE2_INFO_NAMECOUNT, &n);
	return n;
}

/*
 * PCRE2's name table is sorted by name; Ruby's MatchData#names, which
 * Fluentd's regexp parser walks, is in the order of the pattern. So the
 * groups are reported by number.
 */
bool
regex_captures(const struct regex *re, const char *s, size_t len,
    regex_capture_fn fn, void *arg)
{
	PCRE2_SPTR	 table;
	PCRE2_SIZE	*ov;
	uint32_t	 count = 0, size = 0, top = 0, g, i;

	if (regex_exec(re, s, len) < 0)
		return false;
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMECOUNT, &count);
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMEENTRYSIZE, &size);
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMETABLE, &table);
	pcre2_pattern_info(re->code, PCRE2_INFO_CAPTURECOUNT, &top);
	ov = pcre2_get_ovector_pointer(re->md);
	for (g = 1; g <= top && count > 0; g++) {
		for (i = 0; i < count; i++) {
			PCRE2_SPTR	 ent = table + (size_t)i * size;
			const char	*name = (const char *)ent + 2;

			if ((((uint32_t)ent[0] << 8) | ent[1]) != g)
				continue;
			if (ov[2 * g] == PCRE2_UNSET)
				break;	/* took no part: Fluentd skips it */
			fn(arg, name, strlen(name), s + ov[2 * g],
			    ov[2 * g + 1] - ov[2 * g]);
			break;
		}
	}
	return true;
}

const char *
regex_pattern(const struct regex *re)
{
	return re->pattern;
}

void
regex_free(struct regex *re)
{
	if (re == NULL)
		return;
	pcre2_match_data_free(re->md);
	pcre2_code_free(re->code);
	free(re->pattern);
	free(re);
}
