/*
 * config.c — Fluentd's v1 configuration syntax, read into a tree.
 *
 * The one idea: Fluentd's grammar is its parser (v1_parser.rb and
 * literal_parser.rb), so this reader makes the same decisions, surprising
 * ones included: an included file is a file of its own (it cannot close
 * its includer's element) whose contents land where the @include stands;
 * a missing include is no error (the DaemonSet image turns systemd off by
 * including "disable.conf"); a JSON value ends where the JSON is complete.
 * Where Fluentd would crash, loop or guess, we stop with file:line.
 *
 * A construct that may run past its line (a double-quoted string, a JSON
 * value) remembers where it started, so an error can name both lines.
 *
 * Embedded code ("#{...}") goes to a tiny evaluator: terms joined by ||,
 * with Ruby's truth (nil is false, "" is not). It checks the whole
 * expression even where || short-circuits, so that whether a
 * configuration is valid never depends on the environment.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>
#include <yajl/yajl_tree.h>

#include "config.h"
#include "mem.h"
#include "rbexpr.h"
#include "strbuf.h"

/* Fluentd has no limits; a cycle there is a stack overflow. */
#define CONF_INCLUDE_DEPTH	16
#define CONF_NEST_DEPTH		64

/* How much of a line an error message quotes. */
#define CONF_QUOTE_MAX		24

/* The files being read, innermost first: include cycles are found here. */
struct frame {
	dev_t		 dev;
	ino_t		 ino;
	const char	*file;
	struct frame	*up;
};

struct reader {
	struct conf	*c;
	struct err	*e;
	const char	*file;		/* owned by c, for messages */
	const char	*text;		/* NUL-terminated, no NUL inside */
	const char	*p;
	int		 line;
	bool		 included;
	int		 depth;		/* of @include */
	int		 nest;		/* of elements, across files */
	struct frame	*frames;
	const char	*marker;	/* use_default/use_nil seen in a value */
};

static int	parse_body(struct reader *, struct conf_elem *, bool);
static int	include_file(struct reader *, struct conf_elem *,
		    const char *, const char *, int);

/* --- small pieces ------------------------------------------------------ */

static bool
is_blank(int ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r';
}

static bool
is_name_char(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || ch == '_';
}

static bool
is_digit(int ch)
{
	return ch >= '0' && ch <= '9';
}

/*
 * Arrays in the tree carry no capacity, so they grow when their length
 * reaches a power of two (from 4): the same doubling, without a field.
 */
static void *
grow_pow2(void *p, size_t n, size_t size)
{
	size_t	 cap;

	if (n != 0 && (n < 4 || (n & (n - 1)) != 0))
		return p;
	cap = n == 0 ? 4 : n * 2;
	return xrealloc(p, cap * size);
}

/* --- the tree ---------------------------------------------------------- */

static void
elem_free(struct conf_elem *el)
{
	size_t	 i;

	for (i = 0; i < el->nparams; i++) {
		free(el->params[i].key);
		free(el->params[i].value);
	}
	free(el->params);
	for (i = 0; i < el->nelems; i++)
		elem_free(&el->elems[i]);
	free(el->elems);
	free(el->name);
	free(el->arg);
}

static struct conf_elem *
elem_add(struct conf_elem *parent, char *name, char *arg, const char *file,
    int line)
{
	struct conf_elem	*el;

	parent->elems = grow_pow2(parent->elems, parent->nelems,
	    sizeof *parent->elems);
	el = &parent->elems[parent->nelems++];
	memset(el, 0, sizeof *el);
	el->name = name;
	el->arg = arg;
	el->file = file;
	el->line = line;
	return el;
}

static void
param_add(struct conf_elem *el, char *key, char *value,
    enum conf_value_kind kind, const char *file, int line)
{
	struct conf_param	*pa;

	el->params = grow_pow2(el->params, el->nparams, sizeof *el->params);
	pa = &el->params[el->nparams++];
	pa->key = key;
	pa->value = value;
	pa->kind = kind;
	pa->file = file;
	pa->line = line;
	pa->used = false;
}

/* Each file name is kept once; elements and parameters point at it. */
static const char *
conf_file_name(struct conf *c, const char *name)
{
	size_t	 i;

	for (i = 0; i < c->nfiles; i++) {
		if (strcmp(c->files[i], name) == 0)
			return c->files[i];
	}
	c->files = grow_pow2(c->files, c->nfiles, sizeof *c->files);
	c->files[c->nfiles] = xstrdup(name);
	return c->files[c->nfiles++];
}

static void
conf_init(struct conf *c, const char *name)
{
	memset(c, 0, sizeof *c);
	c->root.name = xstrdup("ROOT");
	c->root.arg = xstrdup("");
	c->root.file = conf_file_name(c, name);
	c->root.line = 1;
}

void
conf_free(struct conf *c)
{
	size_t	 i;

	elem_free(&c->root);
	for (i = 0; i < c->nfiles; i++)
		free(c->files[i]);
	free(c->files);
	memset(c, 0, sizeof *c);
}

struct conf_param *
conf_param_get(const struct conf_elem *el, const char *key)
{
	size_t	 i;

	for (i = el->nparams; i > 0; i--) {
		if (strcmp(el->params[i - 1].key, key) == 0)
			return &el->params[i - 1];
	}
	return NULL;
}

