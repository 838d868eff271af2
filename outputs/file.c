/*
 * file.c — `@type file`: records appended to a file, NDJSON, optionally
 * gzip-compressed.
 *
 * The path is the file itself (Fluentd's time-sliced names need its
 * buffer chunk keys). Each time the file is opened a gzip output starts
 * a new gzip member, so appending across restarts still gives a valid
 * .gz; members are sync-flushed on every flush, so a crash loses no
 * flushed record.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "buffer_conf.h"
#include "encode.h"
#include "fsutil.h"
#include "mem.h"
#include "plugin.h"

enum { COMPRESS_TEXT, COMPRESS_GZIP };

struct file_cfg {
	char	*path;
	int	 compress;
	bool	 append;
	char	*file_permission;
	char	*dir_permission;
};

struct file_priv {
	struct format_cfg fmt;
	struct buffer_cfg buffer;
	bool		 has_buffer;
	const char	*file;
	int		 line;
	int		 fd;
	mode_t		 fmode;
	mode_t		 dmode;
	z_stream	 z;
	bool		 zopen;
	struct strbuf	 buf;
	struct strbuf	 zbuf;
};

static const char *const compress_names[] = { "text", "gzip", NULL };
static const char *const file_sections[] = { "format", "inject", "buffer",
	NULL };

#define F(field)	offsetof(struct file_cfg, field)
static const struct param_def file_params[] = {
	{ .name = "path", .type = PARAM_STRING, .flags = PARAM_REQUIRED,
	  .offset = F(path), .help = "file to append records to" },
	{ .name = "compress", .type = PARAM_ENUM, .def = "text",
	  .choices = compress_names, .offset = F(compress),
	  .help = "text, or gzip (a new gzip member per start)" },
	{ .name = "append", .type = PARAM_BOOL, .def = "true",
	  .offset = F(append), .help = "must be true: records are appended" },
	{ .name = "file_permission", .type = PARAM_STRING, .def = "0644",
	  .offset = F(file_permission), .help = "mode of a new file, octal" },
	{ .name = "dir_permission", .type = PARAM_STRING, .def = "0755",
	  .offset = F(dir_permission),
	  .help = "mode of directories created for it, octal" },
	PARAMS_END
};
#undef F

static int
parse_mode(const struct conf_elem *el, const char *name, const char *s,
    mode_t *m, struct err *e)
{
	const struct conf_param	*p = conf_param_get(el, name);
	char			*end;
	unsigned long		 v = strtoul(s, &end, 8);

	if (*s == '\0' || *end != '\0' || v > 07777)
		return err_at(e, p ? p->file : el->file, p ? p->line : el->line,
		    "%s '%s' is not an octal mode, e.g. 0644", name, s);
	*m = (mode_t)v;
	return 0;
}

static int
file_init(struct output *o, struct conf_elem *el, struct err *e)
{
	struct file_cfg		*cfg = o->cfg;
	struct file_priv	*fp = xcalloc(1, sizeof *fp);
	o->priv = fp;
	fp->fd = -1;
	fp->file = el->file;
	fp->line = el->line;
	if (strstr(cfg->path, "${") != NULL)
		return err_at(e, el->file, el->line, "<match> @type file path "
		    "'%s': placeholders are not supported; give the file's "
		    "path", cfg->path);
	if (!cfg->append)
		return err_at(e, el->file, el->line, "<match> @type file: "
		    "append false is not supported: records are always "
		    "appended to path");
	if (parse_mode(el, "file_permission", cfg->file_permission,
	    &fp->fmode, e) != 0 || parse_mode(el, "dir_permission",
	    cfg->dir_permission, &fp->dmode, e) != 0)
		return -1;
	if (format_init(&fp->fmt, el, e) != 0)
		return -1;
	return buffer_conf_load(&fp->buffer, el, &fp->has_buffer, e);
}

static int
file_open(struct output *o, struct err *e)
{
	struct file_cfg		*cfg = o->cfg;
	struct file_priv	*fp = o->priv;

	if (mkdir_parents(cfg->path, fp->dmode, e) != 0)
		return -1;
	fp->fd = open(cfg->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    fp->fmode);
	if (fp->fd == -1)
		return err_set(e, "cannot open %s: %s (check the path and its "
		    "permissions)", cfg->path, strerror(errno));
	if (cfg->compress == COMPRESS_GZIP) {
		memset(&fp->z, 0, sizeof fp->z);
		if (deflateInit2(&fp->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED,
		    15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
			return err_set(e, "%s: cannot start gzip stream",
			    cfg->path);
		fp->zopen = true;
	}
	return 0;
}

/* Runs deflate over in (may be empty) and writes what it produced. */
static int
gzip_put(struct output *o, const char *in, size_t n, int mode, struct err *e)
{
	struct file_priv	*fp = o->priv;
	int			 zrc;

	fp->z.next_in = (Bytef *)(uintptr_t)in;
	fp->z.avail_in = (uInt)n;
	do {
		sb_reserve(&fp->zbuf, 65536);
		fp->z.next_out = (Bytef *)fp->zbuf.buf;
		fp->z.avail_out = 65536;
		zrc = deflate(&fp->z, mode);
		if (zrc == Z_STREAM_ERROR)
			return err_set(e, "gzip stream error");
		if (write_all(fp->fd, fp->zbuf.buf, 65536 - fp->z.avail_out,
		    e) != 0)
			return -1;
	} while (fp->z.avail_out == 0 || fp->z.avail_in > 0);
	return 0;
}

