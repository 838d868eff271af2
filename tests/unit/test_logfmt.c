/*
 * test_logfmt.c — logrus' text format, as SPIRE writes it.
 *
 * Lines are copied into heap buffers of exactly their length so that a
 * read past the end is caught. Quoted values are also checked by a round
 * trip through a copy of Go's %q (strconv.Quote) rules, the same ones the
 * corpus generator uses.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logfmt.h"
#include "strbuf.h"
#include "gate_fixtures.h"

static const char *const spire_required[] = { "time", "level" };
static const struct logfmt_opts spire_opts = { spire_required, 2 };

static struct batch	 b;
static struct record	*rec;
static char		*g_line;
static size_t		 g_len;

static void
setup(void)
{
	batch_init(&b);
	rec = NULL;
	g_line = NULL;
}

static void
teardown(void)
{
	batch_free(&b);
	free(g_line);
	g_line = NULL;
}

/* Parses s (copied to an exact buffer) into a fresh record of b. */
static enum parse_status
parse_gated(const char *s, size_t len, const struct logfmt_opts *opts,
    const struct gate *g, struct gate_state *gst, struct parse_error *err)
{
	free(g_line);
	g_line = malloc(len ? len : 1);
	memcpy(g_line, s, len);
	g_len = len;
	rec = batch_begin(&b);
	return logfmt_parse(g_line, len, opts, &b, g, gst, err);
}

static enum parse_status
parse(const char *s, struct parse_error *err)
{
	return parse_gated(s, strlen(s), &spire_opts, NULL, NULL, err);
}

static struct field *
fld(size_t i)
{
	ck_assert_uint_lt(i, batch_open_record(&b)->nfields);
	return &record_fields(&b, batch_open_record(&b))[i];
}

static bool
in_line(const char *p)
{
	return p >= g_line && p <= g_line + g_len;
}

#define ck_assert_field(i, k, v) do {					\
	struct field	*f_ = fld(i);				\
	ck_assert_uint_eq(f_->klen, sizeof(k) - 1);			\
	ck_assert_mem_eq(f_->key, (k), sizeof(k) - 1);			\
	ck_assert_uint_eq(f_->vlen, sizeof(v) - 1);			\
	ck_assert_mem_eq(f_->val, (v), sizeof(v) - 1);			\
	ck_assert_int_eq(f_->type, VAL_STRING);				\
} while (0)

#define ck_assert_fail(line, kind_) do {				\
	struct parse_error	 e_;					\
	ck_assert_int_eq(parse((line), &e_), PARSE_FAIL);		\
	ck_assert_msg(e_.kind == (kind_), "%s: kind %s",		\
	    (line), bad_kind_name(e_.kind));				\
	ck_assert_ptr_nonnull(e_.what);					\
} while (0)

START_TEST(test_spire_issue_5894)
{
	struct parse_error	 err;
	const char		*s =
	    "time=\"2025-03-11T19:06:11Z\" level=info msg=Configured "
	    "admin_ids=\"[]\" data_dir=/run/spire/data "
	    "launch_log_level=info version=1.11.2";

	ck_assert_int_eq(parse(s, &err), PARSE_OK);
	ck_assert_int_eq(err.kind, BAD_NONE);
	ck_assert_uint_eq(rec->nfields, 7);
	ck_assert_field(0, "time", "2025-03-11T19:06:11Z");
	ck_assert_field(1, "level", "info");
	ck_assert_field(2, "msg", "Configured");
	ck_assert_field(3, "admin_ids", "[]");
	ck_assert_field(4, "data_dir", "/run/spire/data");
	ck_assert_field(5, "launch_log_level", "info");
	ck_assert_field(6, "version", "1.11.2");
	/* Nothing here needs decoding: every byte points into the line. */
	for (size_t i = 0; i < 7; i++) {
		ck_assert(in_line(fld(i)->key));
		ck_assert(in_line(fld(i)->val));
	}
}
END_TEST

