/*
 * fsutil.c — small filesystem helpers (see fsutil.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "mem.h"

int
mkdir_parents(const char *path, mode_t mode, struct err *e)
{
	char	*p = xstrdup(path), *s;
	int	 rc = 0;

	for (s = p + 1; *s != '\0' && rc == 0; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) != 0 && errno != EEXIST)
			rc = err_set(e, "cannot create directory %s: %s", p,
			    strerror(errno));
		*s = '/';
	}
	free(p);
	return rc;
}

int
file_slurp(const char *path, size_t max, struct strbuf *out, struct err *e)
{
	int	 fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t	 n;
	size_t	 start = out->len;

	if (fd == -1)
		return err_set(e, "cannot open %s: %s", path, strerror(errno));
	do {
		sb_reserve(out, 65536);
		n = read(fd, out->buf + out->len, out->cap - out->len - 1);
		if (n > 0)
			out->len += (size_t)n;
	} while ((n > 0 || (n < 0 && errno == EINTR)) &&
	    out->len - start <= max);
	close(fd);
	if (n < 0)
		return err_set(e, "cannot read %s: %s", path, strerror(errno));
	if (out->len - start > max)
		return err_set(e, "%s is larger than %zu bytes", path, max);
	sb_cstr(out);
	return 0;
}

unsigned long long
fd_limit(void)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return 0;
	return (unsigned long long)rl.rlim_cur;
}

unsigned long long
fd_limit_raise(void)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	return fd_limit();
}

int
pwrite_full(int fd, const void *p, size_t n, off_t off)
{
	const char	*c = p;
	ssize_t		 w;

	while (n > 0) {
		if ((w = pwrite(fd, c, n, off)) < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = ENOSPC;
			return -1;
		}
		c += w;
		n -= (size_t)w;
		off += w;
	}
	return 0;
}
