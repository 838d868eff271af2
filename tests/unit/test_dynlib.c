/*
 * test_dynlib.c — a library opened at run time (shipper/dynlib.h): what
 * the user is told when it or one of its functions is missing, and that
 * a second open costs nothing. zlib stands in: every build has it.
 */
#include <check.h>
#include <string.h>
#include <zlib.h>

#include "dynlib.h"

static const char *const zlib_names[] = { "zlibVersion", "crc32" };

START_TEST(opens_once)
{
	void		*syms[2] = { NULL, NULL };
	struct err	 e;

	ck_assert_int_eq(dynlib_open("libz.so.1", "zlib1g", zlib_names, syms,
	    2, &e), 0);
	ck_assert_ptr_nonnull(syms[0]);
	ck_assert_str_eq(((const char *(*)(void))syms[0])(), zlibVersion());
	syms[0] = NULL;		/* the last one marks it open: not redone */
	ck_assert_int_eq(dynlib_open("libz.so.1", "zlib1g", zlib_names, syms,
	    2, &e), 0);
	ck_assert_ptr_null(syms[0]);
}
END_TEST

START_TEST(missing_library)
{
	void		*syms[2] = { NULL, NULL };
	struct err	 e;

	ck_assert_int_eq(dynlib_open("libspire-none.so.9", "libnone1",
	    zlib_names, syms, 2, &e), -1);
	ck_assert_msg(strncmp(e.msg, "cannot load libspire-none.so.9: ",
	    32) == 0, "%s", e.msg);
	ck_assert_msg(strstr(e.msg, " (install libnone1)") != NULL, "%s",
	    e.msg);
}
END_TEST

START_TEST(missing_function)
{
	static const char *const names[] = { "zlibVersion", "zlib_nothing" };
	void		*syms[2] = { NULL, NULL };
	struct err	 e;

	ck_assert_int_eq(dynlib_open("libz.so.1", "zlib1g", names, syms, 2,
	    &e), -1);
	ck_assert_str_eq(e.msg, "libz.so.1 has no zlib_nothing: it is too "
	    "old (install a newer zlib1g)");
	ck_assert_ptr_null(syms[0]);	/* none, so the next open retries */
}
END_TEST

static Suite *
test_suite(void)
{
	Suite	*s = suite_create("dynlib");
	TCase	*tc = tcase_create("dynlib");

	tcase_add_test(tc, opens_once);
	tcase_add_test(tc, missing_library);
	tcase_add_test(tc, missing_function);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
