/*
 * test_posfile.c — positions in Fluentd's pos file format.
 *
 * A migration from Fluentd keeps its positions only if the bytes are
 * exactly Fluentd's (`path\t%016x\t%016x\n`, in_tail/position_file.rb),
 * and positions only stay cheap if they are rewritten in place. So the
 * tests read the file back byte for byte, check its size after updates,
 * and load files written the way Fluentd leaves them: unwatched entries,
 * duplicates, garbage, short or upper-case hex.
 */
#define _GNU_SOURCE		/* nftw */

#include <sys/stat.h>

#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mem.h"
#include "posfile.h"
#include "strbuf.h"

static char		 dir[64];
static char		 pos[PATH_MAX];
static char		 fps[PATH_MAX];
static struct posfile	 pf;
static struct err	 e;
static struct strbuf	 sb;

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void
setup(void)
{
	strcpy(dir, "/tmp/test_posfile.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(pos, sizeof pos, "%s/tail.pos", dir);
	snprintf(fps, sizeof fps, "%s/tail.pos.fingerprints", dir);
	memset(&pf, 0, sizeof pf);
	pf.fd = -1;
	memset(&sb, 0, sizeof sb);
}

static void
teardown(void)
{
	posfile_close(&pf);
	sb_free(&sb);
	nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void
put(const char *path, const char *text, size_t n)
{
	int	 fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, text, n), (ssize_t)n);
	close(fd);
}

#define PUT(path, s)	put((path), (s), sizeof(s) - 1)

/* The whole file, as a string ("" when it does not exist). */
static const char *
slurp(const char *path)
{
	char	 buf[4096];
	ssize_t	 n;
	int	 fd;

	sb_reset(&sb);
	if ((fd = open(path, O_RDONLY)) == -1)
		return sb_cstr(&sb);
	while ((n = read(fd, buf, sizeof buf)) > 0)
		sb_add(&sb, buf, (size_t)n);
	close(fd);
	return sb_cstr(&sb);
}

static off_t
size_of(const char *path)
{
	struct stat	 st;

	ck_assert_int_eq(stat(path, &st), 0);
	return st.st_size;
}

static void
open_ok(bool follow_inodes)
{
	posfile_close(&pf);
	if (posfile_open(&pf, pos, follow_inodes, &e) != 0)
		ck_abort_msg("posfile_open: %s", e.msg);
}

static struct pos_entry *
add(const char *path, uint64_t ino, uint64_t off)
{
	struct pos_entry	*pe = posfile_add(&pf, path, ino, off, &e);

	ck_assert_msg(pe != NULL, "posfile_add: %s", e.msg);
	return pe;
}

#define A	"/var/log/containers/spire-server-0_spire-system_spire-server-" \
	"fbff48fd.log"
#define B	"/var/log/containers/spire-agent-9thrl_spire-system_spire-agent-" \
	"3616a0b9.log"

/* --- the format ---------------------------------------------------------- */

START_TEST(test_new_file)
{
	open_ok(false);
	ck_assert_str_eq(slurp(pos), "");	/* created, empty */
	ck_assert_uint_eq(posfile_count(&pf), 0);
	ck_assert_ptr_null(posfile_entry(&pf, 0));
	add(A, 0xa3f2, 0x4c1b3e);
	ck_assert_str_eq(slurp(pos), A "\t00000000004c1b3e\t000000000000a3f2\n");
	add(B, 0xffffffffffffffULL, 0);
	ck_assert_str_eq(slurp(pos), A "\t00000000004c1b3e\t000000000000a3f2\n"
	    B "\t0000000000000000\t00ffffffffffffff\n");
	ck_assert_uint_eq(posfile_count(&pf), 2);
	ck_assert_uint_eq(pf.writes, 2);
}
END_TEST

