/*
 * test_config.c — the Fluentd configuration reader, pinned by example.
 *
 * Error messages are the user interface of a configuration language, so
 * every one is asserted exactly, file and line included.  The Fluentd
 * DaemonSet configurations in tests/data/fluentd-configs/ must load as
 * they are, embedded Ruby included (its evaluator: test_rbexpr.c).
 */
#define _GNU_SOURCE		/* nftw, environ */

#include <sys/stat.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "mem.h"


static struct conf	 c;
static struct err	 e;
static char		 tmp[32];

/* --- helpers ----------------------------------------------------------- */

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	chmod(path, 0700);
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void
setup(void)
{
	memset(&c, 0, sizeof c);
	memset(&e, 0, sizeof e);
	strcpy(tmp, "/tmp/test_config.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
}

static void
teardown(void)
{
	conf_free(&c);
	nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A path under the test's directory; a few stay valid at once. */
static const char *
tp(const char *rel)
{
	static char	 paths[8][PATH_MAX];
	static int	 next;
	char		*p = paths[next++ % 8];

	if (snprintf(p, PATH_MAX, "%s/%s", tmp, rel) >= PATH_MAX)
		ck_abort_msg("path too long: %s", rel);
	return p;
}

static void
put(const char *rel, const char *text)
{
	char	 path[PATH_MAX], *slash;
	FILE	*f;

	snprintf(path, sizeof path, "%s", tp(rel));
	for (slash = path + strlen(tmp) + 1; (slash = strchr(slash, '/'));
	    slash++) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

static const struct conf_elem *
ok(const char *text)
{
	conf_free(&c);
	if (conf_load_string(&c, text, "x.conf", &e) != 0)
		ck_abort_msg("unexpected error: %s", e.msg);
	return &c.root;
}

static const struct conf_elem *
ok_file(const char *rel)
{
	conf_free(&c);
	if (conf_load_file(&c, tp(rel), &e) != 0)
		ck_abort_msg("unexpected error: %s", e.msg);
	return &c.root;
}

/* A failed load leaves nothing behind: conf_free has nothing to do. */
static void
assert_empty(void)
{
	ck_assert_ptr_null(c.root.name);
	ck_assert_ptr_null(c.files);
	ck_assert_uint_eq(c.root.nelems, 0);
}

static void
fails(const char *text, const char *msg)
{
	conf_free(&c);
	ck_assert_int_eq(conf_load_string(&c, text, "x.conf", &e), -1);
	ck_assert_str_eq(e.msg, msg);
	assert_empty();
}

/* The message, with "~" standing for the test's directory. */
static void
fails_file(const char *rel, const char *fmt)
{
	char	 msg[ERR_MAX], *o = msg;

	for (; *fmt != '\0' && o < msg + sizeof msg - 64; fmt++) {
		if (*fmt == '~')
			o += sprintf(o, "%s", tmp);
		else
			*o++ = *fmt;
	}
	*o = '\0';
	conf_free(&c);
	ck_assert_int_eq(conf_load_file(&c, tp(rel), &e), -1);
	ck_assert_str_eq(e.msg, msg);
	assert_empty();
}

static const struct conf_param *
param(const struct conf_elem *el, const char *key)
{
	const struct conf_param	*pa = conf_param_get(el, key);

	ck_assert_msg(pa != NULL, "no parameter '%s' in <%s>", key, el->name);
	return pa;
}

static void
is(const struct conf_elem *el, const char *key, const char *value,
    enum conf_value_kind kind)
{
	const struct conf_param	*pa = param(el, key);

	ck_assert_str_eq(pa->value, value);
	ck_assert_int_eq(pa->kind, kind);
}

/* The value of key in a one-line configuration "key <text>". */
static const char *
value_of(const char *text)
{
	const struct conf_elem	*root = ok(text);

	ck_assert_uint_eq(root->nparams, 1);
	return root->params[0].value;
}

static const struct conf_elem *
child(const struct conf_elem *el, size_t i, const char *name)
{
	ck_assert_uint_gt(el->nelems, i);
	ck_assert_str_eq(el->elems[i].name, name);
	return &el->elems[i];
}

/* --- elements ---------------------------------------------------------- */

START_TEST(elements)
{
	const struct conf_elem	*root, *m;

	root = ok("<source>\n"
	    "  @type tail\n"
	    "</source>\n"
	    "\n"
	    "<match a.** b.**>\n"
	    "  <buffer>\n"
	    "    flush_interval 5s\n"
	    "  </buffer>\n"
	    "</match>   # done\n"
	    "<label   @X   >\n"
	    "</label >\n"
	    "<match.x>\n"
	    "</match>\n");
	ck_assert_str_eq(root->name, "ROOT");
	ck_assert_str_eq(root->arg, "");
	ck_assert_str_eq(root->file, "x.conf");
	ck_assert_uint_eq(root->nelems, 4);
	ck_assert_str_eq(child(root, 0, "source")->arg, "");
	ck_assert_int_eq(root->elems[0].line, 1);
	is(&root->elems[0], "@type", "tail", CONF_BARE);
	m = child(root, 1, "match");
	ck_assert_str_eq(m->arg, "a.** b.**");
	ck_assert_int_eq(m->line, 5);
	ck_assert_str_eq(m->file, "x.conf");
	ck_assert_int_eq(child(m, 0, "buffer")->line, 6);
	is(&m->elems[0], "flush_interval", "5s", CONF_BARE);
	ck_assert_int_eq(m->elems[0].params[0].line, 7);
	ck_assert_str_eq(child(root, 2, "label")->arg, "@X");
	/* As in Fluentd: the name is [a-zA-Z0-9_]+, the rest is the arg. */
	ck_assert_str_eq(child(root, 3, "match")->arg, ".x");
	ck_assert(!root->used && !m->used && !m->elems[0].params[0].used);
}
END_TEST

START_TEST(element_errors)
{
	fails("<source\n", "x.conf:1: expected '>' after element name");
	fails("\n<match a.**\n</match>\n",
	    "x.conf:2: expected '>' to end '<match a.**'");
	fails("< source>\n", "x.conf:1: expected an element name after '<'");
	fails("<source> x\n</source>\n",
	    "x.conf:1: expected end of line after <source>, found 'x'");
	fails("<source>\n</source> y\n",
	    "x.conf:2: expected end of line after </source>, found 'y'");
	fails("<source>\n</ source>\n",
	    "x.conf:2: expected an element name after '</'");
	fails("<source>\n</source\n",
	    "x.conf:2: expected '>' after '</source'");
	fails("<filter k.**>\n  @type grep\n</match>\n",
	    "x.conf:3: </match> does not close <filter> opened at x.conf:1");
	fails("<match a>\n  <buffer>\n</match>\n",
	    "x.conf:3: </match> does not close <buffer> opened at x.conf:2");
	fails("k v\n</match>\n",
	    "x.conf:2: </match> closes nothing: no element is open");
	fails("# c\n<filter a>\n  <regexp>\n  </regexp>\n\n",
	    "x.conf:2: <filter> is not closed: expected </filter> before the "
	    "end of the file");
}
END_TEST

/* The reader recurses per element: deep nesting is refused, not a crash. */
START_TEST(element_depth)
{
	char	 text[64 * 9 + 1] = "", *p;
	int	 i;

	for (p = text, i = 0; i < 64; i++)
		p += sprintf(p, "<a>\n");
	for (i = 0; i < 64; i++)
		p += sprintf(p, "</a>\n");
	ok(text);
	for (p = text, i = 0; i < 65; i++)
		p += sprintf(p, "<a>\n");
	fails(text, "x.conf:65: <a> is nested more than 64 elements deep");
}
END_TEST

/* --- parameters -------------------------------------------------------- */

START_TEST(bare_values)
{
	const struct conf_elem	*root;

	root = ok("# a comment\n"
	    "   # an indented one\n"
	    "path /x # note\n"
	    "hash a#b\n"
	    "spaced   many   words   \n"
	    "tabs\tx\t#c\n"
	    "alone\n"
	    "commented   # only a comment\n"
	    "url http://h/#frag\n"
	    "k#x v\n"
	    "dup 1\n"
	    "dup 2\n"
	    "last");
	ck_assert_uint_eq(root->nparams, 11);
	is(root, "path", "/x", CONF_BARE);
	ck_assert_int_eq(param(root, "path")->line, 3);
	ck_assert_str_eq(param(root, "path")->file, "x.conf");
	is(root, "hash", "a#b", CONF_BARE);
	is(root, "spaced", "many   words", CONF_BARE);
	is(root, "tabs", "x", CONF_BARE);
	is(root, "alone", "", CONF_EMPTY);
	is(root, "commented", "", CONF_EMPTY);
	is(root, "url", "http://h/#frag", CONF_BARE);
	is(root, "k#x", "v", CONF_BARE);
	/* The last of a repeated key wins, as in Fluentd's hash. */
	is(root, "dup", "2", CONF_BARE);
	ck_assert_int_eq(param(root, "dup")->line, 12);
	is(root, "last", "", CONF_EMPTY);
	ck_assert_ptr_null(conf_param_get(root, "nope"));
	ck_assert_ptr_null(conf_get(root, "nope"));
	ck_assert_str_eq(conf_get(root, "path"), "/x");
	ck_assert_str_eq(value_of("k v"), "v");
}
END_TEST

START_TEST(crlf_and_blank_files)
{
	const struct conf_elem	*root;

	root = ok("<source>\r\n  k v \r\n  e\r\n</source>\r\n");
	is(child(root, 0, "source"), "k", "v", CONF_BARE);
	is(&root->elems[0], "e", "", CONF_EMPTY);
	root = ok("");
	ck_assert_uint_eq(root->nparams + root->nelems, 0);
	root = ok("\n\n  \t\n# only comments\n");
	ck_assert_uint_eq(root->nparams + root->nelems, 0);
}
END_TEST

START_TEST(double_quoted)
{
	const struct conf_elem	*root;

	ck_assert_str_eq(value_of("k \"a\\\"b\\'c\\\\d\\re\\nf\\tg\\fh\\bi\""),
	    "a\"b'c\\d\re\nf\tg\fh\bi");
	ck_assert_str_eq(value_of("k \"\\#\\{\\$\\ x\\.\""), "#{$ x.");
	ck_assert_str_eq(value_of("k \"a # not a comment\" # but this is"),
	    "a # not a comment");
	ck_assert_str_eq(value_of("k \"a\"#c"), "a");
	ck_assert_str_eq(value_of("k \"\""), "");
	is(ok("k \"x\""), "k", "x", CONF_DQUOTED);
	/* Over lines; a backslash before the newline joins them. */
	root = ok("k \"a\nb\"\nj \"ab\\\ncd\"\nn 1\n");
	is(root, "k", "a\nb", CONF_DQUOTED);
	is(root, "j", "abcd", CONF_DQUOTED);
	ck_assert_int_eq(param(root, "j")->line, 3);
	ck_assert_int_eq(param(root, "n")->line, 5);
}
END_TEST

START_TEST(double_quoted_errors)
{
	fails("k \"\\d+\"\n",
	    "x.conf:1: unknown escape '\\d' in a double-quoted string (known: "
	    "\\\" \\' \\\\ \\r \\n \\t \\f \\b); write '\\\\d' for a backslash "
	    "and 'd', or use single quotes");
	fails("a 1\nk \"abc\nmore\n\nend\n",
	    "x.conf:5: unterminated double-quoted string (started at line 2)");
	fails("k \"abc\\", "x.conf:1: unterminated double-quoted string "
	    "(started at line 1)");
	fails("k \"a\" b\n",
	    "x.conf:1: expected end of line after the closing quote, "
	    "found 'b'");
}
END_TEST

START_TEST(single_quoted)
{
	ck_assert_str_eq(value_of("k 'a\\'b\\\\c\\nd\\\"'"), "a'b\\c\\nd\\\"");
	ck_assert_str_eq(value_of("k '#{ENV[\"HOME\"]} # x' # y"),
	    "#{ENV[\"HOME\"]} # x");
	is(ok("k 'x'"), "k", "x", CONF_SQUOTED);
	fails("k 'abc\ndef'\n", "x.conf:1: unterminated single-quoted string: "
	    "a '...' value must end on its line (use \"...\" to span lines)");
	fails("k 'abc", "x.conf:1: unterminated single-quoted string: "
	    "a '...' value must end on its line (use \"...\" to span lines)");
	fails("k 'a' 'b'\n",
	    "x.conf:1: expected end of line after the closing quote, found "
	    "''b''");
}
END_TEST

START_TEST(json_values)
{
	const struct conf_elem	*root;

	is(ok("k [1, \"a\", {\"b\": null, \"c\": true}, 1.5e3]"), "k",
	    "[1,\"a\",{\"b\":null,\"c\":true},1.5e3]", CONF_JSON);
	is(ok("k {}  # empty"), "k", "{}", CONF_JSON);
	root = ok("k {\n"
	    "  \"a\": \"x#y\", # a comment\n"
	    "  # a comment line\n"
	    "  \"b\": [1,\n"
	    "        2],\n"
	    "  \"q\": \"\\\"]\"\n"
	    "}\n"
	    "n 1\n");
	is(root, "k", "{\"a\":\"x#y\",\"b\":[1,2],\"q\":\"\\\"]\"}", CONF_JSON);
	ck_assert_int_eq(param(root, "k")->line, 1);
	ck_assert_int_eq(param(root, "n")->line, 8);
}
END_TEST

START_TEST(json_errors)
{
	fails("k [1 2]\n", "x.conf:1: invalid JSON array: after array "
	    "element, I expect ',' or ']'");
	fails("k [\n 1,\n 2 3\n]\n", "x.conf:3: invalid JSON array: after "
	    "array element, I expect ',' or ']'");
	fails("k {\"a\" 1}\n", "x.conf:1: invalid JSON hash: object key and "
	    "value must be separated by a colon (':')");
	fails("k [1,\n 2\n", "x.conf:2: unterminated JSON array (started at "
	    "line 1)");
	fails("k {\"a\":\n", "x.conf:1: unterminated JSON hash (started at "
	    "line 1)");
	fails("k [\"abc\n]\n", "x.conf:1: unterminated string in JSON array");
	fails("k [1] x\n",
	    "x.conf:1: expected end of line after the JSON array, found 'x'");
	fails("k {\"a\":1} x\n",
	    "x.conf:1: expected end of line after the JSON hash, found 'x'");
}
END_TEST

START_TEST(reserved_prefix)
{
	const struct conf_elem	*root;

	root = ok("<match a>\n"
	    "  @type null\n  @id x\n  @label @L\n  @log_level warn\n"
	    "  <buffer>\n    @nested ok\n  </buffer>\n"
	    "</match>\n");
	is(child(child(root, 0, "match"), 0, "buffer"), "@nested", "ok",
	    CONF_BARE);
	fails("@foo bar\n", "x.conf:1: '@foo': the '@' prefix is reserved for "
	    "Fluentd's own parameters (@type, @id, @label, @log_level)");
	fails("<source>\n  @typo tail\n</source>\n", "x.conf:2: '@typo': the "
	    "'@' prefix is reserved for Fluentd's own parameters (@type, @id, "
	    "@label, @log_level)");
}
END_TEST

START_TEST(nul_byte)
{
	int	 fd;

	ck_assert_int_ge(fd = open(tp("nul.conf"), O_WRONLY | O_CREAT, 0644),
	    0);
	ck_assert_int_eq(write(fd, "k v\nj \0\n", 8), 8);
	close(fd);
	fails_file("nul.conf", "~/nul.conf:2: NUL byte in the configuration");
}
END_TEST

/* --- @include ---------------------------------------------------------- */

START_TEST(include_relative)
{
	const struct conf_elem	*root, *src;

	put("main.conf", "top 1\n@include sub/a.conf\nafter 1\n");
	put("sub/a.conf", "<source>\n  @include ../b.conf\n  own 1\n"
	    "</source>\n");
	put("b.conf", "\nk v\n<parse>\n</parse>\n");
	root = ok_file("main.conf");
	ck_assert_uint_eq(root->nparams, 2);
	ck_assert_str_eq(root->params[1].key, "after");
	ck_assert_int_eq(root->params[1].line, 3);
	src = child(root, 0, "source");
	ck_assert_str_eq(src->file, tp("sub/a.conf"));
	ck_assert_int_eq(src->line, 1);
	/* Spliced in place, each keeping its own file:line. */
	ck_assert_str_eq(src->params[0].key, "k");
	ck_assert_str_eq(src->params[0].file, tp("b.conf"));
	ck_assert_int_eq(src->params[0].line, 2);
	ck_assert_str_eq(src->params[1].key, "own");
	ck_assert_str_eq(src->params[1].file, tp("sub/a.conf"));
	ck_assert_str_eq(child(src, 0, "parse")->file, tp("b.conf"));
	ck_assert_uint_eq(c.nfiles, 3);
	ck_assert_str_eq(c.files[0], tp("main.conf"));
	ck_assert_str_eq(c.files[1], tp("sub/a.conf"));
	ck_assert_str_eq(c.files[2], tp("b.conf"));
}
END_TEST

START_TEST(include_glob)
{
	const struct conf_elem	*root;

	put("main.conf", "@include conf.d/*.conf\n"
	    "@include nothing/*.conf\n"
	    "@include missing.conf\n"
	    "@include {x,y}.conf # braces, as Ruby's Dir.glob\n"
	    "@include [y].conf\n");
	put("conf.d/b.conf", "b 1\n");
	put("conf.d/a.conf", "a 1\n");
	put("conf.d/c.txt", "c 1\n");
	put("x.conf", "x 1\n");
	put("y.conf", "y 1\n");
	root = ok_file("main.conf");
	ck_assert_uint_eq(root->nparams, 5);
	ck_assert_str_eq(root->params[0].key, "a");
	ck_assert_str_eq(root->params[1].key, "b");
	ck_assert_str_eq(root->params[2].key, "x");
	ck_assert_str_eq(root->params[3].key, "y");
	ck_assert_str_eq(root->params[4].key, "y");
	ck_assert_uint_eq(c.nfiles, 5);	/* each file named once */
}
END_TEST

START_TEST(include_forms)
{
	const struct conf_elem	*root;
	char			 text[PATH_MAX * 2];

	put("a.conf", "a 1\n");
	put("b.conf", "b 1\n");
	put("systemd.conf", "s 1\n");
	/* Deprecated "include" at a file's top; a parameter in an element. */
	put("main.conf", "include a.conf\n"
	    "<source>\n  include x\n</source>\n");
	root = ok_file("main.conf");
	is(root, "a", "1", CONF_BARE);
	is(child(root, 0, "source"), "include", "x", CONF_BARE);
	/* Quoted, with embedded code, as the DaemonSet's fluent.conf. */
	put("main.conf", "@include \"#{ENV['SYSCONF'] || 'systemd'}.conf\"\n"
	    "@include 'b.conf' # quoted\n");
	unsetenv("SYSCONF");
	root = ok_file("main.conf");
	is(root, "s", "1", CONF_BARE);
	is(root, "b", "1", CONF_BARE);
	setenv("SYSCONF", "a", 1);
	root = ok_file("main.conf");
	is(root, "a", "1", CONF_BARE);
	ck_assert_ptr_null(conf_param_get(root, "s"));
	setenv("SYSCONF", "disable", 1);	/* the image's off switch */
	root = ok_file("main.conf");
	ck_assert_uint_eq(root->nparams, 1);
	/* Absolute and file:// paths. */
	snprintf(text, sizeof text, "@include %s\n@include file://%s\n",
	    tp("a.conf"), tp("b.conf"));
	root = ok(text);
	is(root, "a", "1", CONF_BARE);
	is(root, "b", "1", CONF_BARE);
	/* A string names its directory for relative includes. */
	snprintf(text, sizeof text, "%s", tp("virtual.conf"));
	conf_free(&c);
	ck_assert_int_eq(conf_load_string(&c, "@include b.conf\n", text, &e),
	    0);
	is(&c.root, "b", "1", CONF_BARE);
}
END_TEST

START_TEST(include_errors)
{
	fails("@include\n",
	    "x.conf:1: @include needs a file name or a glob pattern");
	fails("<source>\n  @include   # nothing\n</source>\n",
	    "x.conf:2: @include needs a file name or a glob pattern");
	fails("@include \"\"\n",
	    "x.conf:1: @include needs a file name or a glob pattern");
	fails("@include http://example.com/x.conf\n", "x.conf:1: @include "
	    "http://example.com/x.conf: only local files can be included");
	fails("@include 'a.conf' x\n",
	    "x.conf:1: expected end of line after the closing quote, "
	    "found 'x'");
	put("main.conf", "\n@include main.conf\n");
	fails_file("main.conf", "~/main.conf:2: @include main.conf: include "
	    "cycle: ~/main.conf -> ~/main.conf");
	put("main.conf", "@include a.conf\n");
	put("a.conf", "@include sub/b.conf\n");
	put("sub/b.conf", "<source>\n  @include ../a.conf\n</source>\n");
	fails_file("main.conf", "~/sub/b.conf:2: @include ../a.conf: include "
	    "cycle: ~/a.conf -> ~/sub/b.conf -> ~/a.conf");
	put("main.conf", "@include conf.d/*.conf\n");
	put("conf.d/a.conf", "a 1\n");
	mkdir(tp("conf.d/b.conf"), 0755);
	fails_file("main.conf", "~/main.conf:1: @include conf.d/*.conf: cannot "
	    "read '~/conf.d/b.conf': Is a directory");
	fails_file("nope.conf",
	    "cannot read '~/nope.conf': No such file or directory");
}
END_TEST

START_TEST(include_unreadable)
{
	put("main.conf", "k 1\n\n@include conf.d/*.conf\n");
	put("conf.d/a.conf", "a 1\n");
	chmod(tp("conf.d/a.conf"), 0);
	if (geteuid() == 0)
		return;		/* root reads it anyway */
	fails_file("main.conf", "~/main.conf:3: @include conf.d/*.conf: cannot "
	    "read '~/conf.d/a.conf': Permission denied");
}
END_TEST

START_TEST(include_depth)
{
	char	 name[32], text[64];
	int	 i;

	/* 16 levels below the top file are allowed; the 17th is not. */
	for (i = 0; i < 17; i++) {
		snprintf(name, sizeof name, "f%d.conf", i);
		snprintf(text, sizeof text, "@include f%d.conf\n", i + 1);
		put(name, text);
	}
	put("f17.conf", "leaf 1\n");
	fails_file("f0.conf", "~/f16.conf:1: @include f17.conf: includes are "
	    "nested more than 16 deep");
	put("f16.conf", "leaf 1\n");
	is(ok_file("f0.conf"), "leaf", "1", CONF_BARE);
	ck_assert_uint_eq(c.nfiles, 17);
}
END_TEST

START_TEST(include_file_boundaries)
{
	put("main.conf", "<source>\n  @include end.conf\n</source>\n");
	put("end.conf", "k 1\n</source>\n");
	fails_file("main.conf", "~/end.conf:2: </source> closes nothing: an "
	    "included file cannot close an element of the file that includes "
	    "it");
	put("main.conf", "<source>\n  @include open.conf\n</source>\n");
	put("open.conf", "<parse>\n");
	fails_file("main.conf", "~/open.conf:1: <parse> is not closed: "
	    "expected </parse> before the end of the file");
	/* An error in an included file is reported at its own file:line. */
	put("main.conf", "a 1\n@include bad.conf\n");
	put("bad.conf", "\nk \"\\q\"\n");
	fails_file("main.conf", "~/bad.conf:2: unknown escape '\\q' in a "
	    "double-quoted string (known: \\\" \\' \\\\ \\r \\n \\t \\f \\b); "
	    "write '\\\\q' for a backslash and 'q', or use single quotes");
	/* An included file is a file's top: '@' rules and "include" apply. */
	put("main.conf", "<source>\n  @include top.conf\n</source>\n");
	put("top.conf", "include a.conf\n");
	put("a.conf", "@oops 1\n");
	fails_file("main.conf", "~/a.conf:1: '@oops': the '@' prefix is "
	    "reserved for Fluentd's own parameters (@type, @id, @label, "
	    "@log_level)");
}
END_TEST

/* --- embedded code ----------------------------------------------------- */

START_TEST(env_values)
{
	setenv("T_A", "alpha", 1);
	unsetenv("T_UNSET");
	setenv("T_EMPTY", "", 1);
	ck_assert_str_eq(value_of("k \"#{ENV['T_A']}\""), "alpha");
	ck_assert_str_eq(value_of("k \"#{ENV[\"T_A\"]}\""), "alpha");
	ck_assert_str_eq(value_of("k \"#{ ENV[ 'T_A' ] }\""), "alpha");
	/* Unset is nil, and nil.to_s is "". */
	ck_assert_str_eq(value_of("k \"#{ENV['T_UNSET']}\""), "");
	ck_assert_str_eq(value_of("k \"#{ENV['T_UNSET'] || 'def'}\""), "def");
	ck_assert_str_eq(value_of("k \"#{ENV['T_UNSET']||\"def\"}\""), "def");
	ck_assert_str_eq(value_of("k \"#{ENV['T_A'] || 'def'}\""), "alpha");
	/* Ruby: "" is true, so || keeps it. */
	ck_assert_str_eq(value_of("k \"#{ENV['T_EMPTY'] || 'def'}\""), "");
	ck_assert_str_eq(value_of("k \"#{ENV['T_UNSET'] || ENV['T_A'] || "
	    "'z'}\""), "alpha");
	ck_assert_str_eq(value_of("k \"#{ENV['T_UNSET'] || ENV['T_UNSET']}\""),
	    "");
	ck_assert_str_eq(value_of("k \"pre-#{ENV['T_A']}-#{ENV['T_UNSET'] || "
	    "\"d\"}-post\""), "pre-alpha-d-post");
	ck_assert_str_eq(value_of("k \"#{'lit'}#{\"a\\tb\"}#{'it\\'s \\\\ "
	    "\\n'}\""), "lita\tbit's \\ \\n");
	ck_assert_str_eq(value_of("k \"#{'}'}#{\"{\"}\""), "}{");
	ck_assert_str_eq(value_of("k \"[#{}]\""), "[]");
	ck_assert_str_eq(value_of("k \"\\#{ENV['T_A']}\""), "#{ENV['T_A']}");
	/* Only double quotes evaluate. */
	ck_assert_str_eq(value_of("k a#{ENV['T_A']}"), "a#{ENV['T_A']}");
}
END_TEST

START_TEST(env_errors)
{
	unsetenv("T_UNSET");
	/* The evaluator's own messages are test_rbexpr's; here, file:line. */
	fails("\nk \"#{File.read('a')}\"\n", "x.conf:2: embedded code "
	    "#{File.read('a')}: 'File.read' is not supported; no environment "
	    "variable avoids it: change the value");
	fails("k \"#{ENV['T_UNSET'] || Socket.gethostname}\"\n", "x.conf:1: "
	    "embedded code #{ENV['T_UNSET'] || Socket.gethostname}: "
	    "'Socket.gethostname' is not supported; setting T_UNSET avoids it");
	fails("k \"x#{ENV['T_UNSET'] || use_default}\"\n", "x.conf:1: k: "
	    "use_default must be the whole value, as in \"#{ENV['X'] || "
	    "use_default}\"");
	fails("k \"#{'a\\'}\"\n", "x.conf:1: embedded code '#{'a\\'}\"' is "
	    "not closed: expected '}' before the end of the line");
	fails("k \"#{ENV['A']\"\nj 1\n", "x.conf:1: embedded code "
	    "'#{ENV['A']\"' is not closed: expected '}' before the end of the "
	    "line");
}
END_TEST

/* use_default and use_nil: as if the parameter were not written. */
START_TEST(env_markers)
{
	unsetenv("T_UNSET");
	setenv("T_A", "alpha", 1);
	conf_free(&c);
	ck_assert_int_eq(conf_load_string(&c, "<source>\n"
	    "a \"#{ENV['T_UNSET'] || use_default}\"\n"
	    "b \"#{ENV['T_UNSET'] || use_nil}\"\n"
	    "c \"#{ENV['T_A'] || use_nil}\"\n"
	    "d \"#{ENV['T_UNSET'] || 42}\"\n</source>\n", "x.conf", &e), 0);
	ck_assert_uint_eq(c.root.elems[0].nparams, 2);
	is(&c.root.elems[0], "c", "alpha", CONF_DQUOTED);
	is(&c.root.elems[0], "d", "42", CONF_DQUOTED);
}
END_TEST

/* --- value helpers ----------------------------------------------------- */

START_TEST(sizes)
{
	static const struct {
		const char		*s;
		unsigned long long	 v;
	} good[] = {
		{ "100", 100 }, { "0", 0 }, { "512k", 524288 },
		{ "512K", 524288 }, { "2M", 2097152 }, { "2m", 2097152 },
		{ "1g", 1073741824 }, { "1t", 1099511627776ULL },
		{ "1.5m", 1572864 }, { "0.5k", 512 }, { "2MB", 2097152 },
		{ "8kb", 8192 }, { "18446744073709551615", ULLONG_MAX },
	};
	static const char *const bad[] = {
		"", "1.5", "-1", "+1", "2x", "2 M", "M", "k1", "1kk", "1mbx",
		" 1", "1.", "18446744073709551616", "16777216t",
	};
	unsigned long long	 v;
	size_t			 i;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		ck_assert_msg(conf_parse_size(good[i].s, &v) == 0, "%s",
		    good[i].s);
		ck_assert_uint_eq(v, good[i].v);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		v = 7;
		ck_assert_msg(conf_parse_size(bad[i], &v) == -1, "'%s'",
		    bad[i]);
		ck_assert_uint_eq(v, 7);
	}
}
END_TEST

START_TEST(times)
{
	static const struct {
		const char	*s;
		double		 v;
	} good[] = {
		{ "5s", 5 }, { "1m", 60 }, { "1h", 3600 }, { "1d", 86400 },
		{ "250ms", 0.25 }, { "0.5", 0.5 }, { "30", 30 },
		{ "1.5h", 5400 }, { "-1", -1 }, { "0", 0 },
	};
	static const char *const bad[] = {
		"", "5x", "5 s", "s", "5S", "1e3", ".5", "5s ", "1ms5", "--1",
	};
	double	 v;
	size_t	 i;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		ck_assert_msg(conf_parse_time(good[i].s, &v) == 0, "%s",
		    good[i].s);
		ck_assert_double_eq_tol(v, good[i].v, 1e-9);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		v = 7;
		ck_assert_msg(conf_parse_time(bad[i], &v) == -1, "'%s'",
		    bad[i]);
		ck_assert_double_eq(v, 7);
	}
}
END_TEST

START_TEST(bools_ints_floats)
{
	static const char *const bad_bool[] = { "True", "1", "on", "#foo" };
	static const char *const bad_int[] = {
		"", "1.0", "12a", " 1", "1 ", "9223372036854775808", "0x10",
		"1e3", "+", "-",
	};
	static const char *const bad_float[] = {
		"", "abc", "1.", ".5", "nan", "inf", "1e", "1.5x", "0x10",
		"1e999",
	};
	long long	 n;
	double		 d;
	bool		 b;
	size_t		 i;

	ck_assert(conf_parse_bool("true", &b) == 0 && b);
	ck_assert(conf_parse_bool("yes", &b) == 0 && b);
	ck_assert(conf_parse_bool("", &b) == 0 && b);
	ck_assert(conf_parse_bool("false", &b) == 0 && !b);
	ck_assert(conf_parse_bool("no", &b) == 0 && !b);
	for (i = 0; i < sizeof bad_bool / sizeof bad_bool[0]; i++)
		ck_assert_int_eq(conf_parse_bool(bad_bool[i], &b), -1);
	ck_assert(conf_parse_int("0", &n) == 0 && n == 0);
	ck_assert(conf_parse_int("-12", &n) == 0 && n == -12);
	ck_assert(conf_parse_int("+7", &n) == 0 && n == 7);
	ck_assert(conf_parse_int("9223372036854775807", &n) == 0 &&
	    n == LLONG_MAX);
	for (i = 0; i < sizeof bad_int / sizeof bad_int[0]; i++) {
		ck_assert_msg(conf_parse_int(bad_int[i], &n) == -1, "'%s'",
		    bad_int[i]);
	}
	ck_assert(conf_parse_float("1.5", &d) == 0 && d == 1.5);
	ck_assert(conf_parse_float("-2", &d) == 0 && d == -2);
	ck_assert(conf_parse_float("1e3", &d) == 0 && d == 1000);
	ck_assert(conf_parse_float("2.5E-2", &d) == 0 && d == 0.025);
	/* A failure leaves the destination alone: defaults survive. */
	n = 42;
	d = 4.2;
	ck_assert(conf_parse_int("9223372036854775808", &n) == -1 && n == 42);
	ck_assert(conf_parse_float("1e999", &d) == -1 && d == 4.2);
	b = true;
	ck_assert(conf_parse_bool("maybe", &b) == -1 && b);
	for (i = 0; i < sizeof bad_float / sizeof bad_float[0]; i++) {
		ck_assert_msg(conf_parse_float(bad_float[i], &d) == -1, "'%s'",
		    bad_float[i]);
	}
}
END_TEST

/* The vector as "a|b|c", then freed. */
static const char *
joined(char **v)
{
	static char	 out[256];
	size_t		 i;

	ck_assert_ptr_nonnull(v);
	out[0] = '\0';
	for (i = 0; v[i] != NULL; i++) {
		if (i > 0)
			strcat(out, "|");
		strcat(out, v[i]);
	}
	ck_assert_uint_eq(conf_strv_len(v), i);
	conf_strv_free(v);
	return out;
}

START_TEST(arrays)
{
	ck_assert_str_eq(joined(conf_parse_array("[\"a\", 1, 2.5, true, "
	    "\"x,y\"]", &e)), "a|1|2.5|true|x,y");
	ck_assert_str_eq(joined(conf_parse_array("[]", &e)), "");
	ck_assert_str_eq(joined(conf_parse_array("a, b ,c", &e)), "a|b|c");
	ck_assert_str_eq(joined(conf_parse_array("single", &e)), "single");
	ck_assert_str_eq(joined(conf_parse_array("", &e)), "");
	ck_assert_str_eq(joined(conf_parse_array(" , ", &e)), "");
	/* Ruby's split: empty items kept, trailing ones dropped. */
	ck_assert_str_eq(joined(conf_parse_array(",a,,b,,", &e)), "|a||b");
	conf_strv_free(NULL);
	ck_assert_ptr_null(conf_parse_array("[1 2]", &e));
	ck_assert_str_eq(e.msg,
	    "invalid JSON array: after array element, I expect ',' or ']'");
	ck_assert_ptr_null(conf_parse_array("[1,", &e));
	ck_assert_str_eq(e.msg, "invalid JSON array: premature EOF");
	ck_assert_ptr_null(conf_parse_array("[null]", &e));
	ck_assert_str_eq(e.msg,
	    "array item 1 is null; items must be strings or numbers");
	ck_assert_ptr_null(conf_parse_array("[1, {\"a\": 1}]", &e));
	ck_assert_str_eq(e.msg,
	    "array item 2 is a hash; items must be strings or numbers");
	ck_assert_ptr_null(conf_parse_array("[[1]]", &e));
	ck_assert_str_eq(e.msg,
	    "array item 1 is an array; items must be strings or numbers");
}
END_TEST

START_TEST(hashes)
{
	ck_assert_str_eq(joined(conf_parse_hash("{\"a\": \"x\", \"b\": 2, "
	    "\"c\": false}", &e)), "a|x|b|2|c|false");
	ck_assert_str_eq(joined(conf_parse_hash("{}", &e)), "");
	ck_assert_str_eq(joined(conf_parse_hash("k1:v1, k2 : v2", &e)),
	    "k1|v1|k2|v2");
	ck_assert_str_eq(joined(conf_parse_hash("url:http://x:80", &e)),
	    "url|http://x:80");
	ck_assert_str_eq(joined(conf_parse_hash("k:", &e)), "k|");
	ck_assert_str_eq(joined(conf_parse_hash("", &e)), "");
	/* A key once, with its last value, where it first appeared. */
	ck_assert_str_eq(joined(conf_parse_hash("a:1,b:2,a:3", &e)),
	    "a|3|b|2");
	ck_assert_str_eq(joined(conf_parse_hash("{\"a\":1,\"a\":2}", &e)),
	    "a|2");
	ck_assert_ptr_null(conf_parse_hash("k1", &e));
	ck_assert_str_eq(e.msg, "hash item 'k1' has no ':' (expected "
	    "key1:value1,key2:value2 or a JSON hash)");
	ck_assert_ptr_null(conf_parse_hash("a:1,,b:2", &e));
	ck_assert_str_eq(e.msg, "hash item '' has no ':' (expected "
	    "key1:value1,key2:value2 or a JSON hash)");
	ck_assert_ptr_null(conf_parse_hash("{\"a\": null}", &e));
	ck_assert_str_eq(e.msg,
	    "hash value of 'a' is null; values must be strings or numbers");
	ck_assert_ptr_null(conf_parse_hash("{\"a\": [1]}", &e));
	ck_assert_str_eq(e.msg,
	    "hash value of 'a' is an array; values must be strings or numbers");
	ck_assert_ptr_null(conf_parse_hash("{\"a\": {}}", &e));
	ck_assert_str_eq(e.msg,
	    "hash value of 'a' is a hash; values must be strings or numbers");
	ck_assert_ptr_null(conf_parse_hash("{\"a\":1", &e));
	ck_assert_str_eq(e.msg, "invalid JSON hash: premature EOF");
}
END_TEST

START_TEST(free_is_idempotent)
{
	ok("<a>\n k v\n</a>\n");
	conf_free(&c);
	assert_empty();
	conf_free(&c);
}
END_TEST

/* --- the DaemonSet image's configurations ------------------------------ */

static const char *
data_dir(void)
{
	static char	 dir[PATH_MAX + 64];
	const char	*top = getenv("top_srcdir");

#ifdef TOP_SRCDIR
	if (top == NULL)
		top = TOP_SRCDIR;
#endif
	char		 real[PATH_MAX];

	if (top == NULL || strcmp(top, ".") == 0)
		return "tests/data/fluentd-configs";
	/* Messages name files as the loader cleans their paths. */
	if (realpath(top, real) == NULL)
		ck_abort_msg("top_srcdir %s: %s", top, strerror(errno));
	if (snprintf(dir, sizeof dir, "%s/tests/data/fluentd-configs", real) >=
	    (int)sizeof dir)
		ck_abort_msg("top_srcdir is too long: %s", real);
	return dir;
}

/* The configurations read FLUENT* and KUBERNETES_* variables. */
static void
clear_fluent_env(void)
{
	char	*names[256], **ev;
	size_t	 n = 0, i;

	for (ev = environ; *ev != NULL && n < 256; ev++) {
		if (strncmp(*ev, "FLUENT", 6) == 0 ||
		    strncmp(*ev, "KUBERNETES_", 11) == 0)
			names[n++] = xstrndup(*ev, strcspn(*ev, "="));
	}
	for (i = 0; i < n; i++) {
		unsetenv(names[i]);
		free(names[i]);
	}
}

#define K8S_KEYERROR "ENV.fetch('KUBERNETES_SERVICE_HOST') raised " \
	"KeyError: KUBERNETES_SERVICE_HOST is not set; setting " \
	"KUBERNETES_SERVICE_HOST or FLUENT_FILTER_KUBERNETES_URL avoids it"

/*
 * Every .conf, loaded on its own with the variables unset: they all
 * load, but for the kubernetes_url, which (as in Fluentd) needs
 * KUBERNETES_SERVICE_HOST when FLUENT_FILTER_KUBERNETES_URL is unset.
 */
static const struct real_file {
	const char	*file;
	const char	*at;	/* where it stops, or NULL when it loads */
	int		 line;
} real_files[] = {
#define FLAVOUR(d) \
	{ d "/fluent.conf", d "/kubernetes.conf", 30 },			\
	{ d "/kubernetes.conf", d "/kubernetes.conf", 30 },		\
	{ d "/kubernetes/cluster-autoscaler.conf", NULL, 0 },	\
	{ d "/kubernetes/containers.conf", NULL, 0 },	\
	{ d "/kubernetes/docker.conf", NULL, 0 },	\
	{ d "/kubernetes/etcd.conf", NULL, 0 },	\
	{ d "/kubernetes/glbc.conf", NULL, 0 },	\
	{ d "/kubernetes/kube-apiserver-audit.conf", NULL, 0 },	\
	{ d "/kubernetes/kube-apiserver.conf", NULL, 0 },	\
	{ d "/kubernetes/kube-controller-manager.conf", NULL, 0 },	\
	{ d "/kubernetes/kube-proxy.conf", NULL, 0 },	\
	{ d "/kubernetes/kube-scheduler.conf", NULL, 0 },	\
	{ d "/kubernetes/kubelet.conf", NULL, 0 },	\
	{ d "/kubernetes/rescheduler.conf", NULL, 0 },	\
	{ d "/kubernetes/salt.conf", NULL, 0 },	\
	{ d "/kubernetes/startupscript.conf", NULL, 0 },	\
	{ d "/prometheus.conf", NULL, 0 },				\
	{ d "/systemd.conf", NULL, 0 },				\
	{ d "/tail_container_parse.conf", NULL, 0 }
	FLAVOUR("debian-elasticsearch8"),
	FLAVOUR("debian-kafka2"),
#undef FLAVOUR
};
#define NREAL (sizeof real_files / sizeof real_files[0])

START_TEST(real_file)
{
	const struct real_file	*rf = &real_files[_i];
	char			 path[PATH_MAX], msg[ERR_MAX];
	int			 rc;

	clear_fluent_env();
	snprintf(path, sizeof path, "%s/%s", data_dir(), rf->file);
	rc = conf_load_file(&c, path, &e);
	if (rf->at == NULL) {
		ck_assert_msg(rc == 0, "%s", e.msg);
		ck_assert_uint_gt(c.root.nelems, 0);
		return;
	}
	snprintf(msg, sizeof msg, "%s/%s:%d: embedded code #{", data_dir(),
	    rf->at, rf->line);
	ck_assert_int_eq(rc, -1);
	ck_assert_int_eq(strncmp(e.msg, msg, strlen(msg)), 0);
	ck_assert_str_eq(e.msg + strlen(e.msg) - strlen(K8S_KEYERROR),
	    K8S_KEYERROR);
	setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	ck_assert_msg(conf_load_file(&c, path, &e) == 0, "%s", e.msg);
	clear_fluent_env();
}
END_TEST

static size_t	 seen_conf;
static int	 seen_unlisted;

static int
count_conf(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	const char	*rel = path + strlen(data_dir()) + 1;
	size_t		 i, n = strlen(path);

	(void)st;
	(void)ftw;
	if (flag != FTW_F || n < 5 || strcmp(path + n - 5, ".conf") != 0)
		return 0;
	seen_conf++;
	for (i = 0; i < NREAL; i++) {
		if (strcmp(real_files[i].file, rel) == 0)
			return 0;
	}
	seen_unlisted++;
	return 0;
}

/* A new file in tests/data/fluentd-configs needs a row above. */
START_TEST(real_files_all_listed)
{
	ck_assert_int_eq(nftw(data_dir(), count_conf, 16, FTW_PHYS), 0);
	ck_assert_int_eq(seen_unlisted, 0);
	ck_assert_uint_eq(seen_conf, NREAL);
}
END_TEST

static const char	*copy_from;

static int
copy_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	const char	*rel = path + strlen(copy_from);
	char		*text;
	FILE		*in;
	long		 n;

	(void)st;
	(void)ftw;
	if (*rel == '/')
		rel++;
	if (flag == FTW_D)
		return mkdir(tp(rel), 0755) == 0 || errno == EEXIST ? 0 : -1;
	if ((in = fopen(path, "r")) == NULL)
		return -1;
	fseek(in, 0, SEEK_END);
	n = ftell(in);
	rewind(in);
	text = xmalloc((size_t)n + 1);
	text[fread(text, 1, (size_t)n, in)] = '\0';
	fclose(in);
	put(rel, text);
	free(text);
	return 0;
}

