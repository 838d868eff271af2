/*
 * test_reader.c — shipper/reader: plain and gzip files read alike,
 * concatenated gzip members, damaged archives reported (not crashed on),
 * and skipping to an offset inside compressed content.
 */
#include <check.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "reader.h"
#include "tmpdir.h"

static char *
path_of(const char *name)
{
	static char	 p[128];

	snprintf(p, sizeof p, "%s/%s", tmpdir, name);
	return p;
}

static void
write_file(const char *name, const void *data, size_t n)
{
	FILE	*f = fopen(path_of(name), "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, n, f), n);
	fclose(f);
}

/* Appends data to name as one gzip member. */
static void
gzip_member(const char *name, const char *data)
{
	gzFile	 g = gzopen(path_of(name), "ab");

	ck_assert_ptr_nonnull(g);
	ck_assert_int_eq(gzwrite(g, data, (unsigned)strlen(data)),
	    (int)strlen(data));
	gzclose(g);
}

/* Reads the whole file in chunks of n bytes. */
static char *
read_all(const char *name, size_t n, int *rc)
{
	static char	 out[1 << 20];
	struct reader	 rd;
	struct err	 e;
	char		 buf[4096];
	size_t		 len = 0;
	ssize_t		 r;

	*rc = reader_open(&rd, path_of(name), &e);
	ck_assert_int_eq(*rc, 0);
	while ((r = reader_read(&rd, buf, n, &e)) > 0) {
		memcpy(out + len, buf, (size_t)r);
		len += (size_t)r;
	}
	*rc = r < 0 ? -1 : 0;
	out[len] = '\0';
	reader_close(&rd);
	return out;
}

START_TEST(test_plain)
{
	int	 rc;

	write_file("a.log", "one\ntwo\n", 8);
	ck_assert_str_eq(read_all("a.log", 3, &rc), "one\ntwo\n");
	ck_assert_int_eq(rc, 0);
}
END_TEST

START_TEST(test_gzip_by_content)
{
	int	 rc;

	/* Named .log but compressed: the magic bytes decide. */
	gzip_member("b.log", "hello\nworld\n");
	ck_assert_str_eq(read_all("b.log", 5, &rc), "hello\nworld\n");
	ck_assert_int_eq(rc, 0);
}
END_TEST

START_TEST(test_gzip_members)
{
	int	 rc;

	gzip_member("c.gz", "first\n");
	gzip_member("c.gz", "second\n");
	gzip_member("c.gz", "third\n");
	ck_assert_str_eq(read_all("c.gz", 4096, &rc), "first\nsecond\nthird\n");
	ck_assert_int_eq(rc, 0);
}
END_TEST

START_TEST(test_gzip_truncated)
{
	struct reader	 rd;
	struct err	 e;
	char		 big[200000], buf[65536];
	FILE		*f;
	size_t		 i, n;
	ssize_t		 r;
	uint32_t	 x = 2463534242u;

	for (i = 0; i < sizeof big - 1; i++) {	/* xorshift: not compressible */
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		big[i] = (char)('a' + x % 26);
	}
	big[sizeof big - 1] = '\0';
	gzip_member("d.gz", big);
	f = fopen(path_of("d.gz"), "rb");
	n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	ck_assert_uint_gt(n, 1000);
	write_file("d.gz", buf, n / 2);
	ck_assert_int_eq(reader_open(&rd, path_of("d.gz"), &e), 0);
	while ((r = reader_read(&rd, buf, sizeof buf, &e)) > 0)
		;
	ck_assert_int_eq(r, -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "gzip data ends early"));
	ck_assert_ptr_nonnull(strstr(e.msg, "d.gz"));
	reader_close(&rd);
}
END_TEST

START_TEST(test_gzip_corrupt)
{
	struct reader	 rd;
	struct err	 e;
	unsigned char	 junk[64] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };
	char		 buf[256];
	ssize_t		 r;

	memset(junk + 10, 0xff, sizeof junk - 10);
	write_file("e.gz", junk, sizeof junk);
	ck_assert_int_eq(reader_open(&rd, path_of("e.gz"), &e), 0);
	r = reader_read(&rd, buf, sizeof buf, &e);
	ck_assert_int_eq(r, -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "corrupt gzip data"));
	reader_close(&rd);
}
END_TEST

START_TEST(test_skip)
{
	struct reader	 rd;
	struct err	 e;
	char		 buf[64];
	ssize_t		 r;

	gzip_member("f.gz", "0123456789abcdef");
	ck_assert_int_eq(reader_open(&rd, path_of("f.gz"), &e), 0);
	ck_assert_int_eq(reader_skip(&rd, 10, &e), 0);
	r = reader_read(&rd, buf, sizeof buf, &e);
	ck_assert_int_eq(r, 6);
	ck_assert_int_eq(memcmp(buf, "abcdef", 6), 0);
	ck_assert_uint_eq(rd.offset, 16);
	reader_close(&rd);
	ck_assert_int_eq(reader_open(&rd, path_of("f.gz"), &e), 0);
	ck_assert_int_eq(reader_skip(&rd, 17, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "ends before offset 17"));
	reader_close(&rd);
	write_file("g.log", "0123456789", 10);
	ck_assert_int_eq(reader_open(&rd, path_of("g.log"), &e), 0);
	ck_assert_int_eq(reader_skip(&rd, 4, &e), 0);
	ck_assert_int_eq(reader_read(&rd, buf, sizeof buf, &e), 6);
	ck_assert_int_eq(memcmp(buf, "456789", 6), 0);
	reader_close(&rd);
}
END_TEST

START_TEST(test_missing)
{
	struct reader	 rd;
	struct err	 e;

	ck_assert_int_eq(reader_open(&rd, path_of("nope"), &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "cannot open"));
	ck_assert_ptr_nonnull(strstr(e.msg, "No such file"));
}
END_TEST

static Suite *
test_suite(void)
{
	Suite	*s = suite_create("reader");
	TCase	*tc = tcase_create("reader");

	tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
	tcase_add_test(tc, test_plain);
	tcase_add_test(tc, test_gzip_by_content);
	tcase_add_test(tc, test_gzip_members);
	tcase_add_test(tc, test_gzip_truncated);
	tcase_add_test(tc, test_gzip_corrupt);
	tcase_add_test(tc, test_skip);
	tcase_add_test(tc, test_missing);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