START_TEST(test_update_in_place)
{
	struct pos_entry	*a, *b;
	off_t			 size;

	open_ok(false);
	a = add(A, 1, 0);
	b = add(B, 2, 0);
	size = size_of(pos);
	ck_assert_int_eq(posfile_update(&pf, b, 2, 0x1234, &e), 0);
	ck_assert_int_eq(posfile_update(&pf, a, 0x99, 0xfedcba9876543210ULL,
	    &e), 0);
	ck_assert_int_eq(size_of(pos), size);
	ck_assert_str_eq(slurp(pos), A "\tfedcba9876543210\t0000000000000099\n"
	    B "\t0000000000001234\t0000000000000002\n");
	ck_assert_uint_eq(a->offset, 0xfedcba9876543210ULL);
	ck_assert_uint_eq(a->inode, 0x99);
	ck_assert_uint_eq(pf.writes, 4);
	/* Nothing changed: nothing written. */
	ck_assert_int_eq(posfile_update(&pf, b, 2, 0x1234, &e), 0);
	ck_assert_uint_eq(pf.writes, 4);
	/* Positions are durable once synced. */
	ck_assert_int_eq(posfile_sync(&pf, &e), 0);
}
END_TEST

START_TEST(test_reload)
{
	struct pos_entry	*pe;

	open_ok(false);
	add(A, 11, 100);
	add(B, 22, 200);
	posfile_close(&pf);
	open_ok(false);
	ck_assert_uint_eq(posfile_count(&pf), 2);
	pe = posfile_find(&pf, A, 0);
	ck_assert_ptr_nonnull(pe);
	ck_assert_str_eq(pe->path, A);
	ck_assert_uint_eq(pe->offset, 100);
	ck_assert_uint_eq(pe->inode, 11);
	ck_assert(!pe->watched);	/* loaded, not watched yet */
	ck_assert_ptr_eq(posfile_entry(&pf, 1), posfile_find(&pf, B, 0));
	ck_assert_ptr_null(posfile_find(&pf, "/nope", 11));
	/* The slots of loaded entries are right: update the second. */
	ck_assert_int_eq(posfile_update(&pf, posfile_entry(&pf, 1), 22, 0xabc,
	    &e), 0);
	ck_assert_str_eq(slurp(pos), A "\t0000000000000064\t000000000000000b\n"
	    B "\t0000000000000abc\t0000000000000016\n");
	/* And an entry added after a reload goes at the end. */
	add("/c", 3, 3);
	ck_assert_str_eq(slurp(pos) + strlen(A) + strlen(B) + 70,
	    "/c\t0000000000000003\t0000000000000003\n");
}
END_TEST

START_TEST(test_unwatch)
{
	struct pos_entry	*a;

	open_ok(false);
	a = add(A, 5, 50);
	add(B, 6, 60);
	ck_assert(a->watched);
	ck_assert_int_eq(posfile_unwatch(&pf, a, &e), 0);
	ck_assert(!a->watched);
	/* Fluentd's mark, in place; the inode stays. */
	ck_assert_str_eq(slurp(pos), A "\tffffffffffffffff\t0000000000000005\n"
	    B "\t000000000000003c\t0000000000000006\n");
	/* Dropped when the file is loaded again. */
	open_ok(false);
	ck_assert_uint_eq(posfile_count(&pf), 1);
	ck_assert_ptr_null(posfile_find(&pf, A, 5));
	ck_assert_str_eq(slurp(pos), B "\t000000000000003c\t0000000000000006\n");
	ck_assert_uint_eq(posfile_find(&pf, B, 6)->slot, strlen(B) + 1);
}
END_TEST

