/*
 * test_tagmatch.c — tag patterns as Fluentd matches them.
 *
 * The cases of Fluentd's test/test_match.rb (ported, not copied), the
 * examples of its configuration guide, and the regexps the translation
 * produces: GlobMatchPattern turns `a.**` into a look-ahead so that it
 * matches `a`, and `**.` into "anything ending in a dot, or nothing".
 * Where the shipper goes beyond Fluentd (a /regexp/ pattern) the test
 * says so.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "tagmatch.h"

static bool
m(const char *pattern, const char *tag)
{
	struct err	 e;
	struct tagmatch	*tm = tagmatch_new(pattern, &e);
	bool		 r;

	ck_assert_msg(tm != NULL, "%s: %s", pattern, e.msg);
	r = tagmatch(tm, tag, strlen(tag));
	tagmatch_free(tm);
	return r;
}

#define MATCH(p, t)	ck_assert_msg(m((p), (t)), "%s should match %s", (p), (t))
#define NO_MATCH(p, t)	ck_assert_msg(!m((p), (t)), "%s should not match %s", \
			    (p), (t))

/* --- Fluentd's test_match.rb ------------------------------------------- */

START_TEST(test_simple)
{
	MATCH("a", "a");
	MATCH("a.b", "a.b");
	NO_MATCH("a", "b");
	NO_MATCH("a.b", "aab");
	/* Anchored at both ends. */
	NO_MATCH("a", "ab");
	NO_MATCH("a", "ba");
	NO_MATCH("a.b", "a.b.c");
	NO_MATCH("a", "");
}
END_TEST

START_TEST(test_wildcard)
{
	MATCH("a*", "a");
	MATCH("a*", "ab");
	MATCH("a*", "abc");
	MATCH("*a", "a");
	MATCH("*a", "ba");
	MATCH("*a", "cba");
	MATCH("*a*", "a");
	MATCH("*a*", "ba");
	MATCH("*a*", "ac");
	MATCH("*a*", "bac");
	NO_MATCH("a*", "a.b");
	NO_MATCH("a*", "ab.c");
	NO_MATCH("a*", "ba");
	NO_MATCH("*a", "ab");
	MATCH("a.*", "a.b");
	MATCH("a.*", "a.c");
	NO_MATCH("a.*", "ab");
	MATCH("a.*.c", "a.b.c");
	MATCH("a.*.c", "a.c.c");
	NO_MATCH("a.*.c", "a.c");
}
END_TEST

/* The configuration guide: a.* matches a.b, not a nor a.b.c. */
START_TEST(test_star_one_part)
{
	MATCH("a.*", "a.b");
	NO_MATCH("a.*", "a");
	NO_MATCH("a.*", "a.b.c");
	MATCH("a.*", "a.");	/* an empty part is a part */
	MATCH("*", "anything");
	NO_MATCH("*", "two.parts");
	MATCH("*", "");
}
END_TEST

START_TEST(test_recursive_wildcard)
{
	MATCH("a.**", "a");
	NO_MATCH("a.**", "ab");
	NO_MATCH("a.**", "abc");
	MATCH("a.**", "a.b");
	NO_MATCH("a.**", "ab.c");
	NO_MATCH("a.**", "ab.d.e");
	MATCH("a.**", "a.b.c");
	MATCH("a**", "a");
	MATCH("a**", "ab");
	MATCH("a**", "abc");
	MATCH("a**", "a.b");
	MATCH("a**", "ab.c");
	MATCH("a**", "ab.d.e");
	MATCH("**.a", "a");
	NO_MATCH("**.a", "ba");
	NO_MATCH("**.a", "c.ba");
	MATCH("**.a", "b.a");
	MATCH("**.a", "cb.a");
	MATCH("**.a", "d.e.a");
	MATCH("**a", "a");
	MATCH("**a", "ba");
	MATCH("**a", "c.ba");
	MATCH("**a", "b.a");
	MATCH("**a", "cb.a");
	MATCH("**a", "d.e.a");
	MATCH("**", "");
	MATCH("**", "a.b.c");
}
END_TEST

START_TEST(test_recursive_middle)
{
	MATCH("a.**.b", "a.b");
	MATCH("a.**.b", "a.x.b");
	MATCH("a.**.b", "a.x.y.b");
	NO_MATCH("a.**.b", "a.xb");
	NO_MATCH("a.**.b", "ax.b");
	NO_MATCH("a.**.b", "a.b.c");
	NO_MATCH("a.**.b", "ab");
	MATCH("kubernetes.spire.**", "kubernetes.spire.server");
	MATCH("kubernetes.spire.**", "kubernetes.spire");
	MATCH("kubernetes.**", "kubernetes.var.log.containers.spire-server-0"
	    "_spire-system_spire-server-abc.log");
	NO_MATCH("kubernetes.spire.**", "kubernetes.spirex");
}
END_TEST

