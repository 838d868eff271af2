/*
 * regex.c — PCRE2 with JIT (see regex.h).
 *
 * The match data is made once per pattern, so a match allocates nothing.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "autoconfig.h"
#ifdef HAVE_VALGRIND_VALGRIND_H
#include <valgrind/valgrind.h>
#endif
#include "mem.h"
#include "regex.h"
#include "regex_ruby.h"
#include "strbuf.h"

/*
 * PCRE2's JIT reads the subject 16 bytes at a time, past its end (inside
 * the page), from code without symbols: memcheck reports each match, and
 * only a suppression of every 16-byte read anywhere would hide it. Under
 * valgrind the interpreter matches instead: same results, and our own
 * reads stay checked. callgrind, which counts what runs natively, asks
 * for the JIT with SPIRE_SHIPPER_JIT_UNDER_VALGRIND=1 (profile.sh).
 */
static bool
jit_wanted(void)
{
#ifdef HAVE_VALGRIND_VALGRIND_H
	const char	*v = getenv("SPIRE_SHIPPER_JIT_UNDER_VALGRIND");

	return !RUNNING_ON_VALGRIND || (v != NULL && strcmp(v, "1") == 0);
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

static uint32_t
compile_options(unsigned flags)
{
	uint32_t	 opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;

	/*
	 * Ruby: ^ $ at every line; POSIX brackets and \b Unicode (\d \w \s,
	 * ASCII in Ruby, are translated to ASCII classes); a name may stand
	 * for several groups; \C is no escape of Ruby's meaning.
	 */
	if (flags & REGEX_RUBY)
		opts |= PCRE2_MULTILINE | PCRE2_UCP | PCRE2_DUPNAMES |
		    PCRE2_NEVER_BACKSLASH_C;
	if (flags & REGEX_ICASE)
		opts |= PCRE2_CASELESS;
	if (flags & REGEX_DOTALL)
		opts |= PCRE2_DOTALL;
	if (flags & REGEX_EXTENDED)
		opts |= PCRE2_EXTENDED;
	return opts;
}

/* The pattern PCRE2 gets: a Ruby one in PCRE2's syntax. */
static char *
pcre2_form(const char *pattern, unsigned flags, struct err *e)
{
	struct strbuf	 sb = STRBUF_INIT;
	const char	*why;
	size_t		 at;

	if (!(flags & REGEX_RUBY))
		return xstrdup(pattern);
	if (regex_ruby_to_pcre2(pattern, flags & REGEX_EXTENDED, &sb, &why,
	    &at) == 0)
		return sb_take(&sb);
	sb_free(&sb);
	err_set(e, "invalid regular expression /%s/ at offset %zu: %s",
	    pattern, at, why);
	return NULL;
}

static void
compile_error(const char *pattern, const char *form, int code,
    PCRE2_SIZE off, struct err *e)
{
	PCRE2_UCHAR	 msg[256];

	pcre2_get_error_message(code, msg, sizeof msg);
	if (strcmp(pattern, form) == 0)
		err_set(e, "invalid regular expression /%s/ at offset %zu: %s",
		    pattern, (size_t)off, (char *)msg);
	else
		err_set(e, "invalid regular expression /%s/ (in PCRE2's "
		    "syntax /%s/, at offset %zu): %s", pattern, form,
		    (size_t)off, (char *)msg);
}

struct regex *
regex_compile(const char *pattern, unsigned flags, struct err *e)
{
	struct regex	*re;
	PCRE2_SIZE	 off;
	char		*form;
	int		 code;

	if ((form = pcre2_form(pattern, flags, e)) == NULL)
		return NULL;
	re = xcalloc(1, sizeof *re);
	re->code = pcre2_compile((PCRE2_SPTR)form, PCRE2_ZERO_TERMINATED,
	    compile_options(flags), &code, &off, NULL);
	if (re->code == NULL) {
		compile_error(pattern, form, code, off, e);
		free(form);
		free(re);
		return NULL;
	}
	free(form);
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

struct names {
	PCRE2_SPTR	 table;
	uint32_t	 count;
	uint32_t	 size;
};

static uint32_t
name_group(const struct names *nt, uint32_t i, const char **name)
{
	PCRE2_SPTR	 ent = nt->table + (size_t)i * nt->size;

	*name = (const char *)ent + 2;
	return ((uint32_t)ent[0] << 8) | ent[1];
}

/*
 * Another group of the same name after g took part: Ruby's m[name] is
 * the last that did, so only that one is reported.
 */
static bool
name_taken_later(const struct names *nt, const char *name, uint32_t g,
    const PCRE2_SIZE *ov)
{
	const char	*other;
	uint32_t	 i, og;

	for (i = 0; i < nt->count; i++) {
		og = name_group(nt, i, &other);
		if (og > g && ov[2 * og] != PCRE2_UNSET &&
		    strcmp(other, name) == 0)
			return true;
	}
	return false;
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
	struct names	 nt;
	PCRE2_SIZE	*ov;
	const char	*name;
	uint32_t	 top = 0, g, i;

	if (regex_exec(re, s, len) < 0)
		return false;
	memset(&nt, 0, sizeof nt);
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMECOUNT, &nt.count);
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMEENTRYSIZE, &nt.size);
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMETABLE, &nt.table);
	pcre2_pattern_info(re->code, PCRE2_INFO_CAPTURECOUNT, &top);
	ov = pcre2_get_ovector_pointer(re->md);
	for (g = 1; g <= top && nt.count > 0; g++) {
		for (i = 0; i < nt.count; i++) {
			if (name_group(&nt, i, &name) != g)
				continue;
			/* One that took no part: Fluentd skips it. */
			if (ov[2 * g] != PCRE2_UNSET &&
			    !name_taken_later(&nt, name, g, ov))
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
