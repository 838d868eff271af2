/*
 * test_rbexpr.c — the embedded Ruby of Fluentd configurations.
 *
 * The environment is a table here, not the process's: each case says
 * which variables are set. The expressions are those of the official
 * Fluentd DaemonSet configurations, and every error is asserted whole.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "rbexpr.h"

#define K8S_URL "ENV['FLUENT_FILTER_KUBERNETES_URL'] || (host = " \
	"ENV.fetch('KUBERNETES_SERVICE_HOST'); port = " \
	"ENV.fetch('KUBERNETES_SERVICE_PORT'); host = " \
	"(IPAddr.new(host).ipv6? ? '[' + host + ']' : host rescue host); " \
	"'https://' + host + ':' + port + '/api')"

static const char	*env_tab[16];	/* name, value, ..., NULL */
static struct strbuf	 out;
static char		 why[1024];
static enum rb_kind	 kind;

static const char *
tab_getenv(void *arg, const char *name)
{
	size_t	 i;

	(void)arg;
	for (i = 0; env_tab[i] != NULL; i += 2)
		if (strcmp(env_tab[i], name) == 0)
			return env_tab[i + 1];
	return NULL;
}

static void
env(const char *const *kv)
{
	size_t	 i;

	for (i = 0; kv[i] != NULL && i < 14; i++)
		env_tab[i] = kv[i];
	env_tab[i] = NULL;
}

static int
eval(const char *code)
{
	sb_reset(&out);
	kind = RB_NIL;
	return rb_eval(code, strlen(code), tab_getenv, NULL, &kind, &out,
	    why, sizeof why);
}

static const char *
value(const char *code)
{
	ck_assert_msg(eval(code) == 0, "%s: %s", code, why);
	return sb_cstr(&out);
}

static void
fails(const char *code, const char *msg)
{
	ck_assert_int_eq(eval(code), -1);
	ck_assert_str_eq(why, msg);
}

static void
teardown(void)
{
	sb_free(&out);
	env_tab[0] = NULL;
}

START_TEST(test_env_and_defaults)
{
	env((const char *[]){ "A", "alpha", "EMPTY", "", NULL });
	ck_assert_str_eq(value("ENV['A']"), "alpha");
	ck_assert_str_eq(value("ENV[\"A\"]"), "alpha");
	ck_assert_str_eq(value(" ENV[ 'A' ] "), "alpha");
	ck_assert_str_eq(value("ENV['U']"), "");
	ck_assert_int_eq(kind, RB_NIL);
	ck_assert_str_eq(value("ENV['U'] || 'def'"), "def");
	ck_assert_str_eq(value("ENV['A'] || 'def'"), "alpha");
	/* Ruby: "" is true, so an empty variable wins. */
	ck_assert_str_eq(value("ENV['EMPTY'] || 'def'"), "");
	ck_assert_str_eq(value("ENV['U'] || ENV['V'] || ENV['A']"), "alpha");
	ck_assert_str_eq(value("ENV['U'] || nil"), "");
	ck_assert_int_eq(kind, RB_NIL);
	ck_assert_str_eq(value("ENV['U'] || true"), "true");
	ck_assert_int_eq(kind, RB_TRUE);
	ck_assert_str_eq(value("ENV['U'] || false"), "false");
	ck_assert_str_eq(value("ENV['U'] || -1"), "-1");
	ck_assert_int_eq(kind, RB_NUM);
	ck_assert_str_eq(value("ENV['U'] || 1"), "1");
	ck_assert_str_eq(value("ENV['U'] || use_default"), "");
	ck_assert_int_eq(kind, RB_USE_DEFAULT);
	ck_assert_str_eq(value("ENV['U'] || use_nil"), "");
	ck_assert_int_eq(kind, RB_USE_NIL);
	ck_assert_str_eq(value("ENV['A'] || use_nil"), "alpha");
	ck_assert_int_eq(kind, RB_STR);
	ck_assert_str_eq(value("'a\\'b\\\\c\\n'"), "a'b\\c\\n");
	ck_assert_str_eq(value("\"a\\tb\""), "a\tb");
	ck_assert_str_eq(value(""), "");
}
END_TEST

