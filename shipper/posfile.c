/*
 * posfile.c — positions in Fluentd's pos file format (see posfile.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "hash.h"
#include "hex.h"
#include "mem.h"
#include "posfile.h"
#include "strbuf.h"

#define FP_BYTES	512

uint64_t
fingerprint_bytes(const char *p, size_t n, bool complete)
{
	const char	*nl = memchr(p, '\n', n < FP_BYTES ? n : FP_BYTES);
	uint64_t	 h;
	size_t		 len;

	if (nl != NULL)
		len = (size_t)(nl - p) + 1;
	else if (n >= FP_BYTES || (complete && n > 0))
		len = n < FP_BYTES ? n : FP_BYTES;
	else
		return 0;
	h = fnv1a(p, len);
	return h ? h : 1;
}

uint64_t
file_fingerprint(int fd)
{
	char	 buf[FP_BYTES];
	ssize_t	 n = pread(fd, buf, sizeof buf, 0);

	if (n <= 0)
		return 0;
	return fingerprint_bytes(buf, (size_t)n, false);
}

static int
hex16(const char *s, size_t n, uint64_t *v)
{
	size_t	 i;

	*v = 0;
	if (n == 0 || n > 16)
		return -1;
	for (i = 0; i < n; i++) {
		int	 d = hex_digit(s[i]);

		if (d < 0)
			return -1;
		*v = (*v << 4) | (uint64_t)d;
	}
	return 0;
}

static size_t
hexrun(const char *s, size_t n)
{
	size_t	 i = 0;

	while (i < n && hex_digit(s[i]) >= 0)
		i++;
	return i;
}

int
posfile_parse_line(const char *line, size_t len, char **path,
    uint64_t *offset, uint64_t *inode)
{
	const char	*tab = memchr(line, '\t', len), *p;
	size_t		 n, rest;

	if (tab == NULL || tab == line)
		return -1;
	p = tab + 1;
	rest = len - (size_t)(p - line);
	if ((n = hexrun(p, rest)) == 0 || n > 16 || n == rest || p[n] != '\t' ||
	    hex16(p, n, offset) != 0)
		return -1;
	p += n + 1;
	rest -= n + 1;
	if ((n = hexrun(p, rest)) == 0 || n > 16 || hex16(p, n, inode) != 0)
		return -1;
	*path = xstrndup(line, (size_t)(tab - line));
	return 0;
}

static struct pos_entry *
entry_new(struct posfile *pf, char *path, uint64_t off, uint64_t ino)
{
	struct pos_entry	*pe = xcalloc(1, sizeof *pe);

	pe->path = path;
	pe->offset = off;
	pe->inode = ino;
	pf->v = xrealloc(pf->v, (pf->n + 1) * sizeof *pf->v);
	pf->v[pf->n++] = pe;
	strmap_set(&pf->by_path, pe->path, pe);
	return pe;
}

static void
entry_free(struct pos_entry *pe)
{
	free(pe->path);
	free(pe);
}

/* A line that does not read: counted, and the path it names, if any. */
static void
load_bad_line(struct posfile *pf, const char *line, size_t len)
{
	const char	*tab = memchr(line, '\t', len);
	char		*path;

	if (len == 0 || (len == 1 && line[0] == '\r'))
		return;
	if (pf->bad_lines++ == 0)
		pf->first_bad = pf->lineno;
	if (tab == NULL || tab == line || pf->follow_inodes ||
	    memchr(line, '\0', (size_t)(tab - line)) != NULL)
		return;
	path = xstrndup(line, (size_t)(tab - line));
	if (posfile_damaged(pf, path)) {
		free(path);
		return;
	}
	pf->damaged = xrealloc(pf->damaged, (pf->ndamaged + 1) *
	    sizeof *pf->damaged);
	pf->damaged[pf->ndamaged++] = path;
}

bool
posfile_damaged(const struct posfile *pf, const char *path)
{
	size_t	 i;

	for (i = 0; i < pf->ndamaged; i++)
		if (strcmp(pf->damaged[i], path) == 0)
			return true;
	return false;
}

/* A later line for the same key replaces an earlier one, as in Fluentd. */
static void
load_line(struct posfile *pf, const char *line, size_t len)
{
	struct pos_entry	*old;
	char			*path;
	uint64_t		 off, ino;

	pf->lineno++;
	if (posfile_parse_line(line, len, &path, &off, &ino) != 0) {
		load_bad_line(pf, line, len);
		return;
	}
	if (off == POS_UNWATCHED) {
		free(path);
		return;
	}
	if ((old = posfile_find(pf, path, ino)) != NULL) {
		char	*was = old->path;

		/* Found by inode, the old path may differ: its key goes too
		 * (the map keeps the entry's own string, not a copy). */
		strmap_del(&pf->by_path, was, old);
		old->path = path;
		strmap_set(&pf->by_path, path, old);
		free(was);
		old->offset = off;
		old->inode = ino;
		return;
	}
	entry_new(pf, path, off, ino);
}