static int
file_write(struct output *o, const struct batch *b, struct err *e)
{
	struct file_cfg		*cfg = o->cfg;
	struct file_priv	*fp = o->priv;
	int			 rc;

	if (fp->fd == -1 && file_open(o, e) != 0)
		return -1;
	sb_reset(&fp->buf);
	format_batch(&fp->fmt, &fp->buf, b);
	if (fp->zopen)
		rc = gzip_put(o, fp->buf.buf, fp->buf.len, Z_NO_FLUSH, e);
	else
		rc = write_all(fp->fd, fp->buf.buf, fp->buf.len, e);
	if (rc != 0)
		return err_wrap(e, "%s", cfg->path);
	o->bytes += fp->buf.len;
	return 0;
}

static int
file_flush(struct output *o, struct err *e)
{
	struct file_cfg		*cfg = o->cfg;
	struct file_priv	*fp = o->priv;

	if (fp->fd == -1)
		return 0;
	if (fp->zopen && gzip_put(o, NULL, 0, Z_SYNC_FLUSH, e) != 0)
		return err_wrap(e, "%s", cfg->path);
	if (fdatasync(fp->fd) != 0 && errno != EINVAL)
		return err_set(e, "%s: fdatasync: %s", cfg->path,
		    strerror(errno));
	return 0;
}

static void
file_destroy(struct output *o)
{
	struct file_priv	*fp = o->priv;
	struct err		 e;

	if (fp == NULL)
		return;
	if (fp->zopen) {
		if (fp->fd != -1)
			gzip_put(o, NULL, 0, Z_FINISH, &e);
		deflateEnd(&fp->z);
	}
	if (fp->fd != -1)
		close(fp->fd);
	format_free(&fp->fmt);
	buffer_conf_free(&fp->buffer);
	sb_free(&fp->buf);
	sb_free(&fp->zbuf);
	free(fp);
}

static void
file_check(const struct output *o, warn_fn warn, void *arg)
{
	const struct file_priv	*fp = o->priv;

	if (fp->has_buffer)
		warn(arg, fp->file, fp->line, "<buffer>: the file output "
		    "writes every batch as it is read, so flush_interval and "
		    "the other buffer parameters are checked but have no "
		    "effect");
}

const struct output_ops output_file = {
	.name = "file",
	.help = "append records to a file, one JSON object per line, "
	    "optionally gzip",
	.params = file_params,
	.sections = file_sections,
	.cfg_size = sizeof(struct file_cfg),
	.init = file_init,
	.write = file_write,
	.flush = file_flush,
	.destroy = file_destroy,
	.check = file_check,
};