START_TEST(test_fetch_and_join)
{
	env((const char *[]){ "D", "extra", NULL });
	ck_assert_str_eq(value("ENV.fetch('D', '')"), "extra");
	ck_assert_str_eq(value("ENV.fetch('U', 'dflt')"), "dflt");
	ck_assert_str_eq(value("File.join('/var/log/', ENV.fetch('U', ''), "
	    "'fluentd-containers.log.pos')"), "/var/log/fluentd-containers.log.pos");
	ck_assert_str_eq(value("File.join('/var/log/', ENV.fetch('D', ''), "
	    "'x.pos')"), "/var/log/extra/x.pos");
	ck_assert_str_eq(value("File.join('a', '/b/', 'c')"), "a/b/c");
	ck_assert_str_eq(value("File.join('a')"), "a");
	ck_assert_str_eq(value("'a' + 'b' + ENV['D']"), "abextra");
}
END_TEST

/* The kubernetes_url of kubernetes.conf, every way it can go. */
START_TEST(test_kubernetes_url)
{
	env((const char *[]){ "FLUENT_FILTER_KUBERNETES_URL", "https://x",
	    NULL });
	ck_assert_str_eq(value(K8S_URL), "https://x");
	env((const char *[]){ "KUBERNETES_SERVICE_HOST", "10.0.0.1",
	    "KUBERNETES_SERVICE_PORT", "443", NULL });
	ck_assert_str_eq(value(K8S_URL), "https://10.0.0.1:443/api");
	env((const char *[]){ "KUBERNETES_SERVICE_HOST", "fd00::1",
	    "KUBERNETES_SERVICE_PORT", "6443", NULL });
	ck_assert_str_eq(value(K8S_URL), "https://[fd00::1]:6443/api");
	/* Not an address: IPAddr raises, rescue keeps the name. */
	env((const char *[]){ "KUBERNETES_SERVICE_HOST", "kubernetes",
	    "KUBERNETES_SERVICE_PORT", "443", NULL });
	ck_assert_str_eq(value(K8S_URL), "https://kubernetes:443/api");
	env((const char *[]){ NULL });
	fails(K8S_URL, "ENV.fetch('KUBERNETES_SERVICE_HOST') raised KeyError: "
	    "KUBERNETES_SERVICE_HOST is not set; setting "
	    "KUBERNETES_SERVICE_HOST or FLUENT_FILTER_KUBERNETES_URL avoids it");
}
END_TEST

/* `a || b` never evaluates b, nor rejects what it does not know. */
START_TEST(test_lazy)
{
	env((const char *[]){ "A", "alpha", NULL });
	ck_assert_str_eq(value("ENV['A'] || File.read('/etc/x')"), "alpha");
	ck_assert_str_eq(value("ENV['A'] || Socket.gethostname.to_s"), "alpha");
	ck_assert_str_eq(value("ENV['A'] || ENV.fetch('U')"), "alpha");
	ck_assert_str_eq(value("ENV['A'] || (x = `id`; x)") , "alpha");
	ck_assert_str_eq(value("true ? 'y' : File.read('x')"), "y");
	ck_assert_str_eq(value("false ? File.read('x') : 'n'"), "n");
}
END_TEST

