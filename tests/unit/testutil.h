/*
 * testutil.h: what the unit tests that make a temporary store share.
 */
#ifndef OUTPOST_TESTUTIL_H
#define OUTPOST_TESTUTIL_H

#include <ftw.h>
#include <stdio.h>

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

#endif /* OUTPOST_TESTUTIL_H */
