/*
 * test_cases.c — behaviour pinned by data, as curl's test suite does it.
 *
 * Every file tests/data/cases/ *.case (format in tests/data/cases/README)
 * is one test: its physical lines go through the framer, the tail
 * source's <parse> and the default pipeline (parser multi_format json +
 * logfmt with reserve_data and remove_key_name_field, then spire, no
 * grep, so every record is visible), and the records must come out as
 * exactly the NDJSON the case expects. A new edge case is a new file.
 *
 * Each case is run twice: fed in one piece, and one byte at a time; the
 * records must be the same, since a read may end anywhere.
 *
 * CASES_PRINT=1 prints what each case produces, to write a new case
 * (check every byte of it before pinning it).
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "framer.h"
#include "jsonenc.h"
#include "log.h"
#include "mem.h"
#include "pipeline.h"
#include "source_parse.h"
#include "strbuf.h"
#include "timefmt.h"
#include "hex.h"

#define NOW_NS		1714521600000000000LL	/* 2024-05-01T00:00:00Z */
#define MAX_CASES	512

struct tcase_data {
	char		*name;
	char		 envelope[16];
	char		 parser[16];
	char		 tag[128];
	size_t		 max_line;
	bool		 final_newline;
	bool		 show_time;	/* each record after its event time */
	struct strbuf	 parse;		/* more lines of the source's <parse> */
	char		*error;		/* the <parse> must fail with this */
	struct strbuf	 input;		/* the file's bytes */
	struct strbuf	 expect;	/* NDJSON, one record a line */
};

static char	*case_files[MAX_CASES];
static size_t	 ncases;
static char	 cases_dir[4096];

/* --- reading a case ------------------------------------------------------ */

/* An input line: literal bytes, but \x{HH...} is bytes given in hex. */
static void
unescape_line(struct strbuf *out, const char *s, size_t n, const char *name,
    int lineno)
{
	size_t	 i = 0, j;

	while (i < n) {
		if (n - i >= 3 && memcmp(s + i, "\\x{", 3) == 0) {
			for (j = i + 3; j < n && s[j] != '}'; j += 2) {
				int	 hi = hex_digit((unsigned char)s[j]);
				int	 lo = j + 1 < n ?
				    hex_digit((unsigned char)s[j + 1]) : -1;

				if (hi < 0 || lo < 0)
					ck_abort_msg("%s:%d: bad \\x{...}", name,
					    lineno);
				sb_addc(out, (char)(hi << 4 | lo));
			}
			if (j >= n)
				ck_abort_msg("%s:%d: unterminated \\x{", name,
				    lineno);
			i = j + 1;
			continue;
		}
		sb_addc(out, s[i++]);
	}
}

static void
header(struct tcase_data *tc, const char *line, const char *name, int lineno)
{
	const char	*colon = strchr(line, ':'), *v;
	size_t		 klen;

	if (colon == NULL)
		ck_abort_msg("%s:%d: expected 'key: value'", name, lineno);
	klen = (size_t)(colon - line);
	for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
		;
#define KEY(k)	(klen == sizeof(k) - 1 && memcmp(line, (k), klen) == 0)
	if (KEY("envelope"))
		snprintf(tc->envelope, sizeof tc->envelope, "%s", v);
	else if (KEY("parser"))
		snprintf(tc->parser, sizeof tc->parser, "%s", v);
	else if (KEY("tag"))
		snprintf(tc->tag, sizeof tc->tag, "%s", v);
	else if (KEY("max_line_size"))
		tc->max_line = strtoul(v, NULL, 10);
	else if (KEY("final_newline"))
		tc->final_newline = strcmp(v, "no") != 0;
	else if (KEY("time"))
		tc->show_time = strcmp(v, "yes") == 0;
	else if (KEY("parse"))
		sb_addf(&tc->parse, "    %s\n", v);
	else if (KEY("error"))
		tc->error = xstrdup(v);
	else
		ck_abort_msg("%s:%d: unknown header '%.*s'", name, lineno,
		    (int)klen, line);
#undef KEY
}

