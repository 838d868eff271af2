/*
 * tail_rotate.c — finding a rotated file again among its siblings.
 *
 * After a restart the pos file names a path and an inode; the path may
 * now be a new file, and the one we were reading renamed beside it
 * (x.log.1, 0.log.20240501-080000) or already compressed (x.log.2.gz).
 * A sibling is the same file when it has the inode and the same first
 * line, or, once compressed, the same first line: an inode alone can be
 * reused. For a kubelet symlink the siblings sit beside its target.
 */
#include <dirent.h>
#include <stdbool.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem.h"
#include "posfile.h"
#include "reader.h"
#include "tail_file.h"

struct sibling_query {
	uint64_t	 ino;		/* wanted inode, 0: any other file */
	uint64_t	 fp;		/* wanted first line, 0: unchecked */
	uint64_t	 min_size;
	uint64_t	 live_ino;	/* the file now at the path: not it */
};

static uint64_t
gz_fingerprint(const char *path)
{
	struct reader	 rd;
	struct err	 e;
	char		 buf[512];
	size_t		 got = 0;
	ssize_t		 n;

	if (reader_open(&rd, path, &e) != 0)
		return 0;
	if (!rd.gz) {
		reader_close(&rd);
		return 0;
	}
	while (got < sizeof buf && (n = reader_read(&rd, buf + got,
	    sizeof buf - got, &e)) > 0)
		got += (size_t)n;
	reader_close(&rd);
	return got ? fingerprint_bytes(buf, got, got < sizeof buf) : 0;
}