START_TEST(test_or)
{
	MATCH("a.{b,c}", "a.b");
	MATCH("a.{b,c}", "a.c");
	NO_MATCH("a.{b,c}", "a.d");
	MATCH("a.{b,c}.**", "a.b");
	MATCH("a.{b,c}.**", "a.c");
	NO_MATCH("a.{b,c}.**", "a.d");
	NO_MATCH("a.{b,c}.**", "a.cd");
	MATCH("a.{b.**,c}", "a.b");
	MATCH("a.{b.**,c}", "a.b.c");
	MATCH("a.{b.**,c}", "a.c");
	NO_MATCH("a.{b.**,c}", "a.c.d");
	/* The guide's examples. */
	MATCH("{a,b}", "a");
	MATCH("{a,b}", "b");
	NO_MATCH("{a,b}", "c");
	MATCH("{a,b}.c", "a.c");
	MATCH("{a,b}.c", "b.c");
	NO_MATCH("{a,b}.c", "ab.c");
	MATCH("a.{b,c.**}", "a.c.d.e");
	MATCH("{a.*,b}.c", "a.x.c");
	NO_MATCH("{a.*,b}.c", "a.c");
}
END_TEST

START_TEST(test_nested_braces)
{
	MATCH("{a,{b,c}}.d", "a.d");
	MATCH("{a,{b,c}}.d", "b.d");
	MATCH("{a,{b,c}}.d", "c.d");
	NO_MATCH("{a,{b,c}}.d", "d.d");
	MATCH("x.{a,{b.*,c}}", "x.b.q");
	NO_MATCH("x.{a,{b.*,c}}", "x.b");
	/* An empty alternative. */
	MATCH("a{,b}", "a");
	MATCH("a{,b}", "ab");
	/* An unterminated brace still groups what it has. */
	MATCH("{a,b", "a");
	MATCH("{a,b", "b");
	NO_MATCH("{a,b", "{a,b");
	/* A stray } or , outside braces is a literal character. */
	MATCH("a}", "a}");
	MATCH("a,b", "a,b");
	NO_MATCH("a,b", "a");
}
END_TEST

START_TEST(test_several_patterns)
{
	MATCH("a b", "a");
	MATCH("a b", "b");
	NO_MATCH("a b", "c");
	NO_MATCH("a b", "a b");
	MATCH("  a.*   b.** \t c ", "b.x.y");
	MATCH("  a.*   b.** \t c ", "c");
	MATCH("kubernetes.spire.server kubernetes.spire.agent",
	    "kubernetes.spire.agent");
	NO_MATCH("kubernetes.spire.server kubernetes.spire.agent",
	    "kubernetes.spire.other");
}
END_TEST

/* An empty pattern (a bare <match>) matches every tag, as ** does. */
START_TEST(test_empty_pattern)
{
	MATCH("", "anything.at.all");
	MATCH("", "");
	MATCH("   ", "x");
}
END_TEST

/* Characters that mean something in a regexp are literal in a glob. */
START_TEST(test_literal_characters)
{
	MATCH("a+b", "a+b");
	NO_MATCH("a+b", "aab");
	MATCH("a?b", "a?b");
	NO_MATCH("a?b", "axb");
	MATCH("a(b)", "a(b)");
	MATCH("a[b]", "a[b]");
	NO_MATCH("a[b]", "ab");
	MATCH("a$b^c|d", "a$b^c|d");
	NO_MATCH("a|d", "a");
	MATCH("spire-server_x", "spire-server_x");
	MATCH("a/b", "a/b");
	NO_MATCH("a.b", "axb");		/* a dot is a dot */
}
END_TEST

START_TEST(test_escapes)
{
	/* A backslash makes the next character literal. */
	MATCH("a\\*", "a*");
	NO_MATCH("a\\*", "ab");
	MATCH("a\\.b", "a.b");
	NO_MATCH("a\\.b", "a");
	MATCH("\\{a,b\\}", "{a,b}");
	NO_MATCH("\\{a,b\\}", "a");
	MATCH("a\\\\b", "a\\b");
	/* An escaped star followed by a star: literal, then a wildcard. */
	MATCH("a\\**", "a*bc");
	NO_MATCH("a\\**", "abc");
	/* Escaped letters are just letters. */
	MATCH("\\a\\b", "ab");
}
END_TEST

