/*
 * tagparse.c: tag lists from untrusted JSON (tags.h). No store, no
 * gateway: the fuzz target links this file alone.
 */
#include <stdio.h>
#include <string.h>

#include <cJSON.h>

#include "lwm2m/tagparse.h"
#include "parse.h"

int
tags_valid(const char *tag)
{
	size_t len, i;
	char ch;

	if (tag == NULL)
		return 0;
	len = strnlen(tag, TAG_LEN_MAX + 1);
	if (len == 0 || len > TAG_LEN_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		ch = tag[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
		    ch == ':' || ch == '-'))
			return 0;
	}
	return 1;
}


/* Inserts tag into the sorted set out[0..*n), once. 0, or -1 when the set
 * would pass max. */
static int
tags_insert(char out[][TAG_LEN_MAX + 1], int *n, int max, const char *tag)
{
	int i, c;

	for (i = 0; i < *n; i++) {
		if ((c = strcmp(tag, out[i])) == 0)
			return 0;
		if (c < 0)
			break;
	}
	if (*n == max)
		return -1;
	memmove(out[i + 1], out[i], (size_t)(*n - i) * sizeof(out[0]));
	memcpy(out[i], tag, strlen(tag) + 1);
	(*n)++;
	return 0;
}

int
tags_parse_array(const cJSON *v, char out[][TAG_LEN_MAX + 1], int max,
    char *err, size_t errlen)
{
	const cJSON *e;
	int n = 0, i = 0;

	if (!cJSON_IsArray(v))
		return parse_error(err, errlen, "tags must be an array of "
		    "strings");
	cJSON_ArrayForEach(e, v) {
		if (!cJSON_IsString(e))
			return parse_error(err, errlen, "tags[%d] is not a "
			    "string", i);
		/* A valid tag needs no escaping: quoting it back is safe. */
		if (!tags_valid(e->valuestring))
			return parse_error(err, errlen, "tags[%d] is not a tag "
			    "(1..%d characters of A-Z a-z 0-9 . _ : -)", i,
			    TAG_LEN_MAX);
		if (tags_insert(out, &n, max, e->valuestring) == -1)
			return parse_error(err, errlen, "more than %d tags",
			    max);
		i++;
	}
	return n;
}


int
tags_parse_json(const char *body, size_t len, char out[][TAG_LEN_MAX + 1],
    int max, char *err, size_t errlen)
{
	const char *end = NULL;
	cJSON *doc, *v;
	int rc = -1;

	if (len > TAGS_BODY_MAX)
		return parse_error(err, errlen, "body over %d bytes",
		    TAGS_BODY_MAX);
	/* cJSON ends a string at an escaped NUL: "a\u0000b" would read as
	 * "a", a tag other than the one sent. */
	if (memmem(body, len, "\\u0000", 6) != NULL)
		return parse_error(err, errlen, "strings must not hold NUL");
	if ((doc = cJSON_ParseWithLengthOpts(body, len, &end, 0)) == NULL ||
	    !parse_json_rest_empty(end, body + len)) {
		parse_error(err, errlen, "body must be a JSON array of tags or "
		    "{\"tags\": [...]}");
		goto done;
	}
	v = doc;
	if (cJSON_IsObject(doc)) {
		/* "tags" alone: a second member, or "tags" twice, is a typo
		 * whose meaning we would have to guess. */
		v = doc->child;
		if (v == NULL || v->next != NULL || v->string == NULL ||
		    strcmp(v->string, "tags") != 0) {
			parse_error(err, errlen, "the object must have one "
			    "member, \"tags\"");
			goto done;
		}
	}
	rc = tags_parse_array(v, out, max, err, errlen);
done:
	cJSON_Delete(doc);
	return rc;
}
