/*
 * test_regex_ruby.c — Fluentd's Ruby regexps, in PCRE2's syntax and as
 * Ruby matches them.
 *
 * Three tables: the exact PCRE2 pattern each Ruby one becomes (what is
 * rewritten, and what is left alone because it means the same); what the
 * compiled regexp matches, which is what Ruby (Onigmo) matches, per its
 * documentation; and the patterns that have no PCRE2 form, with their
 * messages.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regex.h"
#include "regex_ruby.h"
#include "strbuf.h"

#define ROWS(t)	((int)(sizeof (t) / sizeof (t)[0]))
#define DIGIT	"\\x{30}-\\x{39}"
#define WORD	"\\x{30}-\\x{39}\\x{41}-\\x{5a}\\x{5f}\\x{61}-\\x{7a}"
#define SPACE	"\\x{9}-\\x{d}\\x{20}"
#define HEX	"\\x{30}-\\x{39}\\x{41}-\\x{46}\\x{61}-\\x{66}"

static const struct {
	const char	*ruby;
	bool		 extended;
	const char	*pcre2;
} forms[] = {
	/* Means the same: left as it is. */
	{ "^(?<time>[^ ]*) (?<msg>.*)$", false,
	    "^(?<time>[^ ]*) (?<msg>.*)$" },
	{ "\\Aa\\z|\\Zb\\G", false, "\\Aa\\z|\\Zb\\G" },
	{ "(?<n>a)\\k<n>\\g<n>(?'m'b)\\k'm'", false,
	    "(?<n>a)\\k<n>\\g<n>(?'m'b)\\k'm'" },
	{ "(?=a)(?!b)(?<=c)(?<!d)(?>e)(?:f)", false,
	    "(?=a)(?!b)(?<=c)(?<!d)(?>e)(?:f)" },
	{ "a*+b++c?+d*?e{2,3}?", false, "a*+b++c?+d*?e{2,3}?" },
	{ "[[:alpha:]][[:^digit:]x]\\b\\B", false,
	    "[[:alpha:]][[:^digit:]x]\\b\\B" },
	{ "\\p{L}\\p{^Lu}\\P{Greek}\\pL", false,
	    "\\p{L}\\p{^Lu}\\P{Greek}\\pL" },
	{ "\\x41\\x{263a}\\101\\t\\n\\e\\.\\<\\/", false,
	    "\\x41\\x{263a}\\101\\t\\n\\e\\.\\<\\/" },
	{ "a{2}b{2,}c{2,3}d{x}e{}f{,}", false,
	    "a{2}b{2,}c{2,3}d{x}e{}f{,}" },
	{ "(?#a [comment)x", false, "(?#a [comment)x" },
	/* \h \H: hex digits in Ruby, horizontal space in PCRE2. */
	{ "\\h+\\H", false, "[" HEX "]+[^" HEX "]" },
	{ "[\\h:]", false, "[" HEX ":]" },
	{ "[^\\H]", false,
	    "[^\\x{0}-\\x{2f}\\x{3a}-\\x{40}\\x{47}-\\x{60}\\x{67}-\\x{10ffff}]" },
	/* An escaped backslash is one: \\h is a backslash and an h. */
	{ "\\\\h\\\\\\h[\\\\h]", false, "\\\\h\\\\[" HEX "][\\\\h]" },
	/* \d \w \s: ASCII in Ruby, Unicode under PCRE2_UCP. */
	{ "\\d\\D\\w\\W\\s\\S", false,
	    "[" DIGIT "][^" DIGIT "][" WORD "][^" WORD "][" SPACE "][^"
	    SPACE "]" },
	{ "[\\d.][^\\s][\\W]", false,
	    "[" DIGIT ".][^" SPACE "][\\x{0}-\\x{2f}\\x{3a}-\\x{40}"
	    "\\x{5b}-\\x{5e}\\x{60}\\x{7b}-\\x{10ffff}]" },
	/* \v: the vertical tab in Ruby, any vertical space in PCRE2. */
	{ "a\\vb[\\v]", false, "a\\x{b}b[\\x{b}]" },
	/* Ruby's m is PCRE2's s; other letters stay. */
	{ "(?m)a.b", false, "(?s:a.b)" },
	{ "(?m:a.)b(?i-m:c.)", false, "(?s:a.)b(?i-s:c.)" },
	{ "(?mix:a)", false, "(?six:a)" },
	/* An isolated option takes the rest of its group, alternatives too. */
	{ "ab(?i)c|def|gh", false, "ab(?i:c|def|gh)" },
	{ "(a(?i)b|c)d", false, "(a(?i:b|c))d" },
	{ "(?i)(?m)x", false, "(?i:(?s:x))" },
	/* {,n} is {0,n}; X{n}? and X{n,m}+ are intervals quantified again. */
	{ "a{,3}", false, "a{0,3}" },
	{ "a{2}?b{2,3}+", false, "(?:a{2})?(?:b{2,3})+" },
	{ "(ab){2}?[cd]{1,}+\\d{3}?", false,
	    "(?:(ab){2})?(?:[cd]{1,})+(?:[" DIGIT "]{3})?" },
	{ "x(?:é){2}?é{2}+", false, "x(?:(?:é){2})?(?:é{2})+" },
	{ "{2}?", false, "{2}?" },
	/* A class in a class is a union. */
	{ "[a[bc]d]", false, "[abcd]" },
	{ "[^a-c[x-z]]", false, "[^a-cx-z]" },
	{ "[a[b[\\d]]]", false, "[ab" DIGIT "]" },
	/* Ruby's POSIX property names are POSIX brackets in PCRE2. */
	{ "\\p{Alpha}\\P{Digit}\\p{^Word}[\\p{Space}\\p{XDigit}]", false,
	    "[[:alpha:]][[:^digit:]][[:^word:]][[:space:][:xdigit:]]" },
	{ "\\p{alnum}\\p{X_Digit}", false, "[[:alnum:]][[:xdigit:]]" },
	/* \u, and Ruby's \Q \E, which are not quoting. */
	{ "\\u00e9\\u{1F600 41}[\\u00e0]", false,
	    "\\x{00e9}\\x{1F600}\\x{41}[\\x{00e0}]" },
	{ "\\u12\\u{}\\Qa.b\\E", false, "\\u12\\u{}Qa.bE" },
	/* /x: comments and white space are not pattern. */
	{ "a # [not a class \\h\n \\h", true, "a # [not a class \\h\n [" HEX
	    "]" },
	{ "(?x: [ ] # \\h\n)\\h # x", false,
	    "(?x: [ ] # \\h\n)[" HEX "] # x" },
};