START_TEST(test_spire_lines)
{
	struct parse_error	 err;

	ck_assert_int_eq(parse("time=\"2024-05-01T08:00:14Z\" level=info "
	    "msg=\"Renewing X509-SVID\" entry_id=4e490ca9-7746-4668-88d0-"
	    "82bcae9a4491 expires_at=\"2024-05-01T09:04:29Z\" spiffe_id="
	    "\"spiffe://prod.example.com/ns/inventory/sa/inventory-worker\" "
	    "subsystem_name=manager", &err), PARSE_OK);
	ck_assert_uint_eq(rec->nfields, 7);
	ck_assert_field(2, "msg", "Renewing X509-SVID");
	ck_assert_field(5, "spiffe_id",
	    "spiffe://prod.example.com/ns/inventory/sa/inventory-worker");
	ck_assert_field(6, "subsystem_name", "manager");

	/* A Go error string with quotes inside, and a Sprint'd time. */
	ck_assert_int_eq(parse("time=\"2024-05-01T08:00:04.666503184Z\" "
	    "level=error msg=\"Nodeattestor(k8s_psat): token not authenticated"
	    " according to TokenReview API for cluster \\\"prod-eu1\\\"\" "
	    "issued_at=\"2024-05-01 06:01:53.460877975 +0000 UTC\" "
	    "status_code=InvalidArgument retry_interval=6.560615269s", &err),
	    PARSE_OK);
	ck_assert_field(1, "level", "error");
	ck_assert_field(2, "msg", "Nodeattestor(k8s_psat): token not "
	    "authenticated according to TokenReview API for cluster "
	    "\"prod-eu1\"");
	ck_assert(!in_line(fld(2)->val));	/* decoded into the arena */
	ck_assert_field(3, "issued_at",
	    "2024-05-01 06:01:53.460877975 +0000 UTC");
	ck_assert(in_line(fld(3)->val));	/* quoted, but no escapes */
	ck_assert_field(4, "status_code", "InvalidArgument");
	ck_assert_field(5, "retry_interval", "6.560615269s");

	/* Proto text selectors. */
	ck_assert_int_eq(parse("time=\"2024-05-01T08:00:04Z\" level=debug "
	    "msg=\"PID attested to have selectors\" pid=380513 selectors="
	    "\"[type:\\\"k8s\\\" value:\\\"ns:payments\\\"]\"", &err),
	    PARSE_OK);
	ck_assert_field(4, "selectors",
	    "[type:\"k8s\" value:\"ns:payments\"]");
}
END_TEST

START_TEST(test_empty_values)
{
	struct parse_error	 err;

	ck_assert_int_eq(parse("time= level=info msg= a=\"\" b=", &err),
	    PARSE_OK);
	ck_assert_uint_eq(rec->nfields, 5);
	ck_assert_field(0, "time", "");
	ck_assert_field(2, "msg", "");
	ck_assert_field(3, "a", "");
	ck_assert_field(4, "b", "");
}
END_TEST

START_TEST(test_escapes)
{
	struct parse_error	 err;

	ck_assert_int_eq(parse("time=x level=info msg=\"a \\\"q\\\" \\\\ "
	    "\\n\\t\\r\\a\\b\\f\\v end\"", &err), PARSE_OK);
	ck_assert_field(2, "msg", "a \"q\" \\ \n\t\r\a\b\f\v end");

	ck_assert_int_eq(parse("time=x level=info msg=\"\\x41\\x7f\\x00"
	    "\\xff\\101\\000\\377\"", &err), PARSE_OK);
	/* \x and octal give bytes, even NUL and invalid UTF-8. */
	ck_assert_field(2, "msg", "A\x7f\0\xff" "A\0\xff");

	ck_assert_int_eq(parse("time=x level=info msg=\"\\u00e9\\u20ac"
	    "\\U0001f600\\U0010FFFF\\u0000\"", &err), PARSE_OK);
	ck_assert_field(2, "msg", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
	    "\xf4\x8f\xbf\xbf\0");

	/* A value ending in an escaped backslash ends at the next quote. */
	ck_assert_int_eq(parse("time=x level=info msg=\"dir\\\\\" n=1", &err),
	    PARSE_OK);
	ck_assert_field(2, "msg", "dir\\");
	ck_assert_field(3, "n", "1");
	ck_assert_int_eq(parse("time=x level=info msg=\"\\\\\\\"\\\\\"", &err),
	    PARSE_OK);
	ck_assert_field(2, "msg", "\\\"\\");
}
END_TEST

