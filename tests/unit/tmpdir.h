/*
 * tmpdir.h — a scratch directory per test (as a Check fixture) and paths
 * inside it.
 */
#ifndef TMPDIR_H
#define TMPDIR_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char	 tmpdir[64];

static void
tmpdir_setup(void)
{
	strcpy(tmpdir, "/tmp/spire-shipper-unit.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
tmpdir_teardown(void)
{
	char	 cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

#endif
