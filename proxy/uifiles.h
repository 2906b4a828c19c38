/*
 * uifiles.h: the console's files, built into the binary by
 * scripts/embed.sh (the Makefile's $(B)/uifiles.c): ui/ and Debian's
 * Chart.js, taken from its installed path at build time.
 */
#ifndef OUTPOST_UIFILES_H
#define OUTPOST_UIFILES_H

#include <stddef.h>

struct ui_file {
	const char		*name;		/* "index.html" */
	const unsigned char	*data;
	size_t			 len;
};

extern const struct ui_file	ui_files[];
extern const unsigned long	ui_nfiles;

#endif /* OUTPOST_UIFILES_H */