static void
case_read(struct tcase_data *tc, const char *name)
{
	char		 path[8192], *text, *line, *nl;
	FILE		*f;
	long		 size;
	int		 lineno = 0, section = 0;	/* header, input, expect */
	size_t		 ninput = 0;

	memset(tc, 0, sizeof *tc);
	tc->name = xstrdup(name);
	strcpy(tc->envelope, "cri");
	strcpy(tc->parser, "multi_format");
	strcpy(tc->tag, "kubernetes.spire.server");
	tc->final_newline = true;
	snprintf(path, sizeof path, "%s/%s", cases_dir, name);
	if ((f = fopen(path, "rb")) == NULL)
		ck_abort_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	text = xmalloc((size_t)size + 1);
	ck_assert_uint_eq(fread(text, 1, (size_t)size, f), (size_t)size);
	text[size] = '\0';
	fclose(f);
	for (line = text; *line != '\0'; line = nl + 1) {
		size_t	 n;

		lineno++;
		if ((nl = strchr(line, '\n')) == NULL)
			nl = line + strlen(line);
		n = (size_t)(nl - line);
		if (section < 2 && n == 6 && memcmp(line, "input:", 6) == 0)
			section = 1;
		else if (section < 2 && n == 7 && memcmp(line, "expect:", 7) == 0)
			section = 2;
		else if (section == 0) {
			if (n > 0 && line[0] != '#') {
				char	*h = xstrndup(line, n);

				header(tc, h, name, lineno);
				free(h);
			}
		} else if (section == 1) {
			if (ninput++ > 0)
				sb_addc(&tc->input, '\n');
			unescape_line(&tc->input, line, n, name, lineno);
		} else if (n > 0) {
			sb_add(&tc->expect, line, n);
			sb_addc(&tc->expect, '\n');
		}
		if (*nl == '\0')
			break;
	}
	if (section != 2 && tc->error == NULL)
		ck_abort_msg("%s: needs an input: and an expect: section", name);
	if (ninput > 0 && tc->final_newline)
		sb_addc(&tc->input, '\n');
	free(text);
}

static void
case_free(struct tcase_data *tc)
{
	free(tc->name);
	free(tc->error);
	sb_free(&tc->parse);
	sb_free(&tc->input);
	sb_free(&tc->expect);
}

/* --- running a case ------------------------------------------------------ */

struct run {
	struct source_parse	 sp;
	struct pipeline		*pl;
	struct route		*rt;
	struct batch		 b;
	struct stats		 st;
};

static const char *
parse_section(const char *parser)
{
	if (strcmp(parser, "json") == 0)
		return "    @type json\n";
	if (strcmp(parser, "logfmt") == 0)
		return "    @type logfmt\n";
	if (strcmp(parser, "multi_format") == 0)
		return "    @type multi_format\n"
		    "    <pattern>\n      format json\n    </pattern>\n"
		    "    <pattern>\n      format logfmt\n    </pattern>\n";
	ck_abort_msg("unknown parser '%s' (json, logfmt, multi_format, none)",
	    parser);
	return NULL;
}

/* The pipeline after the source: the case's parser, spire; or nothing. */
static void
pipeline_text(const char *parser, char *text, size_t size)
{
	if (strcmp(parser, "none") == 0) {
		snprintf(text, size, "<match **>\n  @type null\n</match>\n");
		return;
	}
	snprintf(text, size,
	    "<filter kubernetes.**>\n  @type parser\n  key_name log\n"
	    "  reserve_data true\n  remove_key_name_field true\n"
	    "  <parse>\n%s  </parse>\n</filter>\n"
	    "<filter kubernetes.**>\n  @type spire\n  keep_audit true\n"
	    "</filter>\n<match kubernetes.**>\n  @type null\n</match>\n",
	    parse_section(parser));
}

/* The tail source's <parse> of the case; -1 and e set if it fails. */
static int
source_open(struct source_parse *sp, const struct tcase_data *tc,
    struct err *e)
{
	char		 text[4096];
	struct conf	 sc;
	int		 rc;

	snprintf(text, sizeof text, "<source>\n  <parse>\n    @type %s\n"
	    "%.*s  </parse>\n</source>\n", tc->envelope, (int)tc->parse.len,
	    tc->parse.len ? tc->parse.buf : "");
	if (conf_load_string(&sc, text, tc->name, e) != 0)
		ck_abort_msg("%s: <source>: %s", tc->name, e->msg);
	rc = source_parse_init(sp, &sc.root.elems[0], NULL, e);
	conf_free(&sc);
	return rc;
}

static void
run_open(struct run *r, const struct tcase_data *tc)
{
	char		 text[4096];
	struct conf	*pc = xcalloc(1, sizeof *pc);
	struct err	 e;

	memset(r, 0, sizeof *r);
	if (source_open(&r->sp, tc, &e) != 0)
		ck_abort_msg("%s: envelope: %s", tc->name, e.msg);
	pipeline_text(tc->parser, text, sizeof text);
	if (conf_load_string(pc, text, tc->name, &e) != 0 ||
	    (r->pl = pipeline_new(pc, 0, &e)) == NULL)
		ck_abort_msg("%s: pipeline: %s", tc->name, e.msg);
	r->rt = pipeline_route(r->pl, tc->tag, strlen(tc->tag));
	batch_init(&r->b);
}

static void
run_close(struct run *r)
{
	batch_free(&r->b);
	pipeline_free(r->pl);
	source_parse_free(&r->sp);
}

static void
on_line(void *arg, const struct logical_line *ll)
{
	struct run	*r = arg;
	struct record	*rec = batch_begin(&r->b);

	source_parse_record(&r->sp, &r->b, rec, ll, NOW_NS, NULL, NULL,
	    &r->st);
	route_run(r->rt, &r->b);
}