/* Not in Fluentd's GlobMatchPattern: the shipper's /regexp/ pattern. */
START_TEST(test_regexp_pattern)
{
	MATCH("/^kubernetes\\.spire\\.(server|agent)$/",
	    "kubernetes.spire.agent");
	NO_MATCH("/^kubernetes\\.spire\\.(server|agent)$/",
	    "kubernetes.spire.other");
	/* Not anchored unless it says so. */
	MATCH("/spire/", "kubernetes.spire.agent");
	MATCH("/(?!xyz).*/", "abc");
	MATCH("/a/ b.*", "b.c");
	/* A lone slash, or one without its closing slash, is a glob. */
	MATCH("/", "/");
	MATCH("/a", "/a");
}
END_TEST

START_TEST(test_bad_regexp)
{
	struct err	 e;

	ck_assert_ptr_null(tagmatch_new("a /(/", &e));
	ck_assert_ptr_nonnull(strstr(e.msg, "tag pattern '/('"));
	ck_assert_ptr_nonnull(strstr(e.msg, "invalid regular expression"));
}
END_TEST

/* Tags are counted bytes: nothing after len is looked at. */
START_TEST(test_length)
{
	struct err	 e;
	struct tagmatch	*tm = tagmatch_new("a.b", &e);

	ck_assert(tagmatch(tm, "a.bXYZ", 3));
	ck_assert(!tagmatch(tm, "a.bXYZ", 4));
	ck_assert(!tagmatch(tm, "a.b", 2));
	tagmatch_free(tm);
	tagmatch_free(NULL);
}
END_TEST

/* --- the regexps themselves ---------------------------------------------- */

static void
rx(const char *glob, const char *want)
{
	char	*got = tagmatch_glob_to_regex(glob);

	ck_assert_msg(strcmp(got, want) == 0, "%s: got %s, want %s", glob, got,
	    want);
	free(got);
}

START_TEST(test_glob_to_regex)
{
	rx("a", "\\Aa\\z");
	rx("a.b", "\\Aa\\.b\\z");
	rx("*", "\\A[^\\.]*\\z");
	rx("a.*", "\\Aa\\.[^\\.]*\\z");
	rx("**", "\\A.*\\z");
	rx("a.**", "\\Aa(?![^\\.]).*\\z");
	rx("**.a", "\\A(?:.*\\.|\\A)a\\z");
	rx("a.**.b", "\\Aa(?![^\\.])(?:.*\\.|\\A)b\\z");
	rx("a**", "\\Aa.*\\z");
	rx("{a,b}", "\\A(?:a|b)\\z");
	rx("a.{b,c}", "\\Aa\\.(?:b|c)\\z");
	rx("{a,{b,c}}", "\\A(?:a|(?:b|c))\\z");
	rx("{a,b", "\\A(?:a|b)\\z");
	rx("a-b_c", "\\Aa\\-b_c\\z");
	rx("a\\*", "\\Aa\\*\\z");
	rx("a\\x", "\\Aax\\z");
	rx("a}", "\\Aa\\}\\z");
	rx("a,b", "\\Aa\\,b\\z");
	rx("a.", "\\Aa\\.\\z");
	rx("", "\\A\\z");
}
END_TEST

static Suite *
test_suite(void)
{
	Suite	*s = suite_create("tagmatch");
	TCase	*tf = tcase_create("fluentd");
	TCase	*tx = tcase_create("more");

	tcase_add_test(tf, test_simple);
	tcase_add_test(tf, test_wildcard);
	tcase_add_test(tf, test_star_one_part);
	tcase_add_test(tf, test_recursive_wildcard);
	tcase_add_test(tf, test_recursive_middle);
	tcase_add_test(tf, test_or);
	tcase_add_test(tf, test_nested_braces);
	tcase_add_test(tf, test_several_patterns);
	tcase_add_test(tf, test_empty_pattern);
	suite_add_tcase(s, tf);

	tcase_add_test(tx, test_literal_characters);
	tcase_add_test(tx, test_escapes);
	tcase_add_test(tx, test_regexp_pattern);
	tcase_add_test(tx, test_bad_regexp);
	tcase_add_test(tx, test_length);
	tcase_add_test(tx, test_glob_to_regex);
	suite_add_tcase(s, tx);
	return s;
}

#include "check_main.h"
