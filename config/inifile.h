/*
 * inifile.h: an ini file read through a table of keys, the one reader of
 * gateway.ini (config/config.c) and node.ini (node/nconf.c).
 *
 * The table is the caller's: an array of structs whose first two members
 * are const char *section and const char *key (each user checks that with
 * a static assertion). Every line is read whole, so a line too long for
 * inih or one holding a NUL byte is an error at its own line; an unknown
 * section or key, a key set twice, or a value the caller's set() refuses
 * fails the parse with the first error, which names the line.
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
	int		 err_line;	/* line of the first error, 0: none */
	char		 err[320];
	FILE		*fp;
	char		*buf;
	size_t		 bufsize;
	int		 read_error;	/* errno of a failed read */
};

/* Reads path into p->cfg through p->set. Returns 0, or -1 with
 * "path:line: what" in err. */
int	inifile_parse(struct inifile *p, const char *path, char *err,
	    size_t errlen);

/* Records an error at p->line (the first one wins). */
void	inifile_fail(struct inifile *p, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* An error a validator recorded, as "path:line: what" (or "path: what"
 * when it has no line) in err: -1; none: 0. */
int	inifile_report(const struct inifile *p, const char *path, char *err,
	    size_t errlen);

/* Entry i of the table, and its names. */
const void	*inifile_key(const struct inifile *p, size_t i);

#endif /* OUTPOST_INIFILE_H */