const char *
conf_get(const struct conf_elem *el, const char *key)
{
	struct conf_param	*pa = conf_param_get(el, key);

	return pa != NULL ? pa->value : NULL;
}

/* --- moving through the text ------------------------------------------- */

static void
rd_advance(struct reader *r)
{
	if (*r->p == '\n')
		r->line++;
	if (*r->p != '\0')
		r->p++;
}

/* The last line of the file, for "reached the end" messages. */
static int
rd_eof_line(const struct reader *r)
{
	if (r->p > r->text && r->p[-1] == '\n')
		return r->line - 1;
	return r->line;
}

static void
skip_blanks(struct reader *r)
{
	while (is_blank(*r->p))
		r->p++;
}

static void
skip_comment(struct reader *r)
{
	while (*r->p != '\0' && *r->p != '\n')
		r->p++;
}

/* Blank lines and comment lines, between statements. */
static void
skip_spacing(struct reader *r)
{
	for (;;) {
		if (is_blank(*r->p) || *r->p == '\n')
			rd_advance(r);
		else if (*r->p == '#')
			skip_comment(r);
		else
			return;
	}
}

static bool
at_line_end(const struct reader *r)
{
	return *r->p == '\0' || *r->p == '\n' || *r->p == '#';
}

/* The rest of the line, shortened, to show what was found. */
static int
rest_len(const char *p)
{
	int	 n = 0;

	while (p[n] != '\0' && p[n] != '\n' && p[n] != '\r' &&
	    n < CONF_QUOTE_MAX)
		n++;
	return n;
}

/* After a tag or a value only blanks and a comment may follow. */
static int
finish_line(struct reader *r, const char *after)
{
	skip_blanks(r);
	if (*r->p == '#')
		skip_comment(r);
	if (*r->p == '\0')
		return 0;
	if (*r->p == '\n') {
		rd_advance(r);
		return 0;
	}
	return err_at(r->e, r->file, r->line,
	    "expected end of line after %s, found '%.*s'", after,
	    rest_len(r->p), r->p);
}

/* --- embedded code: Ruby, as far as rbexpr.h goes ---------------------- */

static const char *
code_getenv(void *arg, const char *name)
{
	(void)arg;
	return getenv(name);
}

/*
 * Evaluates code and appends its value (Ruby's to_s: nil is "") to b.
 * use_default and use_nil are remembered: the parameter is then left
 * out, if the value is nothing else.
 */
static int
code_eval(struct reader *r, const char *code, size_t len, int line,
    struct strbuf *b)
{
	enum rb_kind	 kind = RB_NIL;
	char		 why[1024];

	if (rb_eval(code, len, code_getenv, NULL, &kind, b, why,
	    sizeof why) == -1)
		return err_at(r->e, r->file, line, "embedded code #{%.*s}: %s",
		    (int)len, code, why);
	if (kind == RB_USE_DEFAULT || kind == RB_USE_NIL)
		r->marker = kind == RB_USE_DEFAULT ? "use_default" : "use_nil";
	return 0;
}

/* Past a Ruby string literal inside code, or NULL if the line ends. */
static const char *
code_skip_string(const char *p)
{
	char	 q = *p++;

	while (*p != q) {
		if (*p == '\0' || *p == '\n')
			return NULL;
		if (*p == '\\' && p[1] != '\0' && p[1] != '\n')
			p++;
		p++;
	}
	return p + 1;
}

/*
 * Finds the '}' that ends "#{...}", as Ruby would: braces nest and
 * strings hide them. Code must end on its line, so that a forgotten '}'
 * is reported where it was forgotten.
 */
static int
scan_code(struct reader *r, struct strbuf *b)
{
	const char	*code = r->p + 2, *q = code;
	int		 depth = 0;

	while (*q != '}' || depth > 0) {
		if (*q == '\0' || *q == '\n')
			goto open;
		if (*q == '\'' || *q == '"') {
			if ((q = code_skip_string(q)) == NULL)
				goto open;
			continue;
		}
		if (*q == '{')
			depth++;
		else if (*q == '}')
			depth--;
		q++;
	}
	r->p = q + 1;
	return code_eval(r, code, (size_t)(q - code), r->line, b);
open:
	return err_at(r->e, r->file, r->line, "embedded code '#{%.*s' is not "
	    "closed: expected '}' before the end of the line", rest_len(code),
	    code);
}

/* --- values ------------------------------------------------------------ */

static int
scan_bare(struct reader *r, char **out)
{
	const char	*q = r->p, *end = r->p;

	/* A '#' starts a comment only after a blank: "a#b" keeps it. */
	while (*q != '\0' && *q != '\n') {
		if (*q == '#' && q > r->p && is_blank(q[-1]))
			break;
		if (!is_blank(*q))
			end = q + 1;
		q++;
	}
	*out = xstrndup(r->p, (size_t)(end - r->p));
	r->p = end;
	return 0;
}

