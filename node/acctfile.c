/*
 * acctfile.c: the state file of a device's account (acct.h): what a
 * bootstrap server wrote, kept so that a restarted node registers at
 * once. JSON through cJSON; every value read back goes through the same
 * checks as a write (acct_set), and the whole must be a usable account
 * (acct_check), so a truncated or edited file is refused with the
 * reason, and the node bootstraps again.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>

#include "hex.h"
#include "node/acct.h"
#include "node/rconf.h"

#define ACCT_FILE_VERSION	1

/* Adds len bytes as hex under name. */
static int
acctf_add_hex(cJSON *o, const char *name, const uint8_t *buf, size_t len)
{
	char hex[2 * ACCT_ID_MAX + 1];
	cJSON *item;

	hex_encode(buf, len, hex);
	item = cJSON_AddStringToObject(o, name, hex);
	explicit_bzero(hex, sizeof(hex));
	return item != NULL ? 0 : -1;
}

static cJSON *
acctf_sec(const struct acct_sec *s)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL || cJSON_AddNumberToObject(o, "iid", s->iid) == NULL ||
	    cJSON_AddStringToObject(o, "uri", s->uri) == NULL ||
	    cJSON_AddNumberToObject(o, "mode", s->mode) == NULL ||
	    acctf_add_hex(o, "identity", s->identity, s->id_len) == -1 ||
	    acctf_add_hex(o, "key", s->key, s->key_len) == -1 ||
	    cJSON_AddNumberToObject(o, "ssid", s->ssid) == NULL ||
	    cJSON_AddNumberToObject(o, "hold_off", s->hold_off) == NULL ||
	    cJSON_AddNumberToObject(o, "bs_timeout", s->bs_timeout) == NULL) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *
acctf_srv(const struct acct_srv *s)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL || cJSON_AddNumberToObject(o, "iid", s->iid) == NULL ||
	    cJSON_AddNumberToObject(o, "ssid", s->ssid) == NULL ||
	    cJSON_AddNumberToObject(o, "lifetime", s->lifetime) == NULL ||
	    cJSON_AddStringToObject(o, "binding", s->binding[0] != '\0' ?
	    s->binding : "U") == NULL ||
	    cJSON_AddBoolToObject(o, "storing", s->storing) == NULL ||
	    cJSON_AddBoolToObject(o, "bs_on_failure", s->bs_on_failure) ==
	    NULL ||
	    cJSON_AddNumberToObject(o, "retry_count", s->retry_count) ==
	    NULL) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* a's DM accounts as a document. */
static cJSON *
acctf_doc(const struct acct *a, const char *ep)
{
	cJSON *doc = cJSON_CreateObject(), *sec, *srv, *item;
	size_t i;

	if (doc == NULL ||
	    cJSON_AddNumberToObject(doc, "version", ACCT_FILE_VERSION) ==
	    NULL || cJSON_AddStringToObject(doc, "endpoint", ep) == NULL ||
	    (sec = cJSON_AddArrayToObject(doc, "security")) == NULL ||
	    (srv = cJSON_AddArrayToObject(doc, "server")) == NULL)
		goto fail;
	for (i = 0; i < a->nsec; i++) {
		if (a->sec[i].bootstrap)
			continue;	/* node.ini's */
		if ((item = acctf_sec(&a->sec[i])) == NULL)
			goto fail;
		cJSON_AddItemToArray(sec, item);
	}
	for (i = 0; i < a->nsrv; i++) {
		if ((item = acctf_srv(&a->srv[i])) == NULL)
			goto fail;
		cJSON_AddItemToArray(srv, item);
	}
	return doc;
fail:
	cJSON_Delete(doc);
	return NULL;
}

/* Wipes the strings of doc (the key is one) and deletes it. */
static void
acctf_wipe(cJSON *item)
{
	cJSON *c;

	if (item == NULL)
		return;
	if (cJSON_IsString(item) && item->valuestring != NULL)
		explicit_bzero(item->valuestring, strlen(item->valuestring));
	for (c = item->child; c != NULL; c = c->next)
		acctf_wipe(c);
}

static void
acctf_delete(cJSON *doc)
{
	acctf_wipe(doc);
	cJSON_Delete(doc);
}

char *
acct_render(const struct acct *a, const char *ep)
{
	cJSON *doc = acctf_doc(a, ep);
	char *text;

	if (doc == NULL)
		return NULL;
	text = cJSON_PrintUnformatted(doc);
	acctf_delete(doc);
	return text;
}

