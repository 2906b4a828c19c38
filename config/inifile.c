/*
 * inifile.c: the key-table reader of gateway.ini and node.ini (inih does
 * the syntax; this file the lines, the table and the errors).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "config/inifile.h"

const void *
inifile_key(const struct inifile *p, size_t i)
{
	return (const char *)p->keys + i * p->stride;
}

static const struct inifile_name *
inifile_name(const struct inifile *p, size_t i)
{
	return inifile_key(p, i);
}

void
inifile_fail(struct inifile *p, const char *fmt, ...)
{
	struct inifile_error *e;
	va_list ap;

	if (p->nerrors++ >= INIFILE_ERRORS_MAX)
		return;		/* counted, said as "N more" */
	e = &p->errors[p->nerrors - 1];
	e->line = p->line;
	va_start(ap, fmt);
	vsnprintf(e->what, sizeof(e->what), fmt, ap);
	va_end(ap);
}

/* Whether line (its text, one line) is neither blank, a comment, a
 * "[section]", nor "key = value" (inih's "key: value" too). */
static int
inifile_syntax_error(const char *line)
{
	const char *b = line + strspn(line, " \t\r\n");

	if (*b == '\0' || *b == ';' || *b == '#')
		return 0;
	if (*b == '[')
		return strchr(b, ']') == NULL;
	return strpbrk(b, "=:") == NULL;
}

/* Whether the table has keys in section name[0..len). */
static int
inifile_known_section(const struct inifile *p, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < p->nkeys; i++)
		if (strlen(inifile_name(p, i)->section) == len &&
		    memcmp(inifile_name(p, i)->section, name, len) == 0)
			return 1;
	return 0;
}

/*
 * inih's line reader. Reads whole lines itself so that nothing in the file
 * can hide from the parser: a line longer than inih's buffer, or one with a
 * NUL byte, is an error at its own line rather than text inih would split
 * or cut. Counts lines, and checks "[section]" lines itself so that an
 * unknown section is reported at its own line even when it is empty.
 */
static char *
inifile_reader(char *str, int num, void *stream)
{
	struct inifile *p = stream;
	ssize_t n;
	char *b, *e;

	if ((n = getline(&p->buf, &p->bufsize, p->fp)) == -1) {
		if (ferror(p->fp))
			p->read_error = errno;
		return NULL;
	}
	p->line++;
	if ((size_t)n != strlen(p->buf)) {
		inifile_fail(p, "NUL byte in the line");
		p->buf[0] = '\0';
	} else if (n >= num) {
		inifile_fail(p, "line longer than %d bytes", num - 1);
		p->buf[0] = '\0';
	}
	memcpy(str, p->buf, strlen(p->buf) + 1);
	explicit_bzero(p->buf, strlen(p->buf));
	if (inifile_syntax_error(p->line == 1 &&
	    strncmp(str, "\xef\xbb\xbf", 3) == 0 ? str + 3 : str)) {
		inifile_fail(p, "syntax error (expected [section] or key = "
		    "value)");
		str[0] = '\0';		/* said here; inih need not */
	}
	for (b = str; *b == ' ' || *b == '\t'; b++)
		;
	if (*b == '[' && (e = strchr(b, ']')) != NULL) {
		for (b++; *b == ' ' || *b == '\t'; b++)
			;
		while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (!inifile_known_section(p, b, (size_t)(e - b)))
			inifile_fail(p, "unknown section [%.*s]", (int)(e - b),
			    b);
	}
	return str;
}

/* inih callback: looks the key up in the table and applies it. */
static int
inifile_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct inifile *p = user;
	char err[256];
	size_t i;

	for (i = 0; i < p->nkeys; i++) {
		if (strcmp(inifile_name(p, i)->section, section) != 0 ||
		    strcmp(inifile_name(p, i)->key, name) != 0)
			continue;
		if (p->seen[i]) {
			inifile_fail(p, "[%s] %s: set more than once (first "
			    "on line %d)", section, name, p->seen[i]);
			return 0;
		}
		p->seen[i] = p->line;
		if (p->set(p->cfg, inifile_key(p, i), value, err,
		    sizeof(err)) == -1) {
			inifile_fail(p, "[%s] %s: %s", section, name, err);
			return 0;
		}
		return 1;
	}
	if (!inifile_known_section(p, section, strlen(section))) {
		if (section[0] == '\0')	/* else said at its [line] */
			inifile_fail(p, "unknown section []: '%s' is outside "
			    "any [section]", name);
	} else
		inifile_fail(p, "[%s] unknown key '%s'", section, name);
	return 0;
}

int
inifile_report(const struct inifile *p, const char *path, char *err,
    size_t errlen)
{
	int kept = p->nerrors < INIFILE_ERRORS_MAX ? p->nerrors :
	    INIFILE_ERRORS_MAX, done[INIFILE_ERRORS_MAX] = { 0 }, i, j, n;
	size_t used = 0;

	if (p->nerrors == 0)
		return 0;
	err[0] = '\0';
	for (n = 0; n < kept; n++) {
		/* The earliest line not said yet (a validator's error may
		 * come after the parse's, about an earlier line). */
		for (j = -1, i = 0; i < kept; i++)
			if (!done[i] && (j == -1 ||
			    p->errors[i].line < p->errors[j].line))
				j = i;
		done[j] = 1;
		if (used >= errlen)
			break;
		if (p->errors[j].line > 0)
			used += (size_t)snprintf(err + used, errlen - used,
			    "%s%s:%d: %s", n > 0 ? "\n" : "", path,
			    p->errors[j].line, p->errors[j].what);
		else
			used += (size_t)snprintf(err + used, errlen - used,
			    "%s%s: %s", n > 0 ? "\n" : "", path,
			    p->errors[j].what);
	}
	if (p->nerrors > kept && used < errlen)
		snprintf(err + used, errlen - used, "\n%s: %d more errors",
		    path, p->nerrors - kept);
	return -1;
}

int
inifile_parse(struct inifile *p, const char *path, char *err, size_t errlen)
{
	int rc;

	if ((p->fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	setvbuf(p->fp, p->iobuf, _IOFBF, sizeof(p->iobuf));
	rc = ini_parse_stream(inifile_reader, p, inifile_handler, p);
	fclose(p->fp);
	p->fp = NULL;
	explicit_bzero(p->iobuf, sizeof(p->iobuf));
	if (p->buf != NULL)	/* it held the file's lines: tokens too */
		explicit_bzero(p->buf, p->bufsize);
	free(p->buf);
	p->buf = NULL;
	if (p->read_error != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(p->read_error));
		return -1;
	}
	if (rc > 0 && p->nerrors == 0) {
		snprintf(err, errlen, "%s:%d: syntax error (expected [section] "
		    "or key = value)", path, rc);
		return -1;
	}
	if (inifile_report(p, path, err, errlen) == -1)
		return -1;
	if (rc != 0) {
		snprintf(err, errlen, "%s: cannot be read", path);
		return -1;
	}
	return 0;
}