/* A file as Fluentd may leave it: compacted on load, as Fluentd does. */
START_TEST(test_load_fluentd_file)
{
	PUT(pos,
	    "garbage line\n"
	    "\n"
	    "/a\t0000000000000001\t0000000000000001\n"
	    "/b\tzz\t0000000000000002\n"			/* not hex */
	    "\t0000000000000003\t0000000000000003\n"		/* no path */
	    "/c\t0000000000000004\n"				/* no inode */
	    "/d\tffffffffffffffff\t0000000000000005\n"		/* unwatched */
	    "/a\t0000000000000007\t0000000000000008\n"		/* again */
	    "/e\t1F\tAb\n"					/* short, upper */
	    "/f\t0000000000000009\t000000000000000a\textra\n"
	    "/g with spaces\t10\t11\r\n"
	    "/h\t0000000000000001");				/* no newline */
	open_ok(false);
	ck_assert_uint_eq(posfile_count(&pf), 4);
	/* The later line wins, at the earlier one's place. */
	ck_assert_uint_eq(posfile_find(&pf, "/a", 0)->offset, 7);
	ck_assert_uint_eq(posfile_find(&pf, "/a", 0)->inode, 8);
	ck_assert_uint_eq(posfile_find(&pf, "/e", 0)->offset, 0x1f);
	ck_assert_uint_eq(posfile_find(&pf, "/e", 0)->inode, 0xab);
	ck_assert_ptr_null(posfile_find(&pf, "/d", 5));
	ck_assert_ptr_null(posfile_find(&pf, "/h", 0));
	ck_assert_str_eq(slurp(pos),
	    "/a\t0000000000000007\t0000000000000008\n"
	    "/e\t000000000000001f\t00000000000000ab\n"
	    "/f\t0000000000000009\t000000000000000a\n"
	    "/g with spaces\t0000000000000010\t0000000000000011\n");
}
END_TEST

/*
 * Found by fuzz_posfile: an empty pos file (and .fingerprints) read into
 * an empty buffer, whose NULL start plus 0 is undefined behaviour; clang's
 * UBSan (the fuzz build) stops there, gcc's does not see it.
 */
START_TEST(test_load_empty_files)
{
	put(pos, "", 0);
	put(fps, "", 0);
	open_ok(false);
	ck_assert_uint_eq(posfile_count(&pf), 0);
	ck_assert_str_eq(slurp(pos), "");
	open_ok(true);
	ck_assert_uint_eq(posfile_count(&pf), 0);
}
END_TEST

/* Damaged lines are dropped but not silently: counted, the file kept as
 * it was, and the paths they still name remembered (their positions are
 * lost, so those files are read from their start). */
START_TEST(test_damaged_lines)
{
	static const char	 text[] =
	    "/a\t0000000000000001\t0000000000000001\n"
	    "/b\t00000000\x01\x02zz\t0000000000000002\n"	/* flipped */
	    "\x00\x00\x00\x00\n"				/* zeros */
	    "\n"						/* not damage */
	    "/c\t0000000000000004\t0000000000000004\n"
	    "/d\t00000000000";				/* torn write */
	char			 q[PATH_MAX + 16];

	put(pos, text, sizeof text - 1);
	open_ok(false);
	ck_assert_uint_eq(posfile_count(&pf), 2);
	ck_assert_uint_eq(pf.bad_lines, 3);
	ck_assert_uint_eq(pf.first_bad, 2);
	ck_assert(posfile_damaged(&pf, "/b"));
	ck_assert(posfile_damaged(&pf, "/d"));
	ck_assert(!posfile_damaged(&pf, "/a"));
	ck_assert(!posfile_damaged(&pf, "/c"));
	snprintf(q, sizeof q, "%s.corrupt", pos);
	ck_assert_str_eq(pf.quarantine, q);
	ck_assert_uint_eq(size_of(q), sizeof text - 1);
	ck_assert_str_eq(slurp(pos),
	    "/a\t0000000000000001\t0000000000000001\n"
	    "/c\t0000000000000004\t0000000000000004\n");
	/* Loaded again, the compacted file is whole. */
	open_ok(false);
	ck_assert_uint_eq(pf.bad_lines, 0);
	ck_assert_ptr_null(pf.quarantine);
}
END_TEST

/* An unwatched line after a live one does not undo it (as in Fluentd). */
START_TEST(test_unwatched_after_live)
{
	PUT(pos, "/a\t0000000000000010\t0000000000000001\n"
	    "/a\tffffffffffffffff\t0000000000000001\n");
	open_ok(false);
	ck_assert_uint_eq(posfile_count(&pf), 1);
	ck_assert_uint_eq(posfile_find(&pf, "/a", 0)->offset, 16);
}
END_TEST