START_TEST(test_form)
{
	struct strbuf	 sb = STRBUF_INIT;
	const char	*why = NULL;
	size_t		 at = 0;

	ck_assert_msg(regex_ruby_to_pcre2(forms[_i].ruby, forms[_i].extended,
	    &sb, &why, &at) == 0, "%s: %s", forms[_i].ruby, why);
	ck_assert_str_eq(sb_cstr(&sb), forms[_i].pcre2);
	sb_free(&sb);
}
END_TEST

/* What Ruby matches (its documentation's examples among them). */
static const struct {
	const char	*value;		/* as a Fluentd parameter: /.../flags */
	const char	*subject;
	bool		 match;
} matches[] = {
	{ "/^\\h+$/", "09afAF", true },
	{ "/^\\h+$/", "0g", false },
	{ "/\\h/", " \t", false },
	{ "/^\\H+$/", "xyz \t", true },
	{ "/^\\\\h$/", "\\h", true },
	{ "/(?m)a.b/", "a\nb", true },
	{ "/a.b/", "a\nb", false },
	{ "/(?m:a.)b/", "a\nb", true },
	{ "/a(?-m:.)b/m", "a\nb", false },
	{ "/^ab(?i)c|def$/", "abDEF", true },
	{ "/^ab(?i)c|def$/", "def", false },
	{ "/^a{,2}$/", "aa", true },
	{ "/^a{,2}$/", "a{,2}", false },
	{ "/^a{2}?$/", "", true },
	{ "/^a{2}?$/", "a", false },
	{ "/^a{1,2}+$/", "aaa", true },
	{ "/^\\w+$/", "é", false },
	{ "/^\\d$/", "\xd9\xa2", false },	/* ARABIC-INDIC TWO */
	{ "/^[[:digit:]]$/", "\xd9\xa2", true },
	{ "/^[[:alpha:]]+$/", "Jos\xc3\xa9", true },
	{ "/^\\p{Alpha}+$/", "Jos\xc3\xa9", true },
	{ "/^\\s$/", "\xc2\xa0", false },	/* NO-BREAK SPACE */
	{ "/^\\s$/", "\v", true },
	{ "/^\\v$/", "\n", false },
	{ "/\\bb/", "\xc3\xa9" "b", false },	/* é is a word character */
	{ "/^[a[bc]]+$/", "abc", true },
	{ "/^[a[bc]]+$/", "[", false },
	{ "/^\\u00e9$/", "\xc3\xa9", true },
	{ "/^\\Qa$/", "Qa", true },
	{ "/^(?<x>a)|(?<x>b)$/", "b", true },
	{ "/a\\z/", "a\n", false },
	{ "/a\\Z/", "a\n", true },
	{ "/\\Ab/", "a\nb", false },
	{ "/^b/", "a\nb", true },
};