static const char *const bad_escapes[] = {
	"\\q", "\\'", "\\x4", "\\xZZ", "\\x", "\\u12", "\\u12G4",
	"\\ud800", "\\udfff", "\\U00110000", "\\UFFFFFFFF", "\\U0001f60",
	"\\400", "\\8", "\\09", "\\1", "\\12", "\\",
};

START_TEST(test_bad_escape)
{
	char			 line[128];
	struct parse_error	 err;

	snprintf(line, sizeof line, "time=x level=info msg=\"ab%s cd\"",
	    bad_escapes[_i]);
	ck_assert_int_eq(parse(line, &err), PARSE_FAIL);
	ck_assert_msg(err.kind == BAD_SYNTAX, "%s: %s", line,
	    bad_kind_name(err.kind));
	ck_assert_uint_eq(err.offset, 25);	/* the backslash */
}
END_TEST

START_TEST(test_repeated_keys)
{
	struct parse_error	 err;

	ck_assert_int_eq(parse("time=x level=info a=1 a=2 level=error", &err),
	    PARSE_OK);
	ck_assert_uint_eq(rec->nfields, 5);
	ck_assert_field(2, "a", "1");
	ck_assert_field(3, "a", "2");
	ck_assert_ptr_eq(record_get(&b, rec, FIELD_STR("level")), fld(4));
}
END_TEST

START_TEST(test_blanks)
{
	struct parse_error	 err;

	ck_assert_int_eq(parse("  time=x   level=info  msg=\"a  b\"  ", &err),
	    PARSE_OK);
	ck_assert_uint_eq(rec->nfields, 3);
	ck_assert_field(2, "msg", "a  b");
	ck_assert_int_eq(parse("time=x level=info msg=y\n", &err), PARSE_OK);
	ck_assert_field(2, "msg", "y");
	ck_assert_int_eq(parse("time=x level=info msg=y\r\n", &err), PARSE_OK);
	ck_assert_field(2, "msg", "y");
	/* A tab is not a separator: it belongs to the bare value. */
	ck_assert_int_eq(parse("time=x level=info msg=a\tb", &err), PARSE_OK);
	ck_assert_field(2, "msg", "a\tb");
}
END_TEST

START_TEST(test_unicode)
{
	struct parse_error	 err;

	ck_assert_int_eq(parse("time=x level=info caf\xc3\xa9=cr\xc3\xa8me "
	    "msg=\"\xe2\x82\xac 5\"", &err), PARSE_OK);
	ck_assert_field(2, "caf\xc3\xa9", "cr\xc3\xa8me");
	ck_assert_field(3, "msg", "\xe2\x82\xac 5");
}
END_TEST

START_TEST(test_bare_value_chars)
{
	struct parse_error	 err;

	/* logrus would quote these, but reading them bare loses nothing. */
	ck_assert_int_eq(parse("time=x level=info url=a=b?c&d", &err),
	    PARSE_OK);
	ck_assert_field(2, "url", "a=b?c&d");
}
END_TEST

START_TEST(test_kind_empty)
{
	ck_assert_fail("", BAD_EMPTY);
}
END_TEST