/* The whole tree of a flavour loads as it is, from a copy. */
static void
load_tree(const char *flavour)
{
	char		 src[PATH_MAX];

	snprintf(src, sizeof src, "%s/%s", data_dir(), flavour);
	copy_from = src;
	ck_assert_int_eq(nftw(src, copy_entry, 16, FTW_PHYS), 0);
	conf_free(&c);
	ck_assert_msg(conf_load_file(&c, tp("fluent.conf"), &e) == 0, "%s",
	    e.msg);
}

static const struct conf_elem *
find(const struct conf_elem *el, const char *name, const char *arg, int nth)
{
	size_t	 i;

	for (i = 0; i < el->nelems; i++) {
		if (strcmp(el->elems[i].name, name) == 0 &&
		    (arg == NULL || strcmp(el->elems[i].arg, arg) == 0) &&
		    nth-- == 0)
			return &el->elems[i];
	}
	ck_abort_msg("no <%s %s> #%d", name, arg ? arg : "", nth);
	return NULL;
}

/* The source whose @id is id. */
static const struct conf_elem *
source(const char *id)
{
	size_t	 i;

	const char	*got;

	for (i = 0; i < c.root.nelems; i++) {
		got = conf_get(&c.root.elems[i], "@id");
		if (strcmp(c.root.elems[i].name, "source") == 0 &&
		    got != NULL && strcmp(got, id) == 0)
			return &c.root.elems[i];
	}
	ck_abort_msg("no source %s", id);
	return NULL;
}