/* With follow_inodes the inode is the key, not the path. */
START_TEST(test_follow_inodes)
{
	struct pos_entry	*pe;

	PUT(pos, "/old\t0000000000000010\t0000000000000007\n"
	    "/new\t0000000000000020\t0000000000000007\n"
	    "/new\t0000000000000030\t0000000000000009\n");
	open_ok(true);
	ck_assert_uint_eq(posfile_count(&pf), 2);
	pe = posfile_find(&pf, "/anything", 7);
	ck_assert_ptr_nonnull(pe);
	ck_assert_str_eq(pe->path, "/new");	/* renamed: the last path */
	ck_assert_uint_eq(pe->offset, 0x20);
	ck_assert_uint_eq(posfile_find(&pf, "/new", 9)->offset, 0x30);
	ck_assert_ptr_null(posfile_find(&pf, "/new", 8));
	posfile_close(&pf);
	/* Without it, the same file has two paths and the later /new. */
	PUT(pos, "/old\t0000000000000010\t0000000000000007\n"
	    "/new\t0000000000000020\t0000000000000007\n"
	    "/new\t0000000000000030\t0000000000000009\n");
	open_ok(false);
	ck_assert_uint_eq(posfile_count(&pf), 2);
	ck_assert_uint_eq(posfile_find(&pf, "/new", 7)->offset, 0x30);
	ck_assert_uint_eq(posfile_find(&pf, "/old", 9)->inode, 7);
}
END_TEST

/* A file found by inode under a new path, then a new file at its old path:
 * the old path's key must be gone from the map, not left pointing at the
 * freed string (a use after free found by fuzz_posfile; AddressSanitizer
 * sees it in make check's sanitizer build, the plain build cannot). */
START_TEST(test_follow_inodes_old_path_reused)
{
	PUT(pos, "/old\t0000000000000010\t0000000000000007\n"
	    "/new\t0000000000000020\t0000000000000007\n"
	    "/old\t0000000000000030\t0000000000000009\n");
	open_ok(true);
	ck_assert_uint_eq(posfile_count(&pf), 2);
	ck_assert_str_eq(posfile_find(&pf, "/x", 7)->path, "/new");
	ck_assert_str_eq(posfile_find(&pf, "/x", 9)->path, "/old");
	ck_assert_uint_eq(posfile_find(&pf, "/x", 9)->offset, 0x30);
	add("/old", 11, 0x40);	/* a third file there: one more key */
	ck_assert_uint_eq(posfile_count(&pf), 3);
}
END_TEST

/* --- one line ----------------------------------------------------------- */

static int
parse(const char *s, char **path, uint64_t *off, uint64_t *ino)
{
	size_t	 n = strlen(s);
	char	*copy = xmalloc(n ? n : 1);	/* exactly its bytes */
	int	 rc;

	memcpy(copy, s, n);
	*path = NULL;
	rc = posfile_parse_line(copy, n, path, off, ino);
	free(copy);
	return rc;
}

static void
parse_ok(const char *s, const char *path, uint64_t off, uint64_t ino)
{
	char		*p;
	uint64_t	 o, i;

	ck_assert_msg(parse(s, &p, &o, &i) == 0, "rejected: %s", s);
	ck_assert_str_eq(p, path);
	ck_assert_uint_eq(o, off);
	ck_assert_uint_eq(i, ino);
	free(p);
}

static void
parse_bad(const char *s)
{
	char		*p;
	uint64_t	 o, i;

	ck_assert_msg(parse(s, &p, &o, &i) == -1, "accepted: %s", s);
	ck_assert_ptr_null(p);
}

START_TEST(test_parse_line)
{
	parse_ok("/a\t0000000000000001\t0000000000000002", "/a", 1, 2);
	parse_ok("/a\t00000000000000FF\t00000000000000aB", "/a", 255, 171);
	parse_ok("/a\t1\t2", "/a", 1, 2);			/* short hex */
	parse_ok("/a\tffffffffffffffff\tffffffffffffffff", "/a",
	    0xffffffffffffffffULL, 0xffffffffffffffffULL);
	/* Anything after the inode's hex is ignored, as Fluentd's regexp. */
	parse_ok("/a\t1\t2\textra\tcolumns", "/a", 1, 2);
	parse_ok("/a\t1\t2xyz", "/a", 1, 2);
	parse_ok("/a\t1\t2\r", "/a", 1, 2);
	parse_ok("/a\t1\t2 3", "/a", 1, 2);
	/* A tab ends the path: "a\tb\t1\t2" is path a, offset b, inode 1. */
	parse_ok("a\tb\t1\t2", "a", 0xb, 1);
	parse_ok("/with space/and:colon\t1\t2", "/with space/and:colon", 1, 2);
	parse_ok("\xc3\xa9\t1\t2", "\xc3\xa9", 1, 2);
}
END_TEST