static int
read_whole(const char *path, struct strbuf *sb, struct err *e)
{
	char	 buf[65536];
	ssize_t	 n;
	int	 fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1) {
		if (errno == ENOENT)
			return 0;
		return err_set(e, "cannot read pos file %s: %s", path,
		    strerror(errno));
	}
	while ((n = read(fd, buf, sizeof buf)) > 0)
		sb_add(sb, buf, (size_t)n);
	close(fd);
	if (n < 0)
		return err_set(e, "cannot read pos file %s: %s", path,
		    strerror(errno));
	return 0;
}

static void
load_lines(struct strbuf *sb, void (*fn)(struct posfile *, const char *,
    size_t), struct posfile *pf)
{
	const char	*p = sb->buf, *end, *nl;

	if (sb->len == 0)
		return;		/* an empty file has no buffer: NULL + 0 is UB */
	end = sb->buf + sb->len;
	while (p != NULL && p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		fn(pf, p, nl ? (size_t)(nl - p) : (size_t)(end - p));
		p = nl ? nl + 1 : NULL;
	}
}

static void
load_fingerprint(struct posfile *pf, const char *line, size_t len)
{
	char			*path;
	uint64_t		 ino, fp;
	struct pos_entry	*pe;

	/* Same shape as a pos line: path, fingerprint, inode. */
	if (posfile_parse_line(line, len, &path, &fp, &ino) != 0)
		return;
	if ((pe = posfile_find(pf, path, ino)) != NULL && pe->inode == ino)
		pe->fingerprint = fp;
	free(path);
}