static int
dq_escape(struct reader *r, struct strbuf *b)
{
	static const char	 from[] = "\"'\\rntfb";
	static const char	 to[] = "\"'\\\r\n\t\f\b";
	const char		*q;
	char			 ch;

	r->p++;
	ch = *r->p;
	if (ch == '\0')
		return 0;	/* the caller reports the open string */
	if (ch == '\r' && r->p[1] == '\n')
		ch = *++r->p;
	if (ch == '\n') {	/* a continued line, as in Fluentd */
		rd_advance(r);
		return 0;
	}
	if ((q = strchr(from, ch)) != NULL)
		sb_addc(b, to[q - from]);
	else if (is_name_char(ch)) {
		return err_at(r->e, r->file, r->line,
		    "unknown escape '\\%c' in a double-quoted string (known: "
		    "\\\" \\' \\\\ \\r \\n \\t \\f \\b); write '\\\\%c' for a "
		    "backslash and '%c', or use single quotes", ch, ch, ch);
	} else
		sb_addc(b, ch);
	r->p++;
	return 0;
}

static int
scan_dquoted(struct reader *r, char **out)
{
	struct strbuf	 b = STRBUF_INIT;
	int		 start = r->line;

	r->p++;
	for (;;) {
		if (*r->p == '\0') {
			sb_free(&b);
			return err_at(r->e, r->file, rd_eof_line(r),
			    "unterminated double-quoted string (started at "
			    "line %d)", start);
		}
		if (*r->p == '"')
			break;
		if (*r->p == '\\') {
			if (dq_escape(r, &b) == -1)
				goto fail;
		} else if (r->p[0] == '#' && r->p[1] == '{') {
			if (scan_code(r, &b) == -1)
				goto fail;
		} else {
			sb_addc(&b, *r->p);
			rd_advance(r);
		}
	}
	r->p++;
	*out = sb_take(&b);
	return 0;
fail:
	sb_free(&b);
	return -1;
}

/* Fluentd's single quotes end on their line, and know only \' and \\. */
static int
scan_squoted(struct reader *r, char **out)
{
	struct strbuf	 b = STRBUF_INIT;

	r->p++;
	for (;;) {
		if (*r->p == '\0' || *r->p == '\n') {
			sb_free(&b);
			return err_at(r->e, r->file, r->line,
			    "unterminated single-quoted string: a '...' value "
			    "must end on its line (use \"...\" to span lines)");
		}
		if (*r->p == '\'')
			break;
		if (r->p[0] == '\\' && (r->p[1] == '\'' || r->p[1] == '\\'))
			r->p++;
		sb_addc(&b, *r->p++);
	}
	r->p++;
	*out = sb_take(&b);
	return 0;
}

static int
jn_null(void *g)
{
	return yajl_gen_null(g) == yajl_gen_status_ok;
}

static int
jn_bool(void *g, int v)
{
	return yajl_gen_bool(g, v) == yajl_gen_status_ok;
}

static int
jn_number(void *g, const char *s, size_t n)
{
	return yajl_gen_number(g, s, n) == yajl_gen_status_ok;
}

static int
jn_string(void *g, const unsigned char *s, size_t n)
{
	return yajl_gen_string(g, s, n) == yajl_gen_status_ok;
}

static int
jn_map_open(void *g)
{
	return yajl_gen_map_open(g) == yajl_gen_status_ok;
}

static int
jn_map_close(void *g)
{
	return yajl_gen_map_close(g) == yajl_gen_status_ok;
}

static int
jn_array_open(void *g)
{
	return yajl_gen_array_open(g) == yajl_gen_status_ok;
}

static int
jn_array_close(void *g)
{
	return yajl_gen_array_close(g) == yajl_gen_status_ok;
}

static const yajl_callbacks jn_callbacks = {
	jn_null, jn_bool, NULL, NULL, jn_number, jn_string,
	jn_map_open, jn_string, jn_map_close, jn_array_open, jn_array_close
};

/* yajl's message, without its "parse error: " and its newline. */
static void
json_message(const char *m, char *out, size_t size)
{
	const char	*colon = strstr(m, " error: ");

	if (colon != NULL)
		m = colon + 8;
	snprintf(out, size, "%.*s", (int)strcspn(m, "\n"), m);
}

static void
json_error(yajl_handle h, const char *text, size_t len, char *msg,
    size_t size)
{
	unsigned char	*m = yajl_get_error(h, 0, (const unsigned char *)text,
	    len);

	json_message((const char *)m, msg, size);
	yajl_free_error(h, m);
}

/*
 * Checks the JSON with yajl and writes it compact, as Fluentd's
 * JSON.dump does, so later readers get it without comments or newlines.
 */
static int
json_normalize(struct reader *r, const char *text, size_t len, int start,
    const char *what, char **out)
{
	yajl_gen		 g = yajl_gen_alloc(NULL);
	yajl_handle		 h = yajl_alloc(&jn_callbacks, NULL, g);
	const unsigned char	*res;
	char			 msg[256];
	size_t			 reslen, off, i;
	int			 line = start;

	if (yajl_parse(h, (const unsigned char *)text, len) != yajl_status_ok ||
	    yajl_complete_parse(h) != yajl_status_ok) {
		json_error(h, text, len, msg, sizeof msg);
		off = yajl_get_bytes_consumed(h);
		for (i = 0; i < off && i < len; i++)
			line += text[i] == '\n';
		yajl_free(h);
		yajl_gen_free(g);
		return err_at(r->e, r->file, line, "invalid JSON %s: %s", what,
		    msg);
	}
	yajl_gen_get_buf(g, &res, &reslen);
	*out = xstrndup((const char *)res, reslen);
	yajl_free(h);
	yajl_gen_free(g);
	return 0;
}