START_TEST(test_parse_line_bad)
{
	parse_bad("");
	parse_bad("no tabs at all");
	parse_bad("\t1\t2");			/* an empty path */
	parse_bad("/a\t\t2");			/* an empty offset */
	parse_bad("/a\t1\t");			/* an empty inode */
	parse_bad("/a\t1");
	parse_bad("/a\t1\tzz");
	parse_bad("/a\tzz\t1");
	parse_bad("/a\t1x\t2");			/* junk in the offset */
	parse_bad("/a\t 1\t2");
	parse_bad("/a\t-1\t2");
	parse_bad("a\tx\t1\t2");		/* path a, offset x: no */
	/* More than 16 digits do not fit (Fluentd would take a bignum). */
	parse_bad("/a\t00000000000000001\t2");
	parse_bad("/a\t1\t00000000000000002");
}
END_TEST

/* Only len bytes are looked at: the line need not end in a NUL. */
START_TEST(test_parse_line_len)
{
	char		*p;
	uint64_t	 o, i;

	ck_assert_int_eq(posfile_parse_line("/a\t12\t34\n/b\t5\t6", 8, &p, &o,
	    &i), 0);
	ck_assert_str_eq(p, "/a");
	ck_assert_uint_eq(o, 0x12);
	ck_assert_uint_eq(i, 0x34);
	free(p);
	ck_assert_int_eq(posfile_parse_line("/a\t12\t34", 6, &p, &o, &i), -1);
	ck_assert_int_eq(posfile_parse_line("/a\t12\t34", 7, &p, &o, &i), 0);
	ck_assert_uint_eq(i, 3);
	free(p);
}
END_TEST

/* --- errors ---------------------------------------------------------------- */

START_TEST(test_add_bad_path)
{
	open_ok(false);
	ck_assert_ptr_null(posfile_add(&pf, "/a\tb", 1, 1, &e));
	ck_assert_str_eq(e.msg, "/a\tb: a path with a tab or newline cannot go "
	    "in the pos file");
	ck_assert_ptr_null(posfile_add(&pf, "/a\nb", 1, 1, &e));
	ck_assert_str_eq(e.msg, "/a\nb: a path with a tab or newline cannot go "
	    "in the pos file");
	ck_assert_uint_eq(posfile_count(&pf), 0);
	ck_assert_str_eq(slurp(pos), "");
}
END_TEST

START_TEST(test_open_errors)
{
	char	 p[PATH_MAX + 64], want[2 * PATH_MAX];

	/* Missing directories are made, as Fluentd does. */
	snprintf(p, sizeof p, "%s/missing/deeper/tail.pos", dir);
	ck_assert_int_eq(posfile_open(&pf, p, false, &e), 0);
	posfile_close(&pf);
	/* A file where a directory must go cannot be. */
	snprintf(p, sizeof p, "%s/afile", dir);
	close(open(p, O_CREAT | O_WRONLY, 0644));
	snprintf(p, sizeof p, "%s/afile/sub/tail.pos", dir);
	ck_assert_int_eq(posfile_open(&pf, p, false, &e), -1);
	snprintf(want, sizeof want, "cannot create directory %s/afile/sub: "
	    "Not a directory", dir);
	ck_assert_str_eq(e.msg, want);
	ck_assert_int_eq(pf.fd, -1);
	ck_assert_ptr_null(pf.path);

	snprintf(p, sizeof p, "%s/adir", dir);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	ck_assert_int_eq(posfile_open(&pf, p, false, &e), -1);
	snprintf(want, sizeof want, "cannot read pos file %s: Is a directory",
	    p);
	ck_assert_str_eq(e.msg, want);
	posfile_close(&pf);		/* harmless after a failure */
}
END_TEST