static int
write_file(const char *path, const struct strbuf *sb, struct err *e)
{
	char	*tmp = xasprintf("%s.tmp", path);
	int	 fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int	 rc = -1;

	if (fd == -1) {
		err_set(e, "cannot write %s: %s (is its directory writable?)",
		    tmp, strerror(errno));
		goto out;
	}
	if ((sb->len > 0 && write(fd, sb->buf, sb->len) != (ssize_t)sb->len) ||
	    fdatasync(fd) != 0) {
		err_set(e, "cannot write %s: %s", tmp, strerror(errno));
		close(fd);
		goto out;
	}
	close(fd);
	if (rename(tmp, path) != 0) {
		err_set(e, "cannot replace %s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	return rc;
}

/* Rewrites the pos file with the live entries and records their slots. */
static int
compact(struct posfile *pf, struct err *e)
{
	struct strbuf	 sb = STRBUF_INIT;
	size_t		 i;
	int		 rc;

	for (i = 0; i < pf->n; i++) {
		pf->v[i]->slot = (off_t)sb.len + (off_t)strlen(pf->v[i]->path) + 1;
		sb_addf(&sb, "%s\t%016llx\t%016llx\n", pf->v[i]->path,
		    (unsigned long long)pf->v[i]->offset,
		    (unsigned long long)pf->v[i]->inode);
	}
	rc = write_file(pf->path, &sb, e);
	sb_free(&sb);
	return rc;
}

int
posfile_open(struct posfile *pf, const char *path, bool follow_inodes,
    struct err *e)
{
	struct strbuf	 sb = STRBUF_INIT;

	memset(pf, 0, sizeof *pf);
	pf->fd = -1;
	pf->path = xstrdup(path);
	pf->fp_path = xasprintf("%s.fingerprints", path);
	pf->follow_inodes = follow_inodes;
	if (mkdir_parents(path, 0755, e) != 0 || read_whole(path, &sb, e) != 0)
		goto fail;
	load_lines(&sb, load_line, pf);
	if (pf->bad_lines > 0) {
		pf->quarantine = xasprintf("%s.corrupt", path);
		if (write_file(pf->quarantine, &sb, e) != 0)
			goto fail;
	}
	sb_reset(&sb);
	if (read_whole(pf->fp_path, &sb, e) != 0)
		goto fail;
	load_lines(&sb, load_fingerprint, pf);
	if (compact(pf, e) != 0)
		goto fail;
	pf->fd = open(path, O_RDWR | O_CLOEXEC);
	if (pf->fd == -1) {
		err_set(e, "cannot open pos file %s: %s", path, strerror(errno));
		goto fail;
	}
	sb_free(&sb);
	return 0;
fail:
	sb_free(&sb);
	posfile_close(pf);
	return -1;
}

void
posfile_close(struct posfile *pf)
{
	size_t	 i;

	for (i = 0; i < pf->n; i++)
		entry_free(pf->v[i]);
	free(pf->v);
	strmap_free(&pf->by_path);
	for (i = 0; i < pf->ndamaged; i++)
		free(pf->damaged[i]);
	free(pf->damaged);
	free(pf->quarantine);
	if (pf->fd != -1)
		close(pf->fd);
	free(pf->path);
	free(pf->fp_path);
	memset(pf, 0, sizeof *pf);
	pf->fd = -1;
}

struct pos_entry *
posfile_find(struct posfile *pf, const char *path, uint64_t inode)
{
	size_t	 i;

	if (!pf->follow_inodes)
		return strmap_get(&pf->by_path, path);
	for (i = pf->n; i-- > 0;)
		if (pf->v[i]->inode == inode)
			return pf->v[i];
	return NULL;
}

size_t
posfile_count(const struct posfile *pf)
{
	return pf->n;
}

struct pos_entry *
posfile_entry(struct posfile *pf, size_t i)
{
	return i < pf->n ? pf->v[i] : NULL;
}

struct pos_entry *
posfile_add(struct posfile *pf, const char *path, uint64_t inode,
    uint64_t offset, struct err *e)
{
	struct pos_entry	*pe;
	char			*line;
	off_t			 end;
	size_t			 n;

	if (strchr(path, '\t') != NULL || strchr(path, '\n') != NULL) {
		err_set(e, "%s: a path with a tab or newline cannot go in the "
		    "pos file", path);
		return NULL;
	}
	if ((end = lseek(pf->fd, 0, SEEK_END)) == -1) {
		err_set(e, "pos file %s: %s", pf->path, strerror(errno));
		return NULL;
	}
	line = xasprintf("%s\t%016llx\t%016llx\n", path,
	    (unsigned long long)offset, (unsigned long long)inode);
	n = strlen(line);
	if (pwrite_full(pf->fd, line, n, end) != 0) {
		err_set(e, "cannot add %s to pos file %s: %s", path, pf->path,
		    strerror(errno));
		/* Half a line would run into the next one added. */
		if (ftruncate(pf->fd, end) != 0)
			err_set(e, "pos file %s: a line was half written and "
			    "cannot be cut off: %s", pf->path, strerror(errno));
		free(line);
		return NULL;
	}
	free(line);
	pe = entry_new(pf, xstrdup(path), offset, inode);
	pe->slot = end + (off_t)strlen(path) + 1;
	pe->watched = true;
	pf->writes++;
	return pe;
}

int
posfile_update(struct posfile *pf, struct pos_entry *pe, uint64_t inode,
    uint64_t offset, struct err *e)
{
	char	 buf[34];

	if (pe->offset == offset && pe->inode == inode)
		return 0;
	snprintf(buf, sizeof buf, "%016llx\t%016llx",
	    (unsigned long long)offset, (unsigned long long)inode);
	if (pwrite_full(pf->fd, buf, 33, pe->slot) != 0)
		return err_set(e, "cannot update pos file %s: %s", pf->path,
		    strerror(errno));
	if (pe->inode != inode)
		pe->fingerprint = 0;
	pe->offset = offset;
	pe->inode = inode;
	pf->writes++;
	return 0;
}

int
posfile_unwatch(struct posfile *pf, struct pos_entry *pe, struct err *e)
{
	pe->watched = false;
	return posfile_update(pf, pe, pe->inode, POS_UNWATCHED, e);
}

void
posfile_set_fingerprint(struct posfile *pf, struct pos_entry *pe, uint64_t fp)
{
	if (pe->fingerprint != fp) {
		pe->fingerprint = fp;
		pf->fp_dirty = true;
	}
}

int
posfile_sync(struct posfile *pf, struct err *e)
{
	struct strbuf	 sb = STRBUF_INIT;
	size_t		 i;
	int		 rc = 0;

	if (pf->fd != -1 && fdatasync(pf->fd) != 0)
		return err_set(e, "pos file %s: %s", pf->path, strerror(errno));
	if (!pf->fp_dirty)
		return 0;
	for (i = 0; i < pf->n; i++)
		if (pf->v[i]->fingerprint != 0 && pf->v[i]->offset !=
		    POS_UNWATCHED)
			sb_addf(&sb, "%s\t%016llx\t%016llx\n", pf->v[i]->path,
			    (unsigned long long)pf->v[i]->fingerprint,
			    (unsigned long long)pf->v[i]->inode);
	rc = write_file(pf->fp_path, &sb, e);
	sb_free(&sb);
	if (rc == 0)
		pf->fp_dirty = false;
	return rc;
}