/* The NDJSON the case's input becomes, fed in pieces of `step`. */
static void
run_case(const struct tcase_data *tc, size_t step, struct strbuf *out)
{
	struct run	 r;
	struct framer	 fr;
	size_t		 i, k;

	run_open(&r, tc);
	framer_init(&fr, r.sp.envelope, tc->max_line);
	for (i = 0; i < tc->input.len; i += k) {
		k = step == 0 || step > tc->input.len - i ?
		    tc->input.len - i : step;
		framer_feed(&fr, tc->input.buf + i, k, on_line, &r);
	}
	framer_finish(&fr, on_line, &r);
	for (i = 0; i < r.b.nrecs; i++) {
		if (tc->show_time) {
			char	 t[RFC3339_NANO_LEN + 1];

			time_format_rfc3339(r.b.recs[i].time, t);
			sb_addf(out, "%s ", t);
		}
		json_put_record(out, &r.b, &r.b.recs[i]);
		sb_addc(out, '\n');
	}
	framer_free(&fr);
	run_close(&r);
}

/* Line n (0-based) of an NDJSON text, or NULL. */
static const char *
nth_line(const struct strbuf *sb, size_t n, size_t *len)
{
	const char	*p = sb->buf, *end = sb->buf + sb->len, *nl;

	for (; p != NULL && p < end; p = nl + 1, n--) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if (n == 0) {
			*len = (size_t)(nl - p);
			return p;
		}
	}
	return NULL;
}

/* A diff-like account of the first difference. */
static void
mismatch(const char *name, const char *how, const struct strbuf *want,
    const struct strbuf *got)
{
	const char	*w, *g;
	size_t		 n, wl = 0, gl = 0, col;

	for (n = 0;; n++) {
		w = nth_line(want, n, &wl);
		g = nth_line(got, n, &gl);
		if (w == NULL && g == NULL)
			break;
		if (w != NULL && g != NULL && wl == gl &&
		    memcmp(w, g, wl) == 0)
			continue;
		for (col = 0; w && g && col < wl && col < gl &&
		    w[col] == g[col]; col++)
			;
		ck_abort_msg("%s (%s): record %zu differs at byte %zu\n"
		    "- %.*s\n+ %.*s", name, how, n + 1, col, w ? (int)wl : 9,
		    w ? w : "(nothing)", g ? (int)gl : 9, g ? g : "(nothing)");
	}
}

/* A case of a <parse> that must not load: exactly its message. */
static void
case_error(const struct tcase_data *tc)
{
	struct source_parse	 sp;
	struct err		 e;

	if (source_open(&sp, tc, &e) == 0) {
		source_parse_free(&sp);
		ck_abort_msg("%s: the <parse> loaded; expected: %s", tc->name,
		    tc->error);
	}
	source_parse_free(&sp);
	if (getenv("CASES_PRINT") != NULL)
		fprintf(stderr, "== %s\nerror: %s\n", tc->name, e.msg);
	ck_assert_str_eq(e.msg, tc->error);
}

START_TEST(test_case)
{
	struct tcase_data	 tc;
	struct strbuf		 whole = STRBUF_INIT, bytes = STRBUF_INIT;

	log_set_level(LOG_ERROR);
	case_read(&tc, case_files[_i]);
	if (tc.error != NULL) {
		case_error(&tc);
		case_free(&tc);
		return;
	}
	run_case(&tc, 0, &whole);
	if (getenv("CASES_PRINT") != NULL)
		fprintf(stderr, "== %s\n%s", tc.name, sb_cstr(&whole));
	mismatch(tc.name, "in one piece", &tc.expect, &whole);
	run_case(&tc, 1, &bytes);
	mismatch(tc.name, "one byte at a time", &whole, &bytes);
	sb_free(&whole);
	sb_free(&bytes);
	case_free(&tc);
}
END_TEST

/* The cases are there, and there are enough of them. */
START_TEST(test_have_cases)
{
	ck_assert_msg(ncases >= 40, "%zu cases in %s", ncases, cases_dir);
}
END_TEST

static int
is_case(const struct dirent *d)
{
	size_t	 n = strlen(d->d_name);

	return n > 5 && strcmp(d->d_name + n - 5, ".case") == 0;
}

static void
find_cases(void)
{
	const char	*top = getenv("top_srcdir");
	struct dirent	**list;
	int		 n, i;

	snprintf(cases_dir, sizeof cases_dir, "%s/tests/data/cases",
	    top != NULL && *top != '\0' ? top : TOP_SRCDIR);
	if ((n = scandir(cases_dir, &list, is_case, alphasort)) < 0)
		return;
	for (i = 0; i < n; i++) {
		if (ncases < MAX_CASES)
			case_files[ncases++] = xstrdup(list[i]->d_name);
		free(list[i]);
	}
	free(list);
}

static Suite *
test_suite(void)
{
	Suite	*s = suite_create("cases");
	TCase	*tc = tcase_create("cases");

	find_cases();
	tcase_add_test(tc, test_have_cases);
	tcase_add_loop_test(tc, test_case, 0, (int)ncases);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