START_TEST(test_kind_nul)
{
	struct parse_error	 err;
	const char		 line[] = "time=x level=info msg=\"a\0b\"";

	ck_assert_int_eq(parse_gated(line, sizeof line - 1, &spire_opts,
	    NULL, NULL, &err), PARSE_FAIL);
	ck_assert_int_eq(err.kind, BAD_EMBEDDED_NUL);
	ck_assert_uint_eq(err.offset, 24);
	/* NUL comes before invalid UTF-8 in the classification order. */
	ck_assert_int_eq(parse_gated("\xff x\0", 4, &spire_opts, NULL, NULL,
	    &err), PARSE_FAIL);
	ck_assert_int_eq(err.kind, BAD_EMBEDDED_NUL);
	/* Before the syntax is looked at, even as foreign text. */
	ck_assert_int_eq(parse_gated("panic\0", 6, &spire_opts, NULL, NULL,
	    &err), PARSE_FAIL);
	ck_assert_int_eq(err.kind, BAD_EMBEDDED_NUL);
}
END_TEST

START_TEST(test_kind_invalid_utf8)
{
	struct parse_error	 err;

	ck_assert_int_eq(parse("time=x level=info msg=\"caf\xe9\"", &err),
	    PARSE_FAIL);
	ck_assert_int_eq(err.kind, BAD_INVALID_UTF8);
	ck_assert_uint_eq(err.offset, 26);
	ck_assert_fail("time=x level=info msg=\"\xed\xa0\x80\"",
	    BAD_INVALID_UTF8);
	ck_assert_fail("time=x level=info msg=\xc0\xaf", BAD_INVALID_UTF8);
	ck_assert_fail("time=x level=info msg=\"\xe2\x82", BAD_INVALID_UTF8);
	ck_assert_fail("\xff\xfe garbage", BAD_INVALID_UTF8);
}
END_TEST

static const char *const foreign[] = {
	("panic: runtime error: invalid memory address or nil pointer "
	    "dereference"),
	"[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x1]",
	"goroutine 1 [running]:",
	"\t/spire/pkg/server/api/entry/v1/service.go:412 +0x1b4",
	"I0501 08:00:02.123456       1 reflector.go:547] k8s.io/client-go",
	"2024/05/01 08:00:02 http: TLS handshake error from 198.51.100.7:1",
	"+ exec /opt/spire/bin/spire-server run -config /run/spire/x.conf",
	"Usage of run:",
	"{\"level\":\"info\",\"msg\":\"a json line\"}",
	"=value level=info time=x",
	"\"time\"=x level=info",
	" ",
	"    ",
	"key",
	/* key=value pairs, but not SPIRE's: no time or no level. */
	"a=1 b=2",
	"level=info msg=x",
	"time=x msg=y",
	"times=x levels=y",
};

START_TEST(test_kind_foreign)
{
	ck_assert_fail(foreign[_i], BAD_FOREIGN_TEXT);
}
END_TEST

START_TEST(test_kind_truncated)
{
	struct parse_error	 err;

	/* Cut in msg, as the corpus generator does it. */
	ck_assert_int_eq(parse("time=\"2024-05-01T08:00:14Z\" level=debug "
	    "msg=\"Renewing st", &err), PARSE_FAIL);
	ck_assert_int_eq(err.kind, BAD_TRUNCATED);
	ck_assert_uint_eq(err.offset, 44);	/* the opening quote */
	/* Cut in the time, before level was seen: still truncation. */
	ck_assert_fail("time=\"2024-05", BAD_TRUNCATED);
	ck_assert_fail("time=\"", BAD_TRUNCATED);
	/* The quote at the end is escaped, so it closes nothing. */
	ck_assert_fail("time=x level=info msg=\"ab\\\"", BAD_TRUNCATED);
	ck_assert_fail("time=x level=info msg=\"ab\\\\\\\"", BAD_TRUNCATED);
}
END_TEST

static const char *const syntax[] = {
	"time=x level=info garbage",
	"time=x level=info msg=\"a\"b",
	"time=x level=info msg=\"a\"b=c",
	"time=x level=info msg=\"a\"\"b\"",
	"time=x level=info msg=a\"b",
	"time=x level=info =x",
	"time=x level=info msg",
	"time=x level=info \"msg\"=x",
	"time=x level=info m\x01sg=x",
	"time=x level=info msg=\"\\q\"",
};

START_TEST(test_kind_syntax)
{
	ck_assert_fail(syntax[_i], BAD_SYNTAX);
}
END_TEST