/* --- fingerprints ----------------------------------------------------------- */

START_TEST(test_fingerprint_sidecar)
{
	struct pos_entry	*a, *b, *c;

	open_ok(false);
	a = add(A, 10, 1);
	b = add(B, 20, 2);
	c = add("/c", 30, 3);
	posfile_set_fingerprint(&pf, a, 0x1111);
	posfile_set_fingerprint(&pf, b, 0xfedcba9876543210ULL);
	ck_assert(pf.fp_dirty);
	ck_assert_int_eq(posfile_sync(&pf, &e), 0);
	ck_assert(!pf.fp_dirty);
	/* Same shape as the pos file: path, fingerprint, inode. */
	ck_assert_str_eq(slurp(fps), A "\t0000000000001111\t000000000000000a\n"
	    B "\tfedcba9876543210\t0000000000000014\n");
	/* Unchanged: no rewrite. */
	unlink(fps);
	posfile_set_fingerprint(&pf, a, 0x1111);
	ck_assert(!pf.fp_dirty);
	ck_assert_int_eq(posfile_sync(&pf, &e), 0);
	ck_assert_str_eq(slurp(fps), "");
	/* An unwatched entry's fingerprint is not kept. */
	posfile_set_fingerprint(&pf, c, 0x3333);
	ck_assert_int_eq(posfile_unwatch(&pf, b, &e), 0);
	ck_assert_int_eq(posfile_sync(&pf, &e), 0);
	ck_assert_str_eq(slurp(fps), A "\t0000000000001111\t000000000000000a\n"
	    "/c\t0000000000003333\t000000000000001e\n");

	open_ok(false);
	ck_assert_uint_eq(posfile_find(&pf, A, 0)->fingerprint, 0x1111);
	ck_assert_uint_eq(posfile_find(&pf, "/c", 0)->fingerprint, 0x3333);
	ck_assert_ptr_null(posfile_find(&pf, B, 0));
}
END_TEST

/* A fingerprint is only believed for the inode it was taken of. */
START_TEST(test_fingerprint_inode)
{
	struct pos_entry	*a;

	open_ok(false);
	a = add(A, 10, 1);
	posfile_set_fingerprint(&pf, a, 0xaa);
	ck_assert_int_eq(posfile_sync(&pf, &e), 0);
	posfile_close(&pf);
	/* The pos file moved on to another inode since. */
	PUT(pos, A "\t0000000000000001\t000000000000000b\n");
	open_ok(false);
	ck_assert_uint_eq(posfile_find(&pf, A, 0)->fingerprint, 0);
	/* An inode change through update forgets it as well. */
	posfile_set_fingerprint(&pf, posfile_entry(&pf, 0), 0xbb);
	ck_assert_int_eq(posfile_update(&pf, posfile_entry(&pf, 0), 0xb, 5,
	    &e), 0);
	ck_assert_uint_eq(posfile_entry(&pf, 0)->fingerprint, 0xbb);
	ck_assert_int_eq(posfile_update(&pf, posfile_entry(&pf, 0), 0xc, 5,
	    &e), 0);
	ck_assert_uint_eq(posfile_entry(&pf, 0)->fingerprint, 0);
	/* Garbage in the sidecar is skipped. */
	posfile_close(&pf);
	PUT(fps, "junk\n" A "\tnothex\t000000000000000c\n");
	open_ok(false);
	ck_assert_uint_eq(posfile_entry(&pf, 0)->fingerprint, 0);
}
END_TEST