void
acct_text_free(char *text)
{
	if (text == NULL)
		return;
	explicit_bzero(text, strlen(text));
	free(text);
}

/* How a member of a record is read: its name, the resource it is, and
 * how its JSON holds it. */
enum acctf_kind { AF_INT, AF_BOOL, AF_STR, AF_HEX };

struct acctf_member {
	const char	*name;
	uint16_t	 rid;
	enum acctf_kind	 kind;
};

static const struct acctf_member acctf_sec_members[] = {
	{ "uri", 0, AF_STR },
	{ "mode", 2, AF_INT },
	{ "identity", 3, AF_HEX },
	{ "key", 5, AF_HEX },
	{ "ssid", 10, AF_INT },
	{ "hold_off", 11, AF_INT },
	{ "bs_timeout", 12, AF_INT },
};

static const struct acctf_member acctf_srv_members[] = {
	{ "ssid", 0, AF_INT },
	{ "lifetime", 1, AF_INT },
	{ "storing", 6, AF_BOOL },
	{ "binding", 7, AF_STR },
	{ "bs_on_failure", 16, AF_BOOL },
	{ "retry_count", 17, AF_INT },
};

/* A whole number of a JSON member, or -1 (err) when it is none. */
static int
acctf_int(const cJSON *item, int64_t *v)
{
	double d;

	if (!cJSON_IsNumber(item))
		return -1;
	d = item->valuedouble;
	if (!(d >= 0 && d <= 4294967295.0) || (double)(int64_t)d != d)
		return -1;
	*v = (int64_t)d;
	return 0;
}

/* One member m of record o (instance iid of oid) into a. */
static int
acctf_member(struct acct *a, uint16_t oid, uint16_t iid, const cJSON *o,
    const struct acctf_member *m, const char *where, char *err,
    size_t errlen)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(o, m->name);
	uint8_t bytes[ACCT_ID_MAX];
	struct acct_val v;
	char why[200];
	int n;

	memset(&v, 0, sizeof(v));
	if (item == NULL) {
		if (oid == OBJ_SERVER && m->rid == 17)
			return 0;	/* retry_count 0: the default */
		snprintf(err, errlen, "%s.%s: missing", where, m->name);
		return -1;
	}
	switch (m->kind) {
	case AF_INT:
		v.type = OBJ_INT;
		if (acctf_int(item, &v.i) == -1)
			goto bad;
		if (oid == OBJ_SERVER && m->rid == 17 && v.i == 0)
			return 0;
		if (oid == OBJ_SERVER && m->rid == 1 && v.i == 0)
			return 0;	/* [node] lifetime */
		break;
	case AF_BOOL:
		v.type = OBJ_BOOL;
		if (!cJSON_IsBool(item))
			goto bad;
		v.i = cJSON_IsTrue(item);
		break;
	case AF_STR:
		v.type = OBJ_STRING;
		if (!cJSON_IsString(item))
			goto bad;
		v.buf = (const uint8_t *)item->valuestring;
		v.len = strlen(item->valuestring);
		break;
	case AF_HEX:
		v.type = OBJ_OPAQUE;
		if (!cJSON_IsString(item))
			goto bad;
		if (item->valuestring[0] == '\0')
			n = 0;
		else if ((n = hex_decode(item->valuestring,
		    strlen(item->valuestring), bytes, sizeof(bytes))) < 0)
			goto bad;
		v.buf = bytes;
		v.len = (size_t)n;
		break;
	}
	if (acct_set(a, oid, iid, m->rid, &v, 1, why, sizeof(why)) !=
	    NODE_OK) {
		explicit_bzero(bytes, sizeof(bytes));
		snprintf(err, errlen, "%s.%s: %s", where, m->name, why);
		return -1;
	}
	explicit_bzero(bytes, sizeof(bytes));
	return 0;
bad:
	snprintf(err, errlen, "%s.%s: not a value of its kind", where,
	    m->name);
	return -1;
}