START_TEST(test_required)
{
	static const char *const only_level[] = { "level" };
	static const struct logfmt_opts	 lo = { only_level, 1 };
	static const struct logfmt_opts	 none = { NULL, 0 };
	struct parse_error	 err;

	ck_assert_int_eq(parse_gated("level=info", 10, &lo, NULL, NULL, &err),
	    PARSE_OK);
	ck_assert_int_eq(parse_gated("a=b", 3, &lo, NULL, NULL, &err),
	    PARSE_FAIL);
	ck_assert_int_eq(err.kind, BAD_FOREIGN_TEXT);
	ck_assert_int_eq(parse_gated("a=b", 3, &none, NULL, NULL, &err),
	    PARSE_OK);
	ck_assert_int_eq(parse_gated("a=b", 3, NULL, NULL, NULL, &err),
	    PARSE_OK);
	/* A required key with an empty value is present. */
	ck_assert_int_eq(parse("time= level=", &err), PARSE_OK);
	/* The order does not matter. */
	ck_assert_int_eq(parse("level=info x=1 time=y", &err), PARSE_OK);
}
END_TEST

START_TEST(test_no_err)
{
	ck_assert_int_eq(parse("panic: oops", NULL), PARSE_FAIL);
	ck_assert_int_eq(parse("time=x level=info", NULL), PARSE_OK);
}
END_TEST

/* The arena keeps decoded values of earlier records intact. */
START_TEST(test_arena_values_survive)
{
	enum { N = 2000, W = 48 };
	struct parse_error	 err;
	struct field		*f;
	char			*lines = malloc(N * W), want[W];
	int			 i;

	for (i = 0; i < N; i++) {
		snprintf(lines + i * W, W, "time=x level=info msg=\"n\\t%d\"",
		    i);
		batch_begin(&b);
		ck_assert_int_eq(logfmt_parse(lines + i * W,
		    strlen(lines + i * W), &spire_opts, &b, NULL, NULL, &err),
		    PARSE_OK);
		batch_commit(&b);
	}
	ck_assert_uint_eq(b.nrecs, N);
	for (i = 0; i < N; i++) {
		f = record_get(&b, &b.recs[i], FIELD_STR("msg"));
		snprintf(want, sizeof want, "n\t%d", i);
		ck_assert_uint_eq(f->vlen, strlen(want));
		ck_assert_mem_eq(f->val, want, f->vlen);
	}
	free(lines);
}
END_TEST

/* --- the gate ----------------------------------------------------------- */


static enum parse_status
parse_gate(const char *s, const struct gate *g, bool final,
    struct gate_state *gst)
{
	struct parse_error	 err;

	gate_start(gst);
	if (final)
		gate_final(gst);
	return parse_gated(s, strlen(s), &spire_opts, g, gst, &err);
}

START_TEST(test_gate_drop)
{
	struct gate_state	 gst;

	ck_assert_int_eq(parse_gate("time=x level=info msg=\"Renewing\" a=1",
	    &level_gate, true, &gst), PARSE_DROP);
	/* It stopped at level: nothing after it was added. */
	ck_assert_uint_eq(batch_open_record(&b)->nfields, 2);
	ck_assert_int_eq(parse_gate("time=x level=debug msg=\"x", &level_gate,
	    true, &gst), PARSE_DROP);
}
END_TEST

START_TEST(test_gate_keep)
{
	struct gate_state	 gst;

	ck_assert_int_eq(parse_gate("time=x level=error msg=\"Failed\" a=1",
	    &level_gate, true, &gst), PARSE_OK);
	ck_assert_uint_eq(rec->nfields, 4);
	ck_assert(gate_passes(&level_gate, &gst));
	ck_assert_int_eq(parse_gate("time=x level=warning msg=y", &level_gate,
	    true, &gst), PARSE_OK);
	ck_assert(gate_passes(&level_gate, &gst));
	/* The gate sees decoded values. */
	ck_assert_int_eq(parse_gate("time=x level=\"\\x65rror\" msg=y",
	    &level_gate, true, &gst), PARSE_OK);
	ck_assert(gate_passes(&level_gate, &gst));
}
END_TEST