/*
 * A JSON value runs until its brackets balance, over as many lines as
 * it takes; '#' outside a JSON string starts a comment, as in Fluentd.
 */
static int
scan_json(struct reader *r, char **out)
{
	struct strbuf	 b = STRBUF_INIT;
	const char	*what = *r->p == '[' ? "array" : "hash";
	int		 start = r->line, depth = 0, rc;
	bool		 instr = false;
	char		 ch;

	for (;;) {
		ch = *r->p;
		if (ch == '\0' || (instr && ch == '\n')) {
			sb_free(&b);
			if (instr) {
				return err_at(r->e, r->file, r->line,
				    "unterminated string in JSON %s", what);
			}
			return err_at(r->e, r->file, rd_eof_line(r),
			    "unterminated JSON %s (started at line %d)", what,
			    start);
		}
		if (!instr && ch == '#') {
			skip_comment(r);
			continue;
		}
		sb_addc(&b, ch);
		rd_advance(r);
		if (instr) {
			if (ch == '\\' && *r->p != '\0' && *r->p != '\n') {
				sb_addc(&b, *r->p);
				rd_advance(r);
			} else if (ch == '"')
				instr = false;
		} else if (ch == '"')
			instr = true;
		else if (ch == '[' || ch == '{')
			depth++;
		else if ((ch == ']' || ch == '}') && --depth == 0)
			break;
	}
	rc = json_normalize(r, sb_cstr(&b), b.len, start, what, out);
	sb_free(&b);
	return rc;
}

static int
parse_value(struct reader *r, char **out, enum conf_value_kind *kind)
{
	const char	*after = "the closing quote";
	int		 rc;

	switch (*r->p) {
	case '"':
		*kind = CONF_DQUOTED;
		rc = scan_dquoted(r, out);
		break;
	case '\'':
		*kind = CONF_SQUOTED;
		rc = scan_squoted(r, out);
		break;
	case '[':
	case '{':
		*kind = CONF_JSON;
		after = *r->p == '[' ? "the JSON array" : "the JSON hash";
		rc = scan_json(r, out);
		break;
	default:
		*kind = CONF_BARE;
		rc = scan_bare(r, out);
		break;
	}
	if (rc == -1)
		return -1;
	if (finish_line(r, after) == -1) {
		free(*out);
		return -1;
	}
	return 0;
}

/* --- @include ---------------------------------------------------------- */

/* Lexically, as Ruby's File.expand_path: "a/./b/../c" is "a/c". */
static void
path_clean(char *path)
{
	char	*in = path, *out = path, *start, *seg;
	size_t	 n, kept = 0;	/* segments that ".." may remove */

	if (*path == '/')
		in = out = path + 1;
	start = out;
	while (*in != '\0') {
		seg = in;
		n = strcspn(in, "/");
		for (in += n; *in == '/'; in++)
			;
		if (n == 0 || (n == 1 && seg[0] == '.'))
			continue;
		if (n == 2 && seg[0] == '.' && seg[1] == '.') {
			if (kept > 0) {
				while (out > start && out[-1] != '/')
					out--;
				if (out > start)
					out--;
				kept--;
				continue;
			}
			if (start != path)
				continue;	/* "/.." is "/" */
		} else
			kept++;
		/* Writing never overtakes reading: out <= seg. */
		if (out > start)
			*out++ = '/';
		memmove(out, seg, n);
		out += n;
	}
	*out = '\0';
	if (*path == '\0')
		strcpy(path, ".");
}