/* What both flavours share: systemd, prometheus, kubernetes.conf. */
static void
check_common(bool systemd)
{
	const char		*audit = "/^(?<time>\\S+) AUDIT:(?: "
	    "(?:id=\"(?<id>(?:[^\"\\\\]|\\\\.)*)\"|";
	const struct conf_elem	*el, *p;

	ck_assert_uint_eq(c.root.nparams, 0);
	ck_assert_uint_eq(c.root.nelems, systemd ? 22 : 19);
	if (systemd) {
		el = source("in_systemd_kubelet");
		ck_assert_str_eq(el->file, tp("systemd.conf"));
		ck_assert_int_eq(el->line, 6);
		is(el, "matches", "[{\"_SYSTEMD_UNIT\":\"kubelet.service\"}]",
		    CONF_JSON);
		is(find(el, "storage", "", 0), "persistent", "true", CONF_BARE);
	}
	is(source("in_prometheus"), "port", "24231", CONF_DQUOTED);
	is(source("in_prometheus"), "metrics_path", "/metrics", CONF_DQUOTED);
	ck_assert_uint_eq(source("in_prometheus_output_monitor")->nparams, 2);
	el = find(find(&c.root, "label", "@FLUENT_LOG", 0), "match",
	    "fluent.**", 0);
	is(el, "@type", "null", CONF_BARE);
	el = source("in_tail_container_logs");
	is(el, "path", "/var/log/containers/*.log", CONF_DQUOTED);
	is(el, "tag", "kubernetes.*", CONF_DQUOTED);
	is(el, "read_from_head", "true", CONF_BARE);
	ck_assert_ptr_null(conf_param_get(el, "exclude_path"));
	is(el, "pos_file", "/var/log/fluentd-containers.log.pos", CONF_DQUOTED);
	is(source("in_tail_startupscript"), "pos_file",
	    "/var/log/fluentd-startupscript.log.pos", CONF_DQUOTED);
	p = find(el, "parse", "", 0);
	ck_assert_str_eq(p->file, tp("tail_container_parse.conf"));
	is(p, "time_format", "%Y-%m-%dT%H:%M:%S.%NZ", CONF_DQUOTED);
	is(find(source("in_tail_minion"), "parse", "", 0), "expression",
	    "/^(?<time>[^ ]* [^ ,]*)[^\\[]*\\[[^\\]]*\\]"
	    "\\[(?<severity>[^ \\]]*)"
	    " *\\] (?<message>.*)$/", CONF_BARE);
	p = find(source("in_tail_kube_apiserver_audit"), "parse", "", 0);
	ck_assert_uint_eq(p->nparams, 4);	/* the comments are gone */
	is(p, "format_firstline", "/^\\S+\\s+AUDIT:/", CONF_BARE);
	ck_assert_int_eq(strncmp(conf_get(p, "format1"), audit,
	    strlen(audit)), 0);
	ck_assert_int_eq(param(p, "format1")->line, 20);
	ck_assert_int_eq(param(p, "time_format")->line, 21);
	el = find(&c.root, "filter", "kubernetes.**", 0);
	is(el, "@type", "kubernetes_metadata", CONF_BARE);
	is(el, "ca_file", "", CONF_DQUOTED);
	is(el, "watch", "true", CONF_DQUOTED);
	is(el, "verify_ssl", "true", CONF_DQUOTED);
	is(el, "kubernetes_url", "https://10.96.0.1:443/api", CONF_DQUOTED);
}

