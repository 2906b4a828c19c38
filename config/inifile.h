/*
 * inifile.h: an ini file read through a table of keys, the one reader of
 * gateway.ini (config/config.c) and node.ini (node/nconf.c).
 *
 * The table is the caller's: an array of structs whose first two members
 * are const char *section and const char *key (each user checks that with
 * a static assertion). Every line is read whole, so a line too long for
 * inih or one holding a NUL byte is an error at its own line; an unknown
 * section or key, a key set twice, a line that is no "[section]" nor
 * "key = value", or a value the caller's set() refuses fails the parse.
 * Every error is reported, as a compiler does, in line order, one line
 * each: "path:line: what" (up to INIFILE_ERRORS_MAX, then how many more).
 */
#ifndef OUTPOST_INIFILE_H
#define OUTPOST_INIFILE_H

#include <stddef.h>
#include <stdio.h>

/* What each key table entry starts with. */
struct inifile_name {
	const char	*section;
	const char	*key;
};

#define INIFILE_ERRORS_MAX	16

struct inifile_error {
	int		 line;		/* 0: of the file as a whole */
	char		 what[300];
};

struct inifile {
	/* Set by the caller. */
	const void	*keys;		/* the table */
	size_t		 nkeys, stride;	/* entries, sizeof one */
	int		*seen;		/* nkeys zeroes: the line of each key */
	void		*cfg;		/* passed to set() */
	int		(*set)(void *cfg, const void *key, const char *value,
			    char *err, size_t errlen);

	/* The parse. Validators after it may set line and call
	 * inifile_fail to put an error at a key's line. */
	int		 line;
	struct inifile_error errors[INIFILE_ERRORS_MAX];
	int		 nerrors;	/* may be above the max: counted */
	FILE		*fp;
	char		 iobuf[4096];	/* fp's buffer, wiped after: the
					   file holds tokens */
	char		*buf;
	size_t		 bufsize;
	int		 read_error;	/* errno of a failed read */
};

/* Reads path into p->cfg through p->set. Returns 0, or -1 with
 * "path:line: what" in err. */
int	inifile_parse(struct inifile *p, const char *path, char *err,
	    size_t errlen);

/* Records an error at p->line. */
void	inifile_fail(struct inifile *p, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* The errors recorded, in line order, each "path:line: what" (or
 * "path: what" when it has no line) on a line of err: -1; none: 0. */
int	inifile_report(const struct inifile *p, const char *path, char *err,
	    size_t errlen);

/* Entry i of the table, and its names. */
const void	*inifile_key(const struct inifile *p, size_t i);

#endif /* OUTPOST_INIFILE_H */