START_TEST(test_gate_rescue)
{
	struct gate_state	 gst;

	/* With a rescue possible the line is read to its end. */
	ck_assert_int_eq(parse_gate("time=x level=info msg=\"API accessed\" "
	    "type=audit", &audit_gate, true, &gst), PARSE_OK);
	ck_assert_uint_eq(rec->nfields, 4);
	ck_assert(gate_passes(&audit_gate, &gst));
	ck_assert_int_eq(parse_gate("time=x level=info msg=y", &audit_gate,
	    true, &gst), PARSE_OK);
	ck_assert(!gate_passes(&audit_gate, &gst));
}
END_TEST

START_TEST(test_gate_not_final)
{
	struct gate_state	 gst;

	/* Before gate_final nothing is dropped early. */
	ck_assert_int_eq(parse_gate("time=x level=info msg=y", &level_gate,
	    false, &gst), PARSE_OK);
	ck_assert(!gate_passes(&level_gate, &gst));
}
END_TEST

START_TEST(test_gate_syntax_first)
{
	struct gate_state	 gst;
	struct parse_error	 err;

	/* Bad bytes fail the line before any field reaches the gate. */
	gate_start(&gst);
	gate_final(&gst);
	ck_assert_int_eq(parse_gated("time=x level=info msg=\xff", 23,
	    &spire_opts, &level_gate, &gst, &err), PARSE_FAIL);
	ck_assert_int_eq(err.kind, BAD_INVALID_UTF8);
	/* A foreign line never reaches it either. */
	ck_assert_int_eq(parse_gate("panic: level=info", &level_gate, true,
	    &gst), PARSE_FAIL);
}
END_TEST

/* --- round trip through Go's %q ---------------------------------------- */

static bool
go_printable(unsigned long cp)
{
	/* Enough of unicode.IsPrint for the code points below. */
	return cp >= 0x20 && cp != 0x7f && !(cp >= 0x80 && cp <= 0xa0) &&
	    cp != 0x2028 && cp != 0x2029 && cp != 0xfeff;
}

static size_t
utf8_decode1(const unsigned char *s, unsigned long *cp)
{
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] < 0xe0) {
		*cp = (unsigned long)(s[0] & 0x1f) << 6 | (s[1] & 0x3f);
		return 2;
	}
	if (s[0] < 0xf0) {
		*cp = (unsigned long)(s[0] & 0x0f) << 12 |
		    (unsigned long)(s[1] & 0x3f) << 6 | (s[2] & 0x3f);
		return 3;
	}
	*cp = (unsigned long)(s[0] & 0x07) << 18 |
	    (unsigned long)(s[1] & 0x3f) << 12 |
	    (unsigned long)(s[2] & 0x3f) << 6 | (s[3] & 0x3f);
	return 4;
}

/* strconv.Quote of valid UTF-8, as gen_spire_logs.py's go_quote does. */
static void
go_quote(struct strbuf *sb, const char *s, size_t len)
{
	unsigned long	 cp;
	size_t		 i = 0, n;

	sb_addc(sb, '"');
	while (i < len) {
		n = utf8_decode1((const unsigned char *)s + i, &cp);
		switch (cp) {
		case '"':
			sb_adds(sb, "\\\"");
			break;
		case '\\':
			sb_adds(sb, "\\\\");
			break;
		case '\a':
			sb_adds(sb, "\\a");
			break;
		case '\b':
			sb_adds(sb, "\\b");
			break;
		case '\f':
			sb_adds(sb, "\\f");
			break;
		case '\n':
			sb_adds(sb, "\\n");
			break;
		case '\r':
			sb_adds(sb, "\\r");
			break;
		case '\t':
			sb_adds(sb, "\\t");
			break;
		case '\v':
			sb_adds(sb, "\\v");
			break;
		default:
			if (cp < 0x20 || cp == 0x7f)
				sb_addf(sb, "\\x%02lx", cp);
			else if (go_printable(cp))
				sb_add(sb, s + i, n);
			else if (cp <= 0xffff)
				sb_addf(sb, "\\u%04lx", cp);
			else
				sb_addf(sb, "\\U%08lx", cp);
		}
		i += n;
	}
	sb_addc(sb, '"');
}