/* 1 plain match, 2 compressed match, 0 none. */
static int
sibling_matches(const char *p, const struct sibling_query *q)
{
	struct stat	 st;
	uint64_t	 fp;
	int		 fd, gz;

	if (lstat(p, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_ino == q->live_ino)
		return 0;
	if ((fd = open(p, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	gz = reader_is_gzip(fd);
	fp = gz ? 0 : file_fingerprint(fd);
	close(fd);
	if (gz) {
		if (q->fp == 0 || gz_fingerprint(p) != q->fp)
			return 0;
		return 2;
	}
	if (q->ino != 0 && (uint64_t)st.st_ino != q->ino)
		return 0;
	if (q->fp != 0 && fp != q->fp)
		return 0;
	if (q->ino == 0 && q->fp == 0)
		return 0;
	return (uint64_t)st.st_size >= q->min_size ? 1 : 0;
}

/* Looks in dir for base.* ; plain matches win over compressed ones. */
static char *
search_dir(const char *dir, const char *base, const struct sibling_query *q,
    bool *gz)
{
	DIR		*d = opendir(dir);
	struct dirent	*de;
	size_t		 blen = strlen(base);
	char		*best = NULL, *p;
	int		 m, bestm = 0;

	if (d == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL && bestm != 1) {
		if (strncmp(de->d_name, base, blen) != 0 ||
		    de->d_name[blen] != '.')
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		if ((m = sibling_matches(p, q)) != 0 && (bestm == 0 || m == 1)) {
			free(best);
			best = p;
			bestm = m;
		} else
			free(p);
	}
	closedir(d);
	*gz = bestm == 2;
	return best;
}

static char *
split_search(const char *path, const struct sibling_query *q, bool *gz)
{
	char	*d = xstrdup(path), *b = xstrdup(path), *hit;

	hit = search_dir(dirname(d), basename(b), q, gz);
	free(d);
	free(b);
	return hit;
}

char *
tail_find_sibling(const char *path, uint64_t ino, uint64_t fp,
    uint64_t min_size, bool *gz)
{
	struct sibling_query	 q = { ino, fp, min_size, 0 };
	struct stat		 st;
	char			 target[PATH_MAX], *hit, *full;
	ssize_t			 n;

	if (stat(path, &st) == 0)
		q.live_ino = (uint64_t)st.st_ino;
	if ((hit = split_search(path, &q, gz)) != NULL)
		return hit;
	/* A kubelet symlink: the rotated files are beside its target. */
	n = readlink(path, target, sizeof target - 1);
	if (n <= 0)
		return NULL;
	target[n] = '\0';
	if (target[0] == '/')
		full = xstrdup(target);
	else {
		char	*d = xstrdup(path);

		full = xasprintf("%s/%s", dirname(d), target);
		free(d);
	}
	hit = split_search(full, &q, gz);
	free(full);
	return hit;
}

/* Is s (len n) a rotation suffix: digits, or a kubelet timestamp? */
static bool
rotation_suffix(const char *s, size_t n)
{
	size_t	 i, digits = 0;

	for (i = 0; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			digits++;
		else if (s[i] != '-')
			return false;
	}
	return digits > 0;
}

char *
rotated_base_name(const char *name)
{
	char	*b = xstrdup(name), *dot;
	size_t	 n = strlen(b);

	if (n > 3 && strcmp(b + n - 3, ".gz") == 0)
		b[n -= 3] = '\0';
	if ((dot = strrchr(b, '.')) != NULL && dot != b &&
	    rotation_suffix(dot + 1, strlen(dot + 1)))
		*dot = '\0';
	return b;
}

/*
 * Where a rotated name stands in its lineage: logrotate's x.log.N grows
 * older with N; a date (logrotate's dateext) or the kubelet's timestamp
 * grows newer, with the kubelet's `-N` for several rotations within one
 * second: 20240501-080000 < 20240501-080000-1 < 20240501-080001.
 * Larger ranks are newer.
 */
static bool
sibling_rank(const char *name, size_t blen, long double *rank)
{
	long double	 part[3] = { 0, 0, 0 };
	size_t		 ndigits[3] = { 0, 0, 0 }, g = 0;
	const char	*p = name + blen + 1;

	for (; *p != '\0' && *p != '.'; p++) {
		if (*p == '-' && ndigits[g] > 0 && g < 2)
			g++;
		else if (*p >= '0' && *p <= '9' && ndigits[g] < 18) {
			part[g] = part[g] * 10 + (*p - '0');
			ndigits[g]++;
		} else
			return false;
	}
	if (ndigits[0] == 0 || (*p != '\0' && strcmp(p, ".gz") != 0))
		return false;
	if (ndigits[0] < 8) {		/* x.log.N */
		*rank = -part[0];
		return g == 0;
	}
	*rank = (part[0] * 1e6L + part[1]) * 1e3L + part[2];
	return true;
}

bool
rotated_rank(const char *name, long double *rank)
{
	char	*base = rotated_base_name(name);
	size_t	 blen = strlen(base);
	bool	 known = true;

	if (blen == strlen(name))
		*rank = HUGE_VALL;	/* the live file: the newest */
	else
		known = sibling_rank(name, blen, rank);
	free(base);
	return known;
}

struct sibling {
	char		*path;
	long double	 rank;
};

static int
sibling_cmp(const void *a, const void *b)
{
	const struct sibling	*x = a, *y = b;

	return x->rank < y->rank ? -1 : x->rank > y->rank;
}

char **
tail_newer_siblings(const char *after, uint64_t live_ino)
{
	char		*d = xstrdup(after), *b = xstrdup(after), *base, *p;
	const char	*dir = dirname(d);
	struct sibling	*v = NULL;
	struct stat	 st;
	struct dirent	*de;
	long double	 ref, rank;
	size_t		 n = 0, i, blen;
	char		**out;
	DIR		*dh;

	base = rotated_base_name(basename(b));
	blen = strlen(base);
	if (!sibling_rank(basename(b), blen, &ref) ||
	    (dh = opendir(dir)) == NULL)
		goto done;
	while ((de = readdir(dh)) != NULL) {
		if (strncmp(de->d_name, base, blen) != 0 ||
		    de->d_name[blen] != '.' ||
		    !sibling_rank(de->d_name, blen, &rank) || rank <= ref)
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		if (stat(p, &st) != 0 || !S_ISREG(st.st_mode) ||
		    (uint64_t)st.st_ino == live_ino) {
			free(p);
			continue;
		}
		v = xrealloc(v, (n + 1) * sizeof *v);
		v[n].path = p;
		v[n++].rank = rank;
	}
	closedir(dh);
	if (n > 1)
		qsort(v, n, sizeof *v, sibling_cmp);
done:
	out = xcalloc(n + 1, sizeof *out);
	for (i = 0; i < n; i++)
		out[i] = v[i].path;
	free(v);
	free(d);
	free(b);
	free(base);
	return out;
}
