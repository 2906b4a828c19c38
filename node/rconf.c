/*
 * rconf.c: see rconf.h. The schema is the key table of nconf.c; every value
 * is checked by nconf_set, so /config and node.ini accept the same things.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "node/rconf.h"

#define RCONF_NAME_SHOW	32	/* bytes of a bad name quoted in err */
#define RCONF_FILE_MAX	(64 * 1024)

/* Copies a name from the peer for an error message: printable ASCII only,
 * cut at RCONF_NAME_SHOW bytes. */
static const char *
rconf_show(const char *name, char *buf, size_t len)
{
	size_t i;

	for (i = 0; name[i] != '\0' && i < RCONF_NAME_SHOW && i + 4 < len;
	    i++)
		buf[i] = (name[i] >= 0x20 && name[i] < 0x7f) ? name[i] : '?';
	if (name[i] != '\0' && i + 4 <= len) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

/* Whether the table has a runtime key in section. */
static int
rconf_runtime_section(const char *section)
{
	const struct nconf_key *keys;
	size_t n, i;

	keys = nconf_keys(&n);
	for (i = 0; i < n; i++)
		if ((keys[i].flags & NCONF_RUNTIME) &&
		    strcmp(keys[i].section, section) == 0)
			return 1;
	return 0;
}

/* Whether an object has two members of the same name. */
static const char *
rconf_duplicate(const cJSON *obj)
{
	const cJSON *a, *b;

	for (a = obj->child; a != NULL; a = a->next)
		for (b = a->next; b != NULL; b = b->next)
			if (strcmp(a->string, b->string) == 0)
				return a->string;
	return NULL;
}

/* Applies one JSON value to key k of cfg. Returns 0 or -1 with err. */
static int
rconf_value(struct node_config *cfg, const struct nconf_key *k,
    const cJSON *v, char *err, size_t errlen)
{
	char text[64], why[256];
	double d;

	switch (k->type) {
	case NCONF_INT:
	case NCONF_DOUBLE:
		if (!cJSON_IsNumber(v)) {
			snprintf(err, errlen, "%s.%s: expected a number",
			    k->section, k->key);
			return -1;
		}
		d = v->valuedouble;
		if (!isfinite(d) || (k->type == NCONF_INT &&
		    (d > 9007199254740992.0 || d < -9007199254740992.0 ||
		    d != (double)(long long)d))) {
			snprintf(err, errlen, "%s.%s: expected a whole number",
			    k->section, k->key);
			return -1;
		}
		if (k->type == NCONF_INT)
			snprintf(text, sizeof(text), "%.0f", d);
		else
			snprintf(text, sizeof(text), "%.17g", d);
		if (nconf_set(cfg, k, text, why, sizeof(why)) == -1)
			goto bad;
		return 0;
	default:
		if (!cJSON_IsString(v)) {
			snprintf(err, errlen, "%s.%s: expected a string",
			    k->section, k->key);
			return -1;
		}
		if (nconf_set(cfg, k, v->valuestring, why, sizeof(why)) == -1)
			goto bad;
		return 0;
	}
bad:
	snprintf(err, errlen, "%s.%s: %s", k->section, k->key, why);
	return -1;
}

/* Applies one section object of the document. */
static int
rconf_section(struct node_config *cfg, const cJSON *sec, char *err,
    size_t errlen)
{
	const struct nconf_key *k;
	const cJSON *v;
	const char *dup;
	char show[RCONF_NAME_SHOW + 4];

	if (!rconf_runtime_section(sec->string)) {
		snprintf(err, errlen, "unknown section '%s'",
		    rconf_show(sec->string, show, sizeof(show)));
		return -1;
	}
	if (!cJSON_IsObject(sec)) {
		snprintf(err, errlen, "%s: expected an object of keys",
		    sec->string);
		return -1;
	}
	if ((dup = rconf_duplicate(sec)) != NULL) {
		snprintf(err, errlen, "%s.%s: given more than once",
		    sec->string, rconf_show(dup, show, sizeof(show)));
		return -1;
	}
	for (v = sec->child; v != NULL; v = v->next) {
		k = nconf_find(sec->string, v->string);
		if (k == NULL || !(k->flags & NCONF_RUNTIME)) {
			snprintf(err, errlen, "%s.%s: %s", sec->string,
			    rconf_show(v->string, show, sizeof(show)),
			    k == NULL ? "unknown key" :
			    "cannot be changed at run time");
			return -1;
		}
		if (rconf_value(cfg, k, v, err, errlen) == -1)
			return -1;
	}
	return 0;
}

/* Parses buf into a JSON object, or NULL with err. */
static cJSON *
rconf_parse(const char *buf, size_t len, char *err, size_t errlen)
{
	const char *end = NULL, *at;
	cJSON *doc;
	size_t i;

	if (len > RCONF_DOC_MAX) {
		snprintf(err, errlen, "document of %zu bytes is over the limit "
		    "of %d", len, RCONF_DOC_MAX);
		return NULL;
	}
	if (len == 0) {
		snprintf(err, errlen, "empty document (expected a JSON "
		    "object)");
		return NULL;
	}
	if (memchr(buf, '\0', len) != NULL) {
		snprintf(err, errlen, "NUL byte in the document");
		return NULL;
	}
	/* cJSON turns \u0000 into a NUL that would cut a string short. */
	for (i = 0; i + 6 <= len; i++)
		if (buf[i] == '\\' && strncasecmp(buf + i + 1, "u0000", 5) == 0)
			break;
	if (i + 6 <= len) {
		snprintf(err, errlen, "\\u0000 in the document");
		return NULL;
	}
	if ((doc = cJSON_ParseWithLengthOpts(buf, len, &end, 0)) == NULL) {
		at = cJSON_GetErrorPtr();
		if (at != NULL && at >= buf && at <= buf + len)
			snprintf(err, errlen, "not JSON (at byte %zu)",
			    (size_t)(at - buf));
		else
			snprintf(err, errlen, "not JSON");
		return NULL;
	}
	for (at = end; at != NULL && at < buf + len; at++)
		if (*at != ' ' && *at != '\t' && *at != '\r' && *at != '\n') {
			snprintf(err, errlen, "text after the JSON document "
			    "(at byte %zu)", (size_t)(at - buf));
			cJSON_Delete(doc);
			return NULL;
		}
	if (!cJSON_IsObject(doc)) {
		snprintf(err, errlen, "expected a JSON object");
		cJSON_Delete(doc);
		return NULL;
	}
	return doc;
}

int
rconf_apply(struct node_config *cfg, const char *buf, size_t len,
    cJSON **docp, char *err, size_t errlen)
{
	struct node_config copy = *cfg;
	const cJSON *sec;
	const char *dup;
	char show[RCONF_NAME_SHOW + 4];
	cJSON *doc;

	if ((doc = rconf_parse(buf, len, err, errlen)) == NULL)
		return -1;
	if ((dup = rconf_duplicate(doc)) != NULL) {
		snprintf(err, errlen, "section '%s' given more than once",
		    rconf_show(dup, show, sizeof(show)));
		goto fail;
	}
	for (sec = doc->child; sec != NULL; sec = sec->next)
		if (rconf_section(&copy, sec, err, errlen) == -1)
			goto fail;
	if (nconf_validate(&copy, err, errlen) == -1)
		goto fail;
	*cfg = copy;
	if (docp != NULL)
		*docp = doc;
	else
		cJSON_Delete(doc);
	return 0;
fail:
	cJSON_Delete(doc);
	return -1;
}

cJSON *
rconf_render(const struct node_config *cfg)
{
	const struct nconf_key *keys, *k;
	const char *field;
	cJSON *doc, *sec = NULL;
	const char *section = "";
	char buf[NCONF_URI_MAX];
	size_t n, i;

	if ((doc = cJSON_CreateObject()) == NULL)
		return NULL;
	keys = nconf_keys(&n);
	for (i = 0; i < n; i++) {
		k = &keys[i];
		if (!(k->flags & NCONF_RUNTIME))
			continue;
		if (strcmp(section, k->section) != 0) {
			section = k->section;
			if ((sec = cJSON_AddObjectToObject(doc, section)) ==
			    NULL)
				goto fail;
		}
		field = (const char *)cfg + k->offset;
		if (k->type == NCONF_INT) {
			if (cJSON_AddNumberToObject(sec, k->key,
			    *(const int *)(const void *)field) == NULL)
				goto fail;
		} else if (k->type == NCONF_DOUBLE) {
			if (cJSON_AddNumberToObject(sec, k->key,
			    *(const double *)(const void *)field) == NULL)
				goto fail;
		} else if (cJSON_AddStringToObject(sec, k->key,
		    nconf_get(cfg, k, buf, sizeof(buf))) == NULL)
			goto fail;
	}
	return doc;
fail:
	cJSON_Delete(doc);
	return NULL;
}

int
rconf_merge(cJSON *overrides, const cJSON *doc)
{
	const cJSON *sec, *v;
	cJSON *osec, *copy;

	for (sec = doc->child; sec != NULL; sec = sec->next) {
		osec = cJSON_GetObjectItemCaseSensitive(overrides, sec->string);
		if (osec == NULL &&
		    (osec = cJSON_AddObjectToObject(overrides, sec->string)) ==
		    NULL)
			return -1;
		for (v = sec->child; v != NULL; v = v->next) {
			if ((copy = cJSON_Duplicate(v, 1)) == NULL)
				return -1;
			if (cJSON_GetObjectItemCaseSensitive(osec, v->string) !=
			    NULL)
				cJSON_ReplaceItemInObjectCaseSensitive(osec,
				    v->string, copy);
			else
				cJSON_AddItemToObject(osec, v->string, copy);
		}
	}
	return 0;
}

/* write(2) all of buf. */
static int
rconf_write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int
rconf_store(const char *path, const cJSON *doc, char *err, size_t errlen)
{
	char tmp[PATH_MAX], dir[PATH_MAX], *text;
	int fd = -1, dfd, saved;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp) ||
	    snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	if ((text = cJSON_PrintUnformatted(doc)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((fd = mkstemp(tmp)) == -1)
		goto fail;
	if (rconf_write_all(fd, text, strlen(text)) == -1 ||
	    rconf_write_all(fd, "\n", 1) == -1 || fsync(fd) == -1)
		goto fail_unlink;
	if (close(fd) == -1) {
		fd = -1;
		goto fail_unlink;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto fail_unlink;
	free(text);
	/* The rename is durable once the directory is. */
	if ((dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1 || fsync(dfd) == -1) {
		snprintf(err, errlen, "%s: fsync of its directory: %s", path,
		    strerror(errno));
		if (dfd != -1)
			close(dfd);
		return -1;
	}
	close(dfd);
	return 0;
fail_unlink:
	saved = errno;
	unlink(tmp);
	errno = saved;
fail:
	snprintf(err, errlen, "%s: %s", path, strerror(errno));
	if (fd != -1)
		close(fd);
	free(text);
	return -1;
}

int
rconf_load(struct node_config *cfg, const char *path, cJSON **overrides,
    char *err, size_t errlen)
{
	char *buf, why[320];
	size_t len = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno != ENOENT) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
		if ((*overrides = cJSON_CreateObject()) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		return 0;
	}
	if ((buf = malloc(RCONF_FILE_MAX)) == NULL) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	while (len < RCONF_FILE_MAX &&
	    (n = read(fd, buf + len, RCONF_FILE_MAX - len)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
		len += (size_t)n;
	}
	if (rconf_apply(cfg, buf, len, overrides, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "%s: %s", path, why);
		goto fail;
	}
	free(buf);
	close(fd);
	return 0;
fail:
	free(buf);
	close(fd);
	return -1;
}