START_TEST(test_go_quote_roundtrip)
{
	static const char *const values[] = {
		"",
		"plain",
		"with space",
		"quote \" and backslash \\ and both \\\"",
		"\\",
		"\"",
		"tab\there\nnewline\rcr\aalarm\bbs\fff\vvt",
		"\x01\x02\x1f\x7f",
		"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
		"\xc2\x85 next line, \xc2\xa0 nbsp",
		"\xe2\x80\xa8 ls \xe2\x80\xa9 ps \xef\xbb\xbf bom",
		"spiffe://prod.example.com/ns/payments/sa/api",
		("rpc error: code = PermissionDenied desc = authorization "
		    "denied for method /spire.api.server.agent.v1.Agent/"
		    "AttestAgent"),
		("[type:\"k8s\" value:\"ns:payments\" type:\"k8s\" value:"
		    "\"sa:api\"]"),
	};
	struct strbuf		 line = STRBUF_INIT;
	struct parse_error	 err;
	struct field		*f;
	size_t			 i;

	for (i = 0; i < sizeof values / sizeof values[0]; i++) {
		sb_reset(&line);
		sb_adds(&line, "time=\"2024-05-01T08:00:02Z\" level=info msg=");
		go_quote(&line, values[i], strlen(values[i]));
		sb_adds(&line, " k=v");
		ck_assert_int_eq(parse_gated(line.buf, line.len, &spire_opts,
		    NULL, NULL, &err), PARSE_OK);
		f = fld(2);
		ck_assert_msg(f->vlen == strlen(values[i]) &&
		    memcmp(f->val, values[i], f->vlen) == 0, "value %zu: %.*s",
		    i, (int)line.len, line.buf);
		ck_assert_field(3, "k", "v");
	}
	sb_free(&line);
}
END_TEST

static Suite *
test_suite(void)
{
	Suite	*s = suite_create("logfmt");
	TCase	*tc = tcase_create("parse");
	TCase	*tk = tcase_create("kinds");
	TCase	*tg = tcase_create("gate");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_spire_issue_5894);
	tcase_add_test(tc, test_spire_lines);
	tcase_add_test(tc, test_empty_values);
	tcase_add_test(tc, test_escapes);
	tcase_add_loop_test(tc, test_bad_escape, 0,
	    (int)(sizeof bad_escapes / sizeof bad_escapes[0]));
	tcase_add_test(tc, test_repeated_keys);
	tcase_add_test(tc, test_blanks);
	tcase_add_test(tc, test_unicode);
	tcase_add_test(tc, test_bare_value_chars);
	tcase_add_test(tc, test_required);
	tcase_add_test(tc, test_no_err);
	tcase_add_test(tc, test_arena_values_survive);
	tcase_add_test(tc, test_go_quote_roundtrip);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(tk, setup, teardown);
	tcase_add_test(tk, test_kind_empty);
	tcase_add_test(tk, test_kind_nul);
	tcase_add_test(tk, test_kind_invalid_utf8);
	tcase_add_loop_test(tk, test_kind_foreign, 0,
	    (int)(sizeof foreign / sizeof foreign[0]));
	tcase_add_test(tk, test_kind_truncated);
	tcase_add_loop_test(tk, test_kind_syntax, 0,
	    (int)(sizeof syntax / sizeof syntax[0]));
	suite_add_tcase(s, tk);

	tcase_add_checked_fixture(tg, setup, teardown);
	tcase_add_test(tg, test_gate_drop);
	tcase_add_test(tg, test_gate_keep);
	tcase_add_test(tg, test_gate_rescue);
	tcase_add_test(tg, test_gate_not_final);
	tcase_add_test(tg, test_gate_syntax_first);
	suite_add_tcase(s, tg);
	return s;
}

#include "check_main.h"