static void
k8s_env(void)
{
	clear_fluent_env();
	setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
}

START_TEST(real_tree_elasticsearch)
{
	const struct conf_elem	*m, *b;

	k8s_env();
	load_tree("debian-elasticsearch8");
	check_common(true);
	m = find(&c.root, "match", "**", 0);
	is(m, "@type", "elasticsearch", CONF_BARE);
	is(m, "@log_level", "info", CONF_BARE);
	is(m, "host", "", CONF_DQUOTED);
	is(m, "scheme", "http", CONF_DQUOTED);
	is(m, "ssl_version", "TLSv1", CONF_DQUOTED);
	is(m, "logstash_dateformat", "%Y.%m.%d", CONF_DQUOTED);
	is(m, "sniffer_class_name",
	    "Fluent::Plugin::ElasticsearchSimpleSniffer", CONF_DQUOTED);
	ck_assert_ptr_null(conf_param_get(m, "user"));
	ck_assert_ptr_null(conf_param_get(m, "target_index_key"));
	b = find(m, "buffer", "", 0);
	is(b, "flush_thread_count", "8", CONF_DQUOTED);
	is(b, "chunk_limit_size", "2M", CONF_DQUOTED);
	is(b, "retry_forever", "true", CONF_BARE);
	ck_assert_uint_eq(c.nfiles, 19);

	/* The image's switches, and Ruby's "" is not nil. */
	setenv("FLUENTD_SYSTEMD_CONF", "disable", 1);
	setenv("FLUENT_CONTAINER_TAIL_PARSER_TYPE", "cri", 1);
	setenv("FLUENT_ELASTICSEARCH_HOST", "es.example", 1);
	setenv("FLUENT_ELASTICSEARCH_BUFFER_CHUNK_LIMIT_SIZE", "", 1);
	conf_free(&c);
	ck_assert_msg(conf_load_file(&c, tp("fluent.conf"), &e) == 0, "%s",
	    e.msg);
	check_common(false);
	is(find(source("in_tail_container_logs"), "parse", "", 0), "@type",
	    "cri", CONF_DQUOTED);
	m = find(&c.root, "match", "**", 0);
	is(m, "host", "es.example", CONF_DQUOTED);
	is(find(m, "buffer", "", 0), "chunk_limit_size", "", CONF_DQUOTED);
}
END_TEST