/* The pattern joined to the directory of the file that names it. */
static char *
include_resolve(const char *file, const char *pat)
{
	const char	*slash = strrchr(file, '/');
	char		*path;

	if (pat[0] == '/' || slash == NULL)
		path = xstrdup(pat);
	else
		path = xasprintf("%.*s/%s", (int)(slash - file), file, pat);
	path_clean(path);
	return path;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
has_url_scheme(const char *s)
{
	const char	*q = s;

	while (is_name_char(*q) || *q == '+' || *q == '-' || *q == '.')
		q++;
	return q > s + 1 && strncmp(q, "://", 3) == 0;
}

/* Every file the pattern matches, sorted; none is fine, as in Fluentd. */
static int
include_glob(struct reader *r, struct conf_elem *el, const char *pat,
    int line)
{
	const char	*path = pat;
	char		*full;
	glob_t		 g;
	size_t		 i;
	int		 rc;

	if (strncmp(path, "file://", 7) == 0)
		path += 7;
	else if (has_url_scheme(path)) {
		return err_at(r->e, r->file, line,
		    "@include %s: only local files can be included", pat);
	}
	full = include_resolve(r->file, path);
	rc = glob(full, GLOB_BRACE | GLOB_NOSORT, NULL, &g);
	free(full);
	if (rc == GLOB_NOMATCH)
		return 0;
	if (rc != 0) {
		return err_at(r->e, r->file, line,
		    "@include %s: cannot expand the pattern", pat);
	}
	qsort(g.gl_pathv, g.gl_pathc, sizeof *g.gl_pathv, cmp_str);
	for (rc = 0, i = 0; rc == 0 && i < g.gl_pathc; i++)
		rc = include_file(r, el, g.gl_pathv[i], pat, line);
	globfree(&g);
	return rc;
}

/* "a.conf -> b.conf -> a.conf", from the first read of the repeated file. */
static void
include_chain(const struct frame *fr, const struct frame *repeat, char *out,
    size_t size)
{
	size_t	 n;

	if (fr != repeat)
		include_chain(fr->up, repeat, out, size);
	n = strlen(out);
	snprintf(out + n, size - n, "%s -> ", fr->file);
}

static int
include_cycle(struct reader *r, const struct stat *st, const char *path,
    const char *pat, int line)
{
	const struct frame	*fr;
	char			 chain[ERR_MAX / 2];

	for (fr = r->frames; fr != NULL; fr = fr->up) {
		if (fr->dev == st->st_dev && fr->ino == st->st_ino)
			break;
	}
	if (fr == NULL)
		return 0;
	chain[0] = '\0';
	include_chain(r->frames, fr, chain, sizeof chain);
	return err_at(r->e, r->file, line, "@include %s: include cycle: %s%s",
	    pat, chain, path);
}

/* The whole file, NUL-terminated; errno is set on failure. */
static char *
read_text(const char *path, struct stat *st, size_t *len)
{
	struct strbuf	 b = STRBUF_INIT;
	char		 chunk[8192];
	ssize_t		 n;
	int		 fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, st) == -1)
		goto fail;
	if (S_ISDIR(st->st_mode)) {
		errno = EISDIR;
		goto fail;
	}
	while ((n = read(fd, chunk, sizeof chunk)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto fail;
		sb_add(&b, chunk, (size_t)n);
	}
	close(fd);
	*len = b.len;
	return sb_take(&b);
fail:
	saved = errno;
	close(fd);
	sb_free(&b);
	errno = saved;
	return NULL;
}

/* Values are C strings: a NUL byte is refused, at its line. */
static int
check_nul(struct reader *r, size_t len)
{
	size_t	 i, n = strlen(r->text);
	int	 line = 1;

	if (n == len)
		return 0;
	for (i = 0; i < n; i++)
		line += r->text[i] == '\n';
	return err_at(r->e, r->file, line, "NUL byte in the configuration");
}

static int
include_file(struct reader *r, struct conf_elem *el, const char *path,
    const char *pat, int line)
{
	struct reader	 sub;
	struct frame	 fr;
	struct stat	 st;
	char		*text;
	size_t		 len;
	int		 rc;

	if (r->depth >= CONF_INCLUDE_DEPTH) {
		return err_at(r->e, r->file, line, "@include %s: includes are "
		    "nested more than %d deep", pat, CONF_INCLUDE_DEPTH);
	}
	if ((text = read_text(path, &st, &len)) == NULL) {
		return err_at(r->e, r->file, line,
		    "@include %s: cannot read '%s': %s", pat, path,
		    strerror(errno));
	}
	if (include_cycle(r, &st, path, pat, line) == -1) {
		free(text);
		return -1;
	}
	sub = *r;
	sub.file = conf_file_name(r->c, path);
	sub.text = sub.p = text;
	sub.line = 1;
	sub.included = true;
	sub.depth = r->depth + 1;
	fr.dev = st.st_dev;
	fr.ino = st.st_ino;
	fr.file = sub.file;
	fr.up = r->frames;
	sub.frames = &fr;
	rc = check_nul(&sub, len);
	if (rc == 0)
		rc = parse_body(&sub, el, false);
	free(text);
	return rc;
}

static int
parse_include(struct reader *r, struct conf_elem *el, int line)
{
	enum conf_value_kind	 kind;
	char			*pat;
	int			 rc;

	skip_blanks(r);
	if (at_line_end(r)) {
		return err_at(r->e, r->file, line,
		    "@include needs a file name or a glob pattern");
	}
	/* Fluentd reads no JSON here: "[ab].conf" is a glob. */
	if (*r->p == '"' || *r->p == '\'') {
		if (parse_value(r, &pat, &kind) == -1)
			return -1;
	} else {
		scan_bare(r, &pat);
		finish_line(r, "the pattern");	/* cannot fail after it */
	}
	if (*pat == '\0') {
		free(pat);
		return err_at(r->e, r->file, line,
		    "@include needs a file name or a glob pattern");
	}
	rc = include_glob(r, el, pat, line);
	free(pat);
	return rc;
}

/* --- elements and parameters ------------------------------------------- */

static size_t
name_len(const char *p)
{
	size_t	 n = 0;

	while (is_name_char(p[n]))
		n++;
	return n;
}