START_TEST(test_fingerprint_bytes)
{
	char	 buf[600];

	/* The first line, newline included, by this hash (pinned: _ids). */
	ck_assert_uint_eq(fingerprint_bytes("first line\nsecond", 17, false),
	    0x23fcd45608a90049ULL);
	ck_assert_uint_eq(fingerprint_bytes("first line\nother", 16, true),
	    0x23fcd45608a90049ULL);
	/* No whole first line yet: nothing to recognise the file by. */
	ck_assert_uint_eq(fingerprint_bytes("first line", 10, false), 0);
	ck_assert_uint_eq(fingerprint_bytes("", 0, false), 0);
	ck_assert_uint_eq(fingerprint_bytes("", 0, true), 0);
	/* Unless the file is complete. */
	ck_assert_uint_eq(fingerprint_bytes("abc", 3, true),
	    0xe71fa2190541574bULL);
	/* At most 512 bytes count. */
	memset(buf, 'x', sizeof buf);
	ck_assert_uint_eq(fingerprint_bytes(buf, 600, false),
	    0x2e7a2c6d33cacb25ULL);
	ck_assert_uint_eq(fingerprint_bytes(buf, 512, false),
	    0x2e7a2c6d33cacb25ULL);
	ck_assert_uint_eq(fingerprint_bytes(buf, 511, false), 0);
	buf[511] = '\n';
	ck_assert_uint_ne(fingerprint_bytes(buf, 600, false),
	    0x2e7a2c6d33cacb25ULL);
	buf[511] = 'x';
	buf[512] = '\n';	/* past the window: not seen */
	ck_assert_uint_eq(fingerprint_bytes(buf, 600, false),
	    0x2e7a2c6d33cacb25ULL);
	ck_assert_uint_ne(fingerprint_bytes("a\n", 2, false),
	    fingerprint_bytes("b\n", 2, false));
}
END_TEST

START_TEST(test_file_fingerprint)
{
	char	 p[PATH_MAX + 16], buf[700];
	int	 fd;

	snprintf(p, sizeof p, "%s/log", dir);
	PUT(p, "first line\nsecond");
	fd = open(p, O_RDONLY);
	ck_assert_uint_eq(file_fingerprint(fd), 0x23fcd45608a90049ULL);
	/* It reads from the start, wherever the descriptor is. */
	lseek(fd, 5, SEEK_SET);
	ck_assert_uint_eq(file_fingerprint(fd), 0x23fcd45608a90049ULL);
	close(fd);
	PUT(p, "no newline yet");
	fd = open(p, O_RDONLY);
	ck_assert_uint_eq(file_fingerprint(fd), 0);
	close(fd);
	PUT(p, "");
	fd = open(p, O_RDONLY);
	ck_assert_uint_eq(file_fingerprint(fd), 0);
	close(fd);
	memset(buf, 'x', sizeof buf);
	put(p, buf, sizeof buf);
	fd = open(p, O_RDONLY);
	ck_assert_uint_eq(file_fingerprint(fd), 0x2e7a2c6d33cacb25ULL);
	close(fd);
	ck_assert_uint_eq(file_fingerprint(-1), 0);
}
END_TEST

static Suite *
test_suite(void)
{
	Suite	*s = suite_create("posfile");
	TCase	*tf = tcase_create("file");
	TCase	*tl = tcase_create("line");
	TCase	*tp = tcase_create("fingerprint");

	tcase_add_checked_fixture(tf, setup, teardown);
	tcase_add_test(tf, test_new_file);
	tcase_add_test(tf, test_update_in_place);
	tcase_add_test(tf, test_reload);
	tcase_add_test(tf, test_damaged_lines);
	tcase_add_test(tf, test_unwatch);
	tcase_add_test(tf, test_load_fluentd_file);
	tcase_add_test(tf, test_load_empty_files);
	tcase_add_test(tf, test_unwatched_after_live);
	tcase_add_test(tf, test_follow_inodes);
	tcase_add_test(tf, test_follow_inodes_old_path_reused);
	tcase_add_test(tf, test_add_bad_path);
	tcase_add_test(tf, test_open_errors);
	suite_add_tcase(s, tf);

	tcase_add_test(tl, test_parse_line);
	tcase_add_test(tl, test_parse_line_bad);
	tcase_add_test(tl, test_parse_line_len);
	suite_add_tcase(s, tl);

	tcase_add_checked_fixture(tp, setup, teardown);
	tcase_add_test(tp, test_fingerprint_sidecar);
	tcase_add_test(tp, test_fingerprint_inode);
	tcase_add_test(tp, test_fingerprint_bytes);
	tcase_add_test(tp, test_file_fingerprint);
	suite_add_tcase(s, tp);
	return s;
}

#include "check_main.h"
