/*
 * test_manpage.c: doc/gateway.ini.5 against the key table, so that the
 * manual cannot drift from the code: every key of the table is documented
 * under its section with its default, and the page documents no key the
 * table does not have.
 *
 * The page lists a key as ".It Cm KEY No = Ar DEFAULT" (an empty default
 * as "Ar \"\"") under ".Ss [SECTION]". Run from the repository root (make
 * unit does).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "log.h"

#define MANPAGE		"doc/gateway.ini.5"
#define MAX_ENTRIES	256

struct man_entry {
	char	section[64];
	char	key[64];
	char	def[256];
	int	line;
	int	seen;		/* matched by a table key */
};

static struct man_entry	entries[MAX_ENTRIES];
static size_t		nentries;

/* Reads the page's key entries. Returns 0, or -1 (printed) if it cannot
 * be read or an entry is malformed. */
static int
man_parse(const char *path)
{
	struct man_entry *e;
	FILE *fp;
	char line[1024], section[64] = "", key[64], def[256], *p;
	int n = 0, rc = 0;

	if ((fp = fopen(path, "r")) == NULL) {
		print_error("%s: cannot open\n", path);
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		n++;
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, ".Ss [", 5) == 0) {
			if ((p = strchr(line + 5, ']')) == NULL ||
			    (size_t)(p - (line + 5)) >= sizeof(section)) {
				print_error("%s:%d: bad section line\n", path, n);
				rc = -1;
				break;
			}
			snprintf(section, sizeof(section), "%.*s",
			    (int)(p - (line + 5)), line + 5);
			continue;
		}
		if (strncmp(line, ".It Cm ", 7) != 0 || section[0] == '\0')
			continue;
		if (nentries == MAX_ENTRIES) {
			print_error("%s: more than %d keys\n", path,
			    MAX_ENTRIES);
			rc = -1;
			break;
		}
		e = &entries[nentries++];
		if (sscanf(line, ".It Cm %63s No = Ar %255[^\n]", key, def) !=
		    2) {
			print_error("%s:%d: not \".It Cm KEY No = Ar DEFAULT\": "
			    "%s\n", path, n, line);
			rc = -1;
			break;
		}
		snprintf(e->section, sizeof(e->section), "%s", section);
		snprintf(e->key, sizeof(e->key), "%s", key);
		snprintf(e->def, sizeof(e->def), "%s",
		    strcmp(def, "\"\"") == 0 ? "" : def);
		e->line = n;
	}
	fclose(fp);
	return rc;
}

static struct man_entry *
man_find(const char *section, const char *key)
{
	size_t i;

	for (i = 0; i < nentries; i++)
		if (strcmp(entries[i].section, section) == 0 &&
		    strcmp(entries[i].key, key) == 0)
			return &entries[i];
	return NULL;
}

static int
group_setup(void **state)
{
	(void)state;
	return man_parse(MANPAGE);
}

static void
test_page_has_entries(void **state)
{
	(void)state;
	assert_true(nentries > 10);
}

/* Every key of the table is documented, with its default. */
static void
test_every_key_documented(void **state)
{
	const struct config_key *k;
	struct man_entry *e;
	size_t n, i;
	int missing = 0;

	(void)state;
	k = config_keys(&n);
	for (i = 0; i < n; i++) {
		if ((e = man_find(k[i].section, k[i].key)) == NULL) {
			print_error("%s: [%s] %s is not documented\n", MANPAGE,
			    k[i].section, k[i].key);
			missing++;
			continue;
		}
		e->seen = 1;
		if (strcmp(e->def, k[i].def) != 0) {
			print_error("%s:%d: [%s] %s: the default is \"%s\", "
			    "the page says \"%s\"\n", MANPAGE, e->line,
			    k[i].section, k[i].key, k[i].def, e->def);
			missing++;
		}
	}
	assert_int_equal(missing, 0);
}

/* The page documents no key that the table does not have. */
static void
test_no_stale_key(void **state)
{
	const struct config_key *k;
	size_t n, i, j;
	int stale = 0;

	(void)state;
	k = config_keys(&n);
	for (i = 0; i < nentries; i++) {
		for (j = 0; j < n; j++)
			if (strcmp(entries[i].section, k[j].section) == 0 &&
			    strcmp(entries[i].key, k[j].key) == 0)
				break;
		if (j == n) {
			print_error("%s:%d: [%s] %s is not a key\n", MANPAGE,
			    entries[i].line, entries[i].section,
			    entries[i].key);
			stale++;
		}
	}
	assert_int_equal(stale, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_page_has_entries),
		cmocka_unit_test(test_every_key_documented),
		cmocka_unit_test(test_no_stale_key),
	};

	log_init("test_manpage", LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