/* Fluentd keeps these names to itself where plugins are configured. */
static int
check_reserved(struct reader *r, const struct conf_elem *el, bool in_tag,
    const char *key, size_t len, int line)
{
	static const char *const allowed[] = {
		"@type", "@id", "@label", "@log_level", NULL
	};
	static const char *const plugins[] = {
		"match", "source", "filter", "system", NULL
	};
	size_t	 i;

	if (key[0] != '@')
		return 0;
	for (i = 0; allowed[i] != NULL; i++) {
		if (strlen(allowed[i]) == len &&
		    memcmp(allowed[i], key, len) == 0)
			return 0;
	}
	if (in_tag) {
		for (i = 0; plugins[i] != NULL; i++) {
			if (strcmp(plugins[i], el->name) == 0)
				break;
		}
		if (plugins[i] == NULL)
			return 0;	/* nested sections: Fluentd warns */
	}
	return err_at(r->e, r->file, line, "'%.*s': the '@' prefix is reserved "
	    "for Fluentd's own parameters (@type, @id, @label, @log_level)",
	    (int)len, key);
}

static int
parse_param(struct reader *r, struct conf_elem *el, bool in_tag)
{
	enum conf_value_kind	 kind = CONF_EMPTY;
	const char		*key = r->p;
	char			*value;
	size_t			 len;
	int			 line = r->line;

	while (*r->p != '\0' && !is_blank(*r->p) && *r->p != '\n')
		r->p++;
	len = (size_t)(r->p - key);
	/* "include" without '@' is deprecated, and only at a file's top. */
	if ((len == 8 && memcmp(key, "@include", 8) == 0) ||
	    (!in_tag && len == 7 && memcmp(key, "include", 7) == 0))
		return parse_include(r, el, line);
	if (check_reserved(r, el, in_tag, key, len, line) == -1)
		return -1;
	skip_blanks(r);
	r->marker = NULL;
	if (at_line_end(r)) {
		value = xstrdup("");
		finish_line(r, "the key");	/* cannot fail here */
	} else if (parse_value(r, &value, &kind) == -1)
		return -1;
	if (r->marker != NULL) {
		/* Fluentd: the parameter is as if it were not written. */
		if (*value == '\0') {
			free(value);
			return 0;
		}
		free(value);
		return err_at(r->e, r->file, line, "%.*s: %s must be the whole "
		    "value, as in \"#{ENV['X'] || %s}\"", (int)len, key,
		    r->marker, r->marker);
	}
	param_add(el, xstrndup(key, len), value, kind, r->file, line);
	return 0;
}

/* <name arg>: the argument is everything up to '>', trimmed. */
static int
parse_open(struct reader *r, struct conf_elem *parent)
{
	struct conf_elem	*el;
	const char		*name = ++r->p, *arg, *end;
	char			*tag;
	size_t			 n = name_len(name);
	int			 line = r->line, rc;

	if (n == 0) {
		return err_at(r->e, r->file, line,
		    "expected an element name after '<'");
	}
	r->p += n;
	skip_blanks(r);
	arg = r->p;
	while (*r->p != '\0' && *r->p != '\n' && *r->p != '>')
		r->p++;
	if (*r->p != '>') {
		if (r->p == arg) {
			return err_at(r->e, r->file, line,
			    "expected '>' after element name");
		}
		return err_at(r->e, r->file, line, "expected '>' to end "
		    "'<%.*s %.*s'", (int)n, name, rest_len(arg), arg);
	}
	for (end = r->p; end > arg && is_blank(end[-1]); end--)
		;
	r->p++;
	tag = xasprintf("<%.*s>", (int)n, name);
	rc = finish_line(r, tag);
	free(tag);
	if (rc == -1)
		return -1;
	if (r->nest >= CONF_NEST_DEPTH) {
		return err_at(r->e, r->file, line, "<%.*s> is nested more than "
		    "%d elements deep", (int)n, name, CONF_NEST_DEPTH);
	}
	el = elem_add(parent, xstrndup(name, n),
	    xstrndup(arg, (size_t)(end - arg)), r->file, line);
	r->nest++;
	rc = parse_body(r, el, true);
	r->nest--;
	return rc;
}

/* </name>: must close the element open in this very file. */
static int
parse_close(struct reader *r, const struct conf_elem *open)
{
	const char	*name = r->p += 2;
	size_t		 n = name_len(name);
	char		*tag;
	int		 rc;

	if (n == 0) {
		return err_at(r->e, r->file, r->line,
		    "expected an element name after '</'");
	}
	r->p += n;
	skip_blanks(r);
	if (*r->p != '>') {
		return err_at(r->e, r->file, r->line,
		    "expected '>' after '</%.*s'", (int)n, name);
	}
	r->p++;
	if (open == NULL && r->included) {
		return err_at(r->e, r->file, r->line, "</%.*s> closes nothing: "
		    "an included file cannot close an element of the file "
		    "that includes it", (int)n, name);
	}
	if (open == NULL) {
		return err_at(r->e, r->file, r->line,
		    "</%.*s> closes nothing: no element is open", (int)n, name);
	}
	if (strlen(open->name) != n || memcmp(open->name, name, n) != 0) {
		return err_at(r->e, r->file, r->line,
		    "</%.*s> does not close <%s> opened at %s:%d", (int)n, name,
		    open->name, open->file, open->line);
	}
	tag = xasprintf("</%s>", open->name);
	rc = finish_line(r, tag);
	free(tag);
	return rc;
}

