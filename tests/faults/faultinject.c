/*
 * faultinject.c — an LD_PRELOAD shim that injects the faults a node's
 * disk and clock can throw at the shipper, switched on and off while it
 * runs by the presence of flag files (so a test needs no signals):
 *
 *   FAULT_ENOSPC_DIR, FAULT_ENOSPC_FLAG: while FLAG exists, every write
 *     to a file under DIR fails with ENOSPC (write, pwrite, writev,
 *     pwritev, fallocate): a full filesystem, as root sees it too
 *     (root's reserved blocks make a real one hard to fill). With
 *     FAULT_ENOSPC_PARTIAL=1 a write of more than 64 bytes first writes
 *     half of them, as the last free blocks of a disk allow: the caller
 *     must undo what a failed append left.
 *   FAULT_CLOCK_FLAG, FAULT_CLOCK_STEP: while FLAG exists, the wall
 *     clock (CLOCK_REALTIME and its coarse form, time, gettimeofday) is
 *     STEP seconds off (negative: a step backwards, as NTP makes one).
 *
 * Built without sanitizers; an ASan shipper needs
 * ASAN_OPTIONS=verify_asan_link_order=0 to accept it.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static int	(*real_clock_gettime)(clockid_t, struct timespec *);

static const char *
env(const char *name)
{
	const char	*v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

/* --- ENOSPC ---------------------------------------------------------------- */

/* Is fd a file under FAULT_ENOSPC_DIR while FAULT_ENOSPC_FLAG exists? */
static int
disk_full(int fd)
{
	const char	*dir = env("FAULT_ENOSPC_DIR");
	const char	*flag = env("FAULT_ENOSPC_FLAG");
	char		 link[64], path[4096];
	ssize_t		 n;
	size_t		 dlen;

	if (dir == NULL || flag == NULL || access(flag, F_OK) != 0)
		return 0;
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	if ((n = readlink(link, path, sizeof path - 1)) <= 0)
		return 0;
	path[n] = '\0';
	dlen = strlen(dir);
	return strncmp(path, dir, dlen) == 0 &&
	    (path[dlen] == '/' || path[dlen] == '\0');
}

#define REAL(type, name, ...)						\
	static type (*real)(__VA_ARGS__);				\
	if (real == NULL)						\
		real = (type (*)(__VA_ARGS__))dlsym(RTLD_NEXT, name)

#define FULL(fd)							\
	do {								\
		int	 saved = errno;					\
		if (disk_full(fd)) {					\
			errno = ENOSPC;					\
			return -1;					\
		}							\
		errno = saved;						\
	} while (0)

/* Half of a large write still fits: the rest will not. */
static size_t
partial(size_t n)
{
	const char	*p = env("FAULT_ENOSPC_PARTIAL");

	return p != NULL && atoi(p) == 1 && n > 64 ? n / 2 : 0;
}

#define FULL_OR_PART(fd, n, call)					\
	do {								\
		int	 saved = errno;					\
		if (disk_full(fd)) {					\
			size_t	 half = partial(n);			\
			if (half == 0) {				\
				errno = ENOSPC;				\
				return -1;				\
			}						\
			n = half;					\
		}							\
		errno = saved;						\
		return call;						\
	} while (0)

ssize_t
write(int fd, const void *buf, size_t n)
{
	REAL(ssize_t, "write", int, const void *, size_t);
	FULL_OR_PART(fd, n, real(fd, buf, n));
}

ssize_t
pwrite(int fd, const void *buf, size_t n, off_t off)
{
	REAL(ssize_t, "pwrite", int, const void *, size_t, off_t);
	FULL_OR_PART(fd, n, real(fd, buf, n, off));
}

ssize_t
pwrite64(int fd, const void *buf, size_t n, off_t off)
{
	REAL(ssize_t, "pwrite64", int, const void *, size_t, off_t);
	FULL_OR_PART(fd, n, real(fd, buf, n, off));
}

ssize_t
writev(int fd, const struct iovec *iov, int cnt)
{
	REAL(ssize_t, "writev", int, const struct iovec *, int);
	FULL(fd);
	return real(fd, iov, cnt);
}

ssize_t
pwritev(int fd, const struct iovec *iov, int cnt, off_t off)
{
	REAL(ssize_t, "pwritev", int, const struct iovec *, int, off_t);
	FULL(fd);
	return real(fd, iov, cnt, off);
}

int
fallocate(int fd, int mode, off_t off, off_t len)
{
	REAL(int, "fallocate", int, int, off_t, off_t);
	FULL(fd);
	return real(fd, mode, off, len);
}

int
posix_fallocate(int fd, off_t off, off_t len)
{
	REAL(int, "posix_fallocate", int, off_t, off_t);
	if (disk_full(fd))
		return ENOSPC;
	return real(fd, off, len);
}

/* --- the wall clock --------------------------------------------------------- */

/* The step in seconds while the flag exists, looked at every 100 ms. */
static time_t
clock_step(void)
{
	static struct timespec	 checked;
	static time_t		 step;
	const char		*flag = env("FAULT_CLOCK_FLAG");
	const char		*s = env("FAULT_CLOCK_STEP");
	struct timespec		 now;

	if (flag == NULL || s == NULL)
		return 0;
	real_clock_gettime(CLOCK_MONOTONIC, &now);
	if ((now.tv_sec - checked.tv_sec) * 1000000000L +
	    (now.tv_nsec - checked.tv_nsec) >= 100000000L) {
		checked = now;
		step = access(flag, F_OK) == 0 ? (time_t)atol(s) : 0;
	}
	return step;
}

int
clock_gettime(clockid_t id, struct timespec *ts)
{
	int	 rc;

	if (real_clock_gettime == NULL)
		real_clock_gettime = (int (*)(clockid_t, struct timespec *))
		    dlsym(RTLD_NEXT, "clock_gettime");
	rc = real_clock_gettime(id, ts);
	if (rc == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE))
		ts->tv_sec += clock_step();
	return rc;
}

int
gettimeofday(struct timeval *tv, void *tz)
{
	struct timespec	 ts;

	(void)tz;
	clock_gettime(CLOCK_REALTIME, &ts);
	tv->tv_sec = ts.tv_sec;
	tv->tv_usec = ts.tv_nsec / 1000;
	return 0;
}

time_t
time(time_t *t)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (t != NULL)
		*t = ts.tv_sec;
	return ts.tv_sec;
}
