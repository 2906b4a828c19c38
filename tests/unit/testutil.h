/*
 * testutil.h: what the unit tests that make a temporary store share.
 */
#ifndef OUTPOST_TESTUTIL_H
#define OUTPOST_TESTUTIL_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

static int
testutil_rm_entry(const char *path, const struct stat *sb, int flag,
    struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Removes dir and everything under it: 0, or -1. */
static inline int
rm_tree(const char *dir)
{
	return nftw(dir, testutil_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Makes the temporary dir /tmp/outpost-test-NAME.XXXXXX in dir (64 bytes)
 * and names the ini file a test writes there, dir/t.ini, in ini (96
 * bytes): 0, or -1. */
static inline int
tmp_ini_dir(const char *name, char dir[64], char ini[96])
{
	snprintf(dir, 64, "/tmp/outpost-test-%s.XXXXXX", name);
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(ini, 96, "%s/t.ini", dir);
	return 0;
}

#endif /* OUTPOST_TESTUTIL_H */