/*
 * Statements until the end tag of el (in_tag) or the end of the file.
 * Included files come here with in_tag false, whatever el is.
 */
static int
parse_body(struct reader *r, struct conf_elem *el, bool in_tag)
{
	for (;;) {
		skip_spacing(r);
		if (*r->p == '\0' && in_tag) {
			return err_at(r->e, el->file, el->line, "<%s> is not "
			    "closed: expected </%s> before the end of the file",
			    el->name, el->name);
		}
		if (*r->p == '\0')
			return 0;
		if (r->p[0] == '<' && r->p[1] == '/')
			return parse_close(r, in_tag ? el : NULL);
		if (r->p[0] == '<') {
			if (parse_open(r, el) == -1)
				return -1;
		} else if (parse_param(r, el, in_tag) == -1)
			return -1;
	}
}

static int
load(struct conf *c, struct reader *r, size_t len)
{
	if (check_nul(r, len) == -1 || parse_body(r, &c->root, false) == -1) {
		conf_free(c);
		return -1;
	}
	return 0;
}

int
conf_load_file(struct conf *c, const char *path, struct err *e)
{
	struct reader	 r;
	struct frame	 fr;
	struct stat	 st;
	char		*text;
	size_t		 len;
	int		 rc;

	memset(c, 0, sizeof *c);
	if ((text = read_text(path, &st, &len)) == NULL)
		return err_set(e, "cannot read '%s': %s", path,
		    strerror(errno));
	conf_init(c, path);
	memset(&r, 0, sizeof r);
	r.c = c;
	r.e = e;
	r.file = c->root.file;
	r.text = r.p = text;
	r.line = 1;
	fr.dev = st.st_dev;
	fr.ino = st.st_ino;
	fr.file = r.file;
	fr.up = NULL;
	r.frames = &fr;
	rc = load(c, &r, len);
	free(text);
	return rc;
}

int
conf_load_string(struct conf *c, const char *text, const char *name,
    struct err *e)
{
	struct reader	 r;

	conf_init(c, name);
	memset(&r, 0, sizeof r);
	r.c = c;
	r.e = e;
	r.file = c->root.file;
	r.text = r.p = text;
	r.line = 1;
	return load(c, &r, strlen(text));
}

/* --- value types ------------------------------------------------------- */

/* [+-]digits[.digits][e[+-]digits]: how much of s is such a number. */
static size_t
decimal_len(const char *s, bool sign, bool exponent)
{
	size_t	 n = 0, m;

	if (sign && (s[n] == '+' || s[n] == '-'))
		n++;
	if (!is_digit(s[n]))
		return 0;
	while (is_digit(s[n]))
		n++;
	if (s[n] == '.' && is_digit(s[n + 1])) {
		n++;
		while (is_digit(s[n]))
			n++;
	}
	if (exponent && (s[n] == 'e' || s[n] == 'E')) {
		m = n + 1;
		if (s[m] == '+' || s[m] == '-')
			m++;
		if (is_digit(s[m])) {
			while (is_digit(s[m]))
				m++;
			n = m;
		}
	}
	return n;
}

int
conf_parse_size(const char *s, unsigned long long *out)
{
	static const char	 units[] = "kmgt";
	const char		*u;
	unsigned long long	 whole, mult = 1, sum;
	size_t			 n = decimal_len(s, false, false);
	double			 frac = 0;
	char			*end;

	if (n == 0)
		return -1;
	errno = 0;
	whole = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -1;
	if (*end == '.')
		frac = strtod(end, NULL);
	if (s[n] != '\0') {
		if ((u = strchr(units, s[n] | 0x20)) == NULL)
			return -1;
		mult = 1ULL << (10 * (u - units + 1));
		n++;
		if (s[n] == 'b' || s[n] == 'B')	/* "2MB", as Fluentd reads */
			n++;
		if (s[n] != '\0')
			return -1;
	} else if (*end == '.')
		return -1;	/* a byte count is whole */
	if (whole > ULLONG_MAX / mult)
		return -1;
	sum = whole * mult + (unsigned long long)(frac * (double)mult);
	if (sum < whole * mult)
		return -1;
	*out = sum;
	return 0;
}

int
conf_parse_time(const char *s, double *out)
{
	static const struct {
		const char	*unit;
		double		 secs;
	} units[] = {
		{ "", 1 }, { "ms", 0.001 }, { "s", 1 }, { "m", 60 },
		{ "h", 3600 }, { "d", 86400 },
	};
	size_t	 n = decimal_len(s, true, false), i;

	if (n == 0)
		return -1;
	for (i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strcmp(s + n, units[i].unit) == 0) {
			*out = strtod(s, NULL) * units[i].secs;
			return 0;
		}
	}
	return -1;
}

int
conf_parse_bool(const char *s, bool *out)
{
	if (*s == '\0' || strcmp(s, "true") == 0 || strcmp(s, "yes") == 0)
		*out = true;
	else if (strcmp(s, "false") == 0 || strcmp(s, "no") == 0)
		*out = false;
	else
		return -1;
	return 0;
}