START_TEST(test_errors)
{
	env((const char *[]){ NULL });
	fails("File.read('/etc/x')", "'File.read' is not supported; no "
	    "environment variable avoids it: change the value");
	fails("ENV['HOSTNAME'] || Socket.gethostname", "'Socket.gethostname' is "
	    "not supported; setting HOSTNAME avoids it");
	fails("ENV['A'] || ENV['B'] || `id`", "'`id`' is not supported; setting "
	    "B or A avoids it");
	fails("ENV.fetch('X')", "ENV.fetch('X') raised KeyError: X is not "
	    "set; setting X avoids it");
	fails("ENV['A'] || 'x' + 1", "'+' raised TypeError: only strings are "
	    "added here; setting A avoids it");
	fails("ENV['A'", "expected ']' after the name in ENV[...], found the "
	    "end; no environment variable avoids it: change the value");
	fails("ENV[A]", "ENV[...] takes a quoted name; no environment variable "
	    "avoids it: change the value");
	fails("'abc", "unterminated string literal; no environment variable "
	    "avoids it: change the value");
	fails("\"a#{b}\"", "interpolation inside a string is not supported; no "
	    "environment variable avoids it: change the value");
	fails("ENV['A'] 'x'", "''x'' is not supported here; no environment "
	    "variable avoids it: change the value");
	fails("IPAddr.new('::1').to_s", "IPAddr.new(...) is supported only "
	    "with .ipv6? or .ipv4?, not '.to_s'; no environment variable "
	    "avoids it: change the value");
	fails("IPAddr.new('nope').ipv6?", "IPAddr.new('nope') raised "
	    "IPAddr::InvalidAddressError; no environment variable avoids it: "
	    "change the value");
	fails("undefined_name", "'undefined_name' is not supported; no "
	    "environment variable avoids it: change the value");
	fails("(ENV['A']", "expected ')' to close '(', found the end; no "
	    "environment variable avoids it: change the value");
}
END_TEST

/*
 * Found by fuzz_config: an argument past those a call keeps ('b', the
 * third of ENV.fetch) whose expression failed once it held a string
 * leaked that string. LeakSanitizer (make check under ASan) sees it.
 */
START_TEST(test_extra_argument_fails)
{
	env((const char *[]){ NULL });
	fails("ENV.fetch('X', 'a', 'b' + )", "')' is not supported; no "
	    "environment variable avoids it: change the value");
	fails("File.join('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i' + )",
	    "')' is not supported; no environment variable avoids it: change "
	    "the value");
}
END_TEST

/* n copies of open, then mid, then n copies of close, in out. */
static const char *
nest(struct strbuf *sb, const char *open, size_t n, const char *mid,
    const char *close)
{
	size_t	 i;

	sb_reset(sb);
	for (i = 0; i < n; i++)
		sb_adds(sb, open);
	sb_adds(sb, mid);
	for (i = 0; i < n && close != NULL; i++)
		sb_adds(sb, close);
	return sb_cstr(sb);
}

/*
 * Found by fuzzing the configuration parser: nesting was recursion
 * without a bound, so deep enough parentheses, evaluated or skipped
 * (`'x' || y((((...`), overflowed the stack. Now past 64 statements and
 * conditions or skipped brackets it is an error.
 */
START_TEST(test_deep_nesting)
{
	static const char deep[] = "nested more than 64 deep; no environment "
	    "variable avoids it: change the value";
	struct strbuf	 sb = STRBUF_INIT;

	env((const char *[]){ NULL });
	ck_assert_str_eq(value(nest(&sb, "(", 30, "'a'", ")")), "a");
	ck_assert_str_eq(value(nest(&sb, "a = ", 60, "'b'", NULL)), "b");
	fails(nest(&sb, "(", 40, "'a'", ")"), deep);
	fails(nest(&sb, "a = ", 70, "'b'", NULL), deep);
	fails(nest(&sb, "true ? ", 70, "1", " : 2"), deep);
	fails(nest(&sb, "File.join(", 70, "'a'", ")"), deep);
	fails(nest(&sb, "(", 200000, "'a'", ")"), deep);
	ck_assert_str_eq(value(nest(&sb, "'x' || y(", 60, "", ")")), "x");
	fails(nest(&sb, "'x' || y(", 200000, "", ")"), deep);
	sb_free(&sb);
}
END_TEST

static Suite *
test_suite(void)
{
	Suite	*s = suite_create("rbexpr");
	TCase	*tc = tcase_create("rbexpr");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_env_and_defaults);
	tcase_add_test(tc, test_fetch_and_join);
	tcase_add_test(tc, test_kubernetes_url);
	tcase_add_test(tc, test_lazy);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_extra_argument_fails);
	tcase_add_test(tc, test_deep_nesting);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