START_TEST(test_match)
{
	struct err	 e;
	struct regex	*re;
	const char	*s = matches[_i].subject;

	re = regex_compile_fluentd(matches[_i].value, 0, &e);
	ck_assert_msg(re != NULL, "%s: %s", matches[_i].value, e.msg);
	ck_assert_msg(regex_match(re, s, strlen(s)) == matches[_i].match,
	    "%s on '%s'", matches[_i].value, s);
	regex_free(re);
}
END_TEST

struct field {
	char	 name[16];
	char	 value[16];
};

static void
one_field(void *arg, const char *name, size_t nlen, const char *val,
    size_t vlen)
{
	struct field	*f = arg;

	ck_assert_str_eq(f->name, "");
	snprintf(f->name, sizeof f->name, "%.*s", (int)nlen, name);
	snprintf(f->value, sizeof f->value, "%.*s", (int)vlen, val);
}

/* A name may stand for several groups; the one that took part is it. */
START_TEST(test_duplicate_names)
{
	struct err	 e;
	struct regex	*re = regex_compile_fluentd("/^(?:(?<v>\\d+)s|"
			    "(?<v>\\h+)h)$/", 0, &e);
	struct field	 f;

	ck_assert_msg(re != NULL, "%s", e.msg);
	memset(&f, 0, sizeof f);
	ck_assert(regex_captures(re, "ffh", 3, one_field, &f));
	ck_assert_str_eq(f.name, "v");
	ck_assert_str_eq(f.value, "ff");
	memset(&f, 0, sizeof f);
	ck_assert(regex_captures(re, "12s", 3, one_field, &f));
	ck_assert_str_eq(f.value, "12");
	regex_free(re);
}
END_TEST

static const struct {
	const char	*value;
	const char	*msg;
} errors[] = {
	{ "/^[a-w&&[^c-g]z]$/", "invalid regular expression /^[a-w&&[^c-g]z]$/ "
	    "at offset 5: a class intersection (&&) has no PCRE2 form: list "
	    "the characters it leaves, or use a lookahead, (?=[...])[...]" },
	{ "/[a[^b]]/", "invalid regular expression /[a[^b]]/ at offset 2: a "
	    "negated class inside a class ([...[^...]...]) has no PCRE2 form: "
	    "list the characters it leaves, or use a lookahead, "
	    "(?![...])[...]" },
	/* PCRE2's own, on the pattern as rewritten. */
	{ "/\\h(/", "invalid regular expression /\\h(/ (in PCRE2's syntax "
	    "/[\\x{30}-\\x{39}\\x{41}-\\x{46}\\x{61}-\\x{66}](/, at offset 42): "
	    "missing closing parenthesis" },
	/* Unchanged, it is the message it always was. */
	{ "/a(/", "invalid regular expression /a(/ at offset 2: missing "
	    "closing parenthesis" },
	{ "/\\C-a/", "invalid regular expression /\\C-a/ at offset 2: using "
	    "\\C is disabled by the application" },
};

START_TEST(test_error)
{
	struct err	 e;

	ck_assert_ptr_null(regex_compile_fluentd(errors[_i].value, 0, &e));
	ck_assert_str_eq(e.msg, errors[_i].msg);
}
END_TEST

static Suite *
test_suite(void)
{
	Suite	*s = suite_create("regex_ruby");
	TCase	*tc = tcase_create("regex_ruby");

	tcase_add_loop_test(tc, test_form, 0, ROWS(forms));
	tcase_add_loop_test(tc, test_match, 0, ROWS(matches));
	tcase_add_test(tc, test_duplicate_names);
	tcase_add_loop_test(tc, test_error, 0, ROWS(errors));
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
