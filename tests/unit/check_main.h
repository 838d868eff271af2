/*
 * check_main.h — the main() every unit test shares.
 *
 * A test file defines `static Suite *test_suite(void)` and includes this
 * last. Under `make check` CK_TAP_LOG_FILE_NAME=- makes Check write TAP,
 * so each test case counts on its own.
 */
#ifndef CHECK_MAIN_H
#define CHECK_MAIN_H

#include <check.h>
#include <stdlib.h>

static Suite *test_suite(void);

int
main(void)
{
	SRunner	*sr = srunner_create(test_suite());
	int	 failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