/* The records of list name ("security", "server") of doc into a. */
static int
acctf_list(struct acct *a, const cJSON *doc, const char *name, uint16_t oid,
    char *err, size_t errlen)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(doc, name), *o;
	const struct acctf_member *members = oid == OBJ_SECURITY ?
	    acctf_sec_members : acctf_srv_members;
	size_t n = oid == OBJ_SECURITY ? sizeof(acctf_sec_members) /
	    sizeof(acctf_sec_members[0]) : sizeof(acctf_srv_members) /
	    sizeof(acctf_srv_members[0]), i, k = 0;
	char where[32];
	int64_t iid;

	if (!cJSON_IsArray(list)) {
		snprintf(err, errlen, "%s: missing, or not a list", name);
		return -1;
	}
	cJSON_ArrayForEach(o, list) {
		snprintf(where, sizeof(where), "%s[%zu]", name, k++);
		if (!cJSON_IsObject(o) || acctf_int(
		    cJSON_GetObjectItemCaseSensitive(o, "iid"), &iid) == -1 ||
		    iid > ACCT_IID_MAX) {
			snprintf(err, errlen, "%s.iid: missing or not an "
			    "instance id", where);
			return -1;
		}
		if ((oid == OBJ_SECURITY ? (void *)acct_sec_find(a,
		    (uint16_t)iid) : (void *)acct_srv_find(a,
		    (uint16_t)iid)) != NULL) {
			snprintf(err, errlen, "%s.iid: /%u/%lld twice", where,
			    oid, (long long)iid);
			return -1;
		}
		for (i = 0; i < n; i++)
			if (acctf_member(a, oid, (uint16_t)iid, o, &members[i],
			    where, err, errlen) == -1)
				return -1;
	}
	return 0;
}

int
acct_parse(struct acct *out, const char *text, size_t len, const char *ep,
    char *err, size_t errlen)
{
	const cJSON *version, *endpoint;
	struct acct a;
	struct acct_dm dm;
	char why[200];
	cJSON *doc;
	int rc = -1;

	memset(&a, 0, sizeof(a));
	if ((doc = cJSON_ParseWithLength(text, len)) == NULL ||
	    !cJSON_IsObject(doc)) {
		snprintf(err, errlen, "truncated, or not a JSON object");
		goto out;
	}
	version = cJSON_GetObjectItemCaseSensitive(doc, "version");
	endpoint = cJSON_GetObjectItemCaseSensitive(doc, "endpoint");
	if (!cJSON_IsNumber(version) || version->valuedouble !=
	    ACCT_FILE_VERSION) {
		snprintf(err, errlen, "version: not %d", ACCT_FILE_VERSION);
		goto out;
	}
	if (!cJSON_IsString(endpoint) || strcmp(endpoint->valuestring, ep) !=
	    0) {
		snprintf(err, errlen, "endpoint: not %s (an account of "
		    "another endpoint)", ep);
		goto out;
	}
	if (acctf_list(&a, doc, "security", OBJ_SECURITY, err, errlen) ==
	    -1 || acctf_list(&a, doc, "server", OBJ_SERVER, err, errlen) ==
	    -1)
		goto out;
	if (acct_check(&a, &dm, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "no usable account: %s", why);
		goto out;
	}
	*out = a;
	rc = 0;
out:
	explicit_bzero(&a, sizeof(a));
	acctf_delete(doc);
	return rc;
}

int
acct_store(const char *path, const struct acct *a, const char *ep, char *err,
    size_t errlen)
{
	cJSON *doc = acctf_doc(a, ep);
	int rc;

	if (doc == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = rconf_store(path, doc, err, errlen);	/* mkstemp: 0600 */
	acctf_delete(doc);
	return rc;
}

int
acct_load(const char *path, struct acct *a, const char *ep, char *err,
    size_t errlen)
{
	char *buf = NULL, why[240];
	struct stat st;
	ssize_t n;
	size_t len = 0;
	int fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || st.st_size > ACCT_FILE_MAX) {
		snprintf(err, errlen, "%s: %s", path, st.st_size >
		    ACCT_FILE_MAX ? "larger than a state file" :
		    strerror(errno));
		goto out;
	}
	if ((buf = malloc(ACCT_FILE_MAX + 1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	while (len < ACCT_FILE_MAX && (n = read(fd, buf + len,
	    ACCT_FILE_MAX - len)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		len += (size_t)n;
	}
	if (acct_parse(a, buf, len, ep, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "%s: %s", path, why);
		goto out;
	}
	rc = 1;
out:
	if (buf != NULL) {
		explicit_bzero(buf, len);
		free(buf);
	}
	close(fd);
	return rc;
}