START_TEST(real_tree_kafka)
{
	const struct conf_elem	*m;

	k8s_env();
	load_tree("debian-kafka2");
	check_common(true);
	m = find(&c.root, "match", "**", 0);
	is(m, "@type", "kafka2", CONF_BARE);
	is(m, "brokers", "", CONF_DQUOTED);
	is(find(m, "format", "", 0), "@type", "json", CONF_DQUOTED);
	ck_assert_uint_eq(find(m, "inject", "", 0)->nparams, 0);
	is(m, "default_topic", "", CONF_DQUOTED);
	is(m, "exclude_topic_key", "false", CONF_DQUOTED);
	is(m, "required_acks", "-1", CONF_DQUOTED);
	ck_assert_int_eq(param(m, "discard_kafka_delivery_failed")->line, 36);
}
END_TEST

static Suite *
test_suite(void)
{
	Suite	*s = suite_create("config");
	TCase	*tc;

	tc = tcase_create("syntax");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, elements);
	tcase_add_test(tc, element_errors);
	tcase_add_test(tc, element_depth);
	tcase_add_test(tc, bare_values);
	tcase_add_test(tc, crlf_and_blank_files);
	tcase_add_test(tc, double_quoted);
	tcase_add_test(tc, double_quoted_errors);
	tcase_add_test(tc, single_quoted);
	tcase_add_test(tc, json_values);
	tcase_add_test(tc, json_errors);
	tcase_add_test(tc, reserved_prefix);
	tcase_add_test(tc, nul_byte);
	tcase_add_test(tc, free_is_idempotent);
	suite_add_tcase(s, tc);

	tc = tcase_create("include");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, include_relative);
	tcase_add_test(tc, include_glob);
	tcase_add_test(tc, include_forms);
	tcase_add_test(tc, include_errors);
	tcase_add_test(tc, include_unreadable);
	tcase_add_test(tc, include_depth);
	tcase_add_test(tc, include_file_boundaries);
	suite_add_tcase(s, tc);

	tc = tcase_create("embedded_code");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, env_values);
	tcase_add_test(tc, env_errors);
	tcase_add_test(tc, env_markers);
	suite_add_tcase(s, tc);

	tc = tcase_create("values");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, sizes);
	tcase_add_test(tc, times);
	tcase_add_test(tc, bools_ints_floats);
	tcase_add_test(tc, arrays);
	tcase_add_test(tc, hashes);
	suite_add_tcase(s, tc);

	tc = tcase_create("fluentd_configs");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, real_file, 0, NREAL);
	tcase_add_test(tc, real_files_all_listed);
	tcase_add_test(tc, real_tree_elasticsearch);
	tcase_add_test(tc, real_tree_kafka);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