int
conf_parse_int(const char *s, long long *out)
{
	size_t		 n = decimal_len(s, true, false);
	long long	 v;
	char		*end;

	if (n == 0 || s[n] != '\0' || strchr(s, '.') != NULL)
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno == ERANGE || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

int
conf_parse_float(const char *s, double *out)
{
	size_t	 n = decimal_len(s, true, true);
	double	 v;

	if (n == 0 || s[n] != '\0')
		return -1;
	v = strtod(s, NULL);
	if (!isfinite(v))
		return -1;
	*out = v;
	return 0;
}

size_t
conf_strv_len(char *const *v)
{
	size_t	 n = 0;

	while (v[n] != NULL)
		n++;
	return n;
}

void
conf_strv_free(char **v)
{
	size_t	 i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

static void
strv_push(char ***v, size_t *n, char *s)
{
	*v = xrealloc(*v, (*n + 2) * sizeof **v);
	(*v)[(*n)++] = s;
	(*v)[*n] = NULL;
}

/* A hash keeps a key once: the last value, at the first place (Ruby). */
static void
strv_put(char ***v, size_t *n, char *k, char *val)
{
	size_t	 i;

	for (i = 0; i < *n; i += 2) {
		if (strcmp((*v)[i], k) == 0) {
			free(k);
			free((*v)[i + 1]);
			(*v)[i + 1] = val;
			return;
		}
	}
	strv_push(v, n, k);
	strv_push(v, n, val);
}

static char **
strv_new(void)
{
	return xcalloc(1, sizeof(char *));
}

static char *
json_scalar(yajl_val v)
{
	if (YAJL_IS_STRING(v))
		return xstrdup(YAJL_GET_STRING(v));
	if (YAJL_IS_NUMBER(v))
		return xstrdup(YAJL_GET_NUMBER(v));
	if (YAJL_IS_TRUE(v))
		return xstrdup("true");
	if (YAJL_IS_FALSE(v))
		return xstrdup("false");
	return NULL;
}

static const char *
json_kind(yajl_val v)
{
	if (YAJL_IS_NULL(v))
		return "null";
	return YAJL_IS_ARRAY(v) ? "an array" : "a hash";
}

static char **
json_strv(const char *s, bool hash, struct err *e)
{
	const char	*what = hash ? "hash" : "array";
	char		 raw[512], msg[512], **v = strv_new(), *item;
	yajl_val	 root;
	size_t		 i, n = 0, len;

	if ((root = yajl_tree_parse(s, raw, sizeof raw)) == NULL) {
		free(v);
		json_message(raw, msg, sizeof msg);
		err_set(e, "invalid JSON %s: %s", what, msg);
		return NULL;
	}
	/* The caller saw '[' or '{', and yajl accepted the whole text. */
	len = hash ? root->u.object.len : root->u.array.len;
	for (i = 0; i < len; i++) {
		item = json_scalar(hash ? root->u.object.values[i] :
		    root->u.array.values[i]);
		if (item == NULL && hash) {
			err_set(e, "hash value of '%s' is %s; values must be "
			    "strings or numbers", root->u.object.keys[i],
			    json_kind(root->u.object.values[i]));
			goto fail;
		}
		if (item == NULL) {
			err_set(e, "array item %zu is %s; items must be "
			    "strings or numbers", i + 1,
			    json_kind(root->u.array.values[i]));
			goto fail;
		}
		if (hash)
			strv_put(&v, &n, xstrdup(root->u.object.keys[i]), item);
		else
			strv_push(&v, &n, item);
	}
	yajl_tree_free(root);
	return v;
fail:
	yajl_tree_free(root);
	conf_strv_free(v);
	return NULL;
}

static char *
trimmed(const char *s, size_t n)
{
	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return xstrndup(s, n);
}

/* Ruby's s.strip.split(/\s*,\s*\/): trailing empty items are dropped. */
static char **
comma_split(const char *s)
{
	char		**v = strv_new();
	const char	 *item;
	size_t		  n = 0, len, keep;

	for (item = s;; item += len + 1) {
		len = strcspn(item, ",");
		strv_push(&v, &n, trimmed(item, len));
		if (item[len] == '\0')
			break;
	}
	for (keep = n; keep > 0 && *v[keep - 1] == '\0'; keep--) {
		free(v[keep - 1]);
		v[keep - 1] = NULL;
	}
	return v;
}

char **
conf_parse_array(const char *s, struct err *e)
{
	if (*s == '[')
		return json_strv(s, false, e);
	return comma_split(s);
}

char **
conf_parse_hash(const char *s, struct err *e)
{
	char	**items, **v, *colon;
	size_t	  i, n = 0;

	if (*s == '{')
		return json_strv(s, true, e);
	items = comma_split(s);
	v = strv_new();
	for (i = 0; items[i] != NULL; i++) {
		if ((colon = strchr(items[i], ':')) == NULL) {
			err_set(e, "hash item '%s' has no ':' (expected "
			    "key1:value1,key2:value2 or a JSON hash)",
			    items[i]);
			conf_strv_free(items);
			conf_strv_free(v);
			return NULL;
		}
		strv_put(&v, &n, trimmed(items[i], (size_t)(colon - items[i])),
		    trimmed(colon + 1, strlen(colon + 1)));
	}
	conf_strv_free(items);
	return v;
}
