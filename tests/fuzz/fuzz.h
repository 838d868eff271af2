/*
 * fuzz.h — what the libFuzzer targets share.
 *
 * A target is one LLVMFuzzerTestOneInput calling the real project
 * functions. Beyond "no crash, no sanitizer report", each asserts what
 * it can of the function's contract; FUZZ_ASSERT aborts, which libFuzzer
 * reports as a crash and saves the input that caused it.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yajl/yajl_parse.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(c) do {						\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: invariant broken: %s\n",	\
		    __FILE__, __LINE__, #c);				\
		abort();						\
	}								\
} while (0)

/* Is [p, p+n) inside [base, base+len)? */
static inline int
fuzz_within(const void *p, size_t n, const void *base, size_t len)
{
	const char	*c = p, *b = base;

	return c >= b && n <= len && (size_t)(c - b) <= len - n;
}

/* Is s one JSON value? utf8: yajl checks its strings' UTF-8 too. */
static inline int
fuzz_is_json(const char *s, size_t len, int utf8)
{
	yajl_handle	 h = yajl_alloc(NULL, NULL, NULL);
	int		 ok;

	yajl_config(h, yajl_dont_validate_strings, !utf8);
	ok = yajl_parse(h, (const unsigned char *)s, len) == yajl_status_ok &&
	    yajl_complete_parse(h) == yajl_status_ok;
	yajl_free(h);
	return ok;
}

/* A NUL-terminated copy of the input (cut at a NUL it holds). */
static inline char *
fuzz_cstr(const uint8_t *data, size_t size)
{
	char	*s = malloc(size + 1);

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* The input split at its first NUL: a head (e.g. a format) and a body. */
static inline int
fuzz_split(const uint8_t *data, size_t size, const char **head,
    const char **body, size_t *bodylen)
{
	const uint8_t	*nul = memchr(data, '\0', size);

	if (nul == NULL)
		return -1;
	*head = (const char *)data;
	*body = (const char *)nul + 1;
	*bodylen = size - (size_t)(nul - data) - 1;
	return 0;
}

/*
 * A scratch directory for the targets that need files, made at the first
 * call and removed at exit; on tmpfs when there is one, since they write
 * (and sync) a file per input.
 */
static char	 fuzz_dir[64];

static inline void
fuzz_rmdir(void)
{
	char	 cmd[96];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", fuzz_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", fuzz_dir);
}

static inline const char *
fuzz_tmpdir(void)
{
	if (fuzz_dir[0] != '\0')
		return fuzz_dir;
	strcpy(fuzz_dir, access("/dev/shm", W_OK) == 0 ?
	    "/dev/shm/spire-fuzz.XXXXXX" : "/tmp/spire-fuzz.XXXXXX");
	if (mkdtemp(fuzz_dir) == NULL) {
		perror("mkdtemp");
		abort();
	}
	atexit(fuzz_rmdir);
	return fuzz_dir;
}

/* Writes the n bytes at p to path (created or truncated); aborts on error. */
static inline void
fuzz_write_file(const char *path, const void *p, size_t n)
{
	FILE	*f = fopen(path, "wb");

	if (f == NULL || (n > 0 && fwrite(p, 1, n, f) != n) || fclose(f) != 0) {
		perror(path);
		abort();
	}
}

#endif
