/*
 * alarmparse.c: alarm rules out of untrusted JSON, and back (alarmparse.h).
 * No store, no gateway: the fuzz target links this file with the parsers
 * it stands on.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "lwm2m/alarmparse.h"
#include "lwm2m/dmparse.h"
#include "parse.h"

static const char *const kind_names[ALARM_K__COUNT] = {
	"threshold", "rate", "silence", "offline", "failure"
};
static const char *const sev_names[ALARM_SEV__COUNT] = {
	"critical", "major", "minor", "warning"
};
static const char *const offline_names[] = { "expired", "asleep" };
static const char *const source_names[] = { "any", "job", "campaign" };

/* The members of a rule's body, in the order of the bits below. */
enum {
	M_KIND, M_SEVERITY, M_NAME, M_EP, M_TAG, M_PATH, M_ABOVE, M_BELOW,
	M_HYST, M_HOLD, M_PER, M_WINDOW, M_FOR, M_STATE, M_SOURCE, M_PUSH,
	M_PMIN, M_PMAX, M_STEP, M__COUNT
};
static const char *const members[M__COUNT] = {
	"kind", "severity", "name", "ep", "tag", "path", "above", "below",
	"hysteresis", "hold_s", "per", "window", "for_s", "state", "source",
	"push", "pmin", "pmax", "step"
};
#define B(m)	(1u << (m))
#define COMMON	(B(M_KIND) | B(M_SEVERITY) | B(M_NAME) | B(M_EP) | B(M_TAG))
/* What each kind takes besides the common members. */
static const unsigned kind_members[ALARM_K__COUNT] = {
	B(M_PATH) | B(M_ABOVE) | B(M_BELOW) | B(M_HYST) | B(M_HOLD) |
	    B(M_PUSH) | B(M_PMIN) | B(M_PMAX) | B(M_STEP),
	B(M_PATH) | B(M_ABOVE) | B(M_BELOW) | B(M_HYST) | B(M_HOLD) |
	    B(M_PER) | B(M_WINDOW),
	B(M_PATH) | B(M_FOR),
	B(M_STATE) | B(M_FOR),
	B(M_SOURCE),
};

const char *
alarm_kind_name(int kind)
{
	return kind >= 0 && kind < ALARM_K__COUNT ? kind_names[kind] : "?";
}

const char *
alarm_severity_name(int sev)
{
	return sev >= 0 && sev < ALARM_SEV__COUNT ? sev_names[sev] : "?";
}

/* The index of s in names[0..n), or -1. */
static int
alarmparse_index(const char *s, const char *const names[], int n)
{
	int i;

	for (i = 0; s != NULL && i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

int
alarm_severity_of(const char *name)
{
	return alarmparse_index(name, sev_names, ALARM_SEV__COUNT);
}

int
alarmparse_path_valid(const char *path)
{
	size_t len, i;
	int seglen = 0;
	char ch;

	if (path == NULL || (len = strnlen(path, ALARM_PATH_MAX)) == 0 ||
	    len == ALARM_PATH_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		ch = path[i];
		if (ch == '/') {
			if (seglen == 0)
				return 0;
			seglen = 0;
			continue;
		}
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' ||
		    ch == '-'))
			return 0;
		seglen++;
	}
	return seglen > 0;
}

int
alarmparse_path_lwm2m(const char *path)
{
	char buf[ALARM_PATH_MAX + 1];
	size_t len, i;
	int n = 1;

	if (!alarmparse_path_valid(path))
		return 0;
	len = strlen(path);
	for (i = 0; i < len; i++)
		n += path[i] == '/';
	if (n < 3 || n > 4)
		return 0;
	snprintf(buf, sizeof(buf), "/%s", path);
	return dm_path_valid(buf, strlen(buf));
}

/* A string member, one of names[0..n): its index, or -1 refused. */
static int
alarmparse_enum(const cJSON *v, int m, const char *const names[], int n,
    char *field, size_t fieldlen, char *err, size_t errlen)
{
	char list[128] = "";
	int i;

	if (cJSON_IsString(v) && (i = alarmparse_index(v->valuestring, names,
	    n)) >= 0)
		return i;
	for (i = 0; i < n; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
		    "%s%s", i > 0 ? ", " : "", names[i]);
	snprintf(field, fieldlen, "%s", members[m]);
	return parse_error(err, errlen, "%s must be one of %s", members[m],
	    list);
}

/* A finite number member into *out; -1 refused. */
static int
alarmparse_number(const cJSON *v, int m, double min, double *out,
    char *field, size_t fieldlen, char *err, size_t errlen)
{
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) ||
	    v->valuedouble < min) {
		snprintf(field, fieldlen, "%s", members[m]);
		if (min > -INFINITY)
			return parse_error(err, errlen, "%s must be a number "
			    "of at least %g", members[m], min);
		return parse_error(err, errlen, "%s must be a number",
		    members[m]);
	}
	*out = v->valuedouble;
	return 0;
}

/* A whole number member min..max into *out; -1 refused. */
static int
alarmparse_int(const cJSON *v, int m, int min, int max, int *out,
    char *field, size_t fieldlen, char *err, size_t errlen)
{
	double d;

	if (!cJSON_IsNumber(v) || !isfinite(d = v->valuedouble) ||
	    d != floor(d) || d < min || d > max) {
		snprintf(field, fieldlen, "%s", members[m]);
		return parse_error(err, errlen, "%s must be a whole number "
		    "%d..%d", members[m], min, max);
	}
	*out = (int)d;
	return 0;
}

/* The common members: kind, severity, name, the selection. */
static int
alarmparse_common(const cJSON *doc, unsigned seen, struct alarm_rule_def *def,
    char *field, size_t fieldlen, char *err, size_t errlen)
{
	const cJSON *v;
	char why[128];
	size_t n;

	if (!(seen & B(M_KIND))) {
		snprintf(field, fieldlen, "kind");
		return parse_error(err, errlen, "kind is required (threshold, "
		    "rate, silence, offline or failure)");
	}
	v = cJSON_GetObjectItemCaseSensitive(doc, "kind");
	if ((def->kind = alarmparse_enum(v, M_KIND, kind_names,
	    ALARM_K__COUNT, field, fieldlen, err, errlen)) == -1)
		return -1;
	def->severity = ALARM_SEV_MAJOR;
	if ((seen & B(M_SEVERITY)) && (def->severity = alarmparse_enum(
	    cJSON_GetObjectItemCaseSensitive(doc, "severity"), M_SEVERITY,
	    sev_names, ALARM_SEV__COUNT, field, fieldlen, err, errlen)) == -1)
		return -1;
	if (seen & B(M_NAME)) {
		v = cJSON_GetObjectItemCaseSensitive(doc, "name");
		if (!cJSON_IsString(v) || (n = strlen(v->valuestring)) == 0 ||
		    n > ALARM_NAME_MAX || !parse_utf8((const uint8_t *)
		    v->valuestring, n, 1)) {
			snprintf(field, fieldlen, "name");
			return parse_error(err, errlen, "name must be 1..%d "
			    "bytes of printable UTF-8", ALARM_NAME_MAX);
		}
		memcpy(def->name, v->valuestring, n + 1);
	}
	if ((seen & B(M_EP)) && (seen & B(M_TAG))) {
		snprintf(field, fieldlen, "tag");
		return parse_error(err, errlen, "a rule selects by ep or by "
		    "tag, not both");
	}
	if (seen & B(M_EP)) {
		v = cJSON_GetObjectItemCaseSensitive(doc, "ep");
		if (!cJSON_IsString(v) || lwm2m_check_ep(v->valuestring, why,
		    sizeof(why)) == -1) {
			snprintf(field, fieldlen, "ep");
			return parse_error(err, errlen, "ep must be an "
			    "endpoint name (%s)", cJSON_IsString(v) ? why :
			    "not a string");
		}
		def->select = ALARM_SEL_EP;
		snprintf(def->ep, sizeof(def->ep), "%s", v->valuestring);
	}
	if (seen & B(M_TAG)) {
		v = cJSON_GetObjectItemCaseSensitive(doc, "tag");
		if (!cJSON_IsString(v) || !tags_valid(v->valuestring)) {
			snprintf(field, fieldlen, "tag");
			return parse_error(err, errlen, "tag must be a tag "
			    "(1..%d characters of A-Z a-z 0-9 . _ : -)",
			    TAG_LEN_MAX);
		}
		def->select = ALARM_SEL_TAG;
		snprintf(def->tag, sizeof(def->tag), "%s", v->valuestring);
	}
	return 0;
}

/* path, with or without its leading "/". */
static int
alarmparse_path(const cJSON *doc, struct alarm_rule_def *def, char *field,
    size_t fieldlen, char *err, size_t errlen)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, "path");
	const char *p;

	if (cJSON_IsString(v)) {
		p = v->valuestring[0] == '/' ? v->valuestring + 1 :
		    v->valuestring;
		if (alarmparse_path_valid(p)) {
			snprintf(def->path, sizeof(def->path), "%s", p);
			return 0;
		}
	}
	snprintf(field, fieldlen, "path");
	return parse_error(err, errlen, "path must be a value's path of "
	    "1..%d bytes, segments of A-Z a-z 0-9 _ . - (\"3/0/9\", "
	    "\"health/cpu_pct\")", ALARM_PATH_MAX - 1);
}

/* threshold and rate: the limit, hysteresis, hold; a rate's per and
 * window. */
static int
alarmparse_limit(const cJSON *doc, unsigned seen, struct alarm_rule_def *def,
    char *field, size_t fieldlen, char *err, size_t errlen)
{
	static const char *const pers[] = { "second", "minute" };
	int per;

	if (!(seen & B(M_PATH))) {
		snprintf(field, fieldlen, "path");
		return parse_error(err, errlen, "path is required");
	}
	if (alarmparse_path(doc, def, field, fieldlen, err, errlen) == -1)
		return -1;
	if ((seen & B(M_ABOVE)) == ((seen & B(M_BELOW)) >> 1)) {
		snprintf(field, fieldlen, (seen & B(M_ABOVE)) ? "below" :
		    "above");
		return parse_error(err, errlen, "one of above and below is "
		    "required, not both");
	}
	def->below = (seen & B(M_BELOW)) != 0;
	if (alarmparse_number(cJSON_GetObjectItemCaseSensitive(doc,
	    def->below ? "below" : "above"), def->below ? M_BELOW : M_ABOVE,
	    -INFINITY, &def->limit, field, fieldlen, err, errlen) == -1)
		return -1;
	if ((seen & B(M_HYST)) && alarmparse_number(
	    cJSON_GetObjectItemCaseSensitive(doc, "hysteresis"), M_HYST, 0,
	    &def->hysteresis, field, fieldlen, err, errlen) == -1)
		return -1;
	if ((seen & B(M_HOLD)) && alarmparse_int(
	    cJSON_GetObjectItemCaseSensitive(doc, "hold_s"), M_HOLD, 0,
	    ALARM_HOLD_MAX, &def->hold_s, field, fieldlen, err, errlen) == -1)
		return -1;
	if (def->kind != ALARM_K_RATE)
		return 0;
	def->per_s = 1;
	def->window = 2;
	if (seen & B(M_PER)) {
		if ((per = alarmparse_enum(cJSON_GetObjectItemCaseSensitive(doc,
		    "per"), M_PER, pers, 2, field, fieldlen, err, errlen)) == -1)
			return -1;
		def->per_s = per == 1 ? 60 : 1;
	}
	if ((seen & B(M_WINDOW)) && alarmparse_int(
	    cJSON_GetObjectItemCaseSensitive(doc, "window"), M_WINDOW, 2,
	    ALARM_WINDOW_MAX, &def->window, field, fieldlen, err, errlen) == -1)
		return -1;
	return 0;
}

/* A threshold's push-down: push, pmin, pmax, step, and what LwM2M 1.1
 * Core 5.1.2 asks of the attributes they make. */
static int
alarmparse_push(const cJSON *doc, unsigned seen, struct alarm_rule_def *def,
    char *field, size_t fieldlen, char *err, size_t errlen)
{
	const cJSON *v;
	int lwm2m = alarmparse_path_lwm2m(def->path);

	def->push = lwm2m;
	def->pmin = def->pmax = -1;
	def->step = -1;
	if (seen & B(M_PUSH)) {
		v = cJSON_GetObjectItemCaseSensitive(doc, "push");
		if (!cJSON_IsBool(v)) {
			snprintf(field, fieldlen, "push");
			return parse_error(err, errlen, "push must be true or "
			    "false");
		}
		def->push = cJSON_IsTrue(v);
		if (def->push && !lwm2m) {
			snprintf(field, fieldlen, "push");
			return parse_error(err, errlen, "push needs an LwM2M "
			    "resource path (\"3/0/9\"), not %s", def->path);
		}
	}
	if ((seen & (B(M_PMIN) | B(M_PMAX) | B(M_STEP))) && !def->push) {
		snprintf(field, fieldlen, "%s", (seen & B(M_PMIN)) ? "pmin" :
		    (seen & B(M_PMAX)) ? "pmax" : "step");
		return parse_error(err, errlen, "%s is written to the device: "
		    "it needs push", field);
	}
	if ((seen & B(M_PMIN)) && alarmparse_int(
	    cJSON_GetObjectItemCaseSensitive(doc, "pmin"), M_PMIN, 0,
	    ALARM_PERIOD_MAX, &def->pmin, field, fieldlen, err, errlen) == -1)
		return -1;
	if ((seen & B(M_PMAX)) && alarmparse_int(
	    cJSON_GetObjectItemCaseSensitive(doc, "pmax"), M_PMAX, 0,
	    ALARM_PERIOD_MAX, &def->pmax, field, fieldlen, err, errlen) == -1)
		return -1;
	if (def->pmin >= 0 && def->pmax >= 0 && def->pmin > def->pmax) {
		snprintf(field, fieldlen, "pmax");
		return parse_error(err, errlen, "pmin %d is above pmax %d",
		    def->pmin, def->pmax);
	}
	if ((seen & B(M_STEP)) && alarmparse_number(
	    cJSON_GetObjectItemCaseSensitive(doc, "step"), M_STEP, 0,
	    &def->step, field, fieldlen, err, errlen) == -1)
		return -1;
	/* The device is given gt and lt a hysteresis apart: lt + 2 st
	 * must stay below gt. */
	if (def->step > 0 && def->hysteresis > 0 &&
	    !(2 * def->step < def->hysteresis)) {
		snprintf(field, fieldlen, "step");
		return parse_error(err, errlen, "step must be below half the "
		    "hysteresis (LwM2M: lt + 2 st < gt)");
	}
	return 0;
}

/* silence, offline, failure. */
static int
alarmparse_other(const cJSON *doc, unsigned seen, struct alarm_rule_def *def,
    char *field, size_t fieldlen, char *err, size_t errlen)
{
	switch (def->kind) {
	case ALARM_K_SILENCE:
		if ((seen & B(M_PATH)) && alarmparse_path(doc, def, field,
		    fieldlen, err, errlen) == -1)
			return -1;
		if (!(seen & B(M_FOR))) {
			snprintf(field, fieldlen, "for_s");
			return parse_error(err, errlen, "for_s is required");
		}
		return alarmparse_int(cJSON_GetObjectItemCaseSensitive(doc,
		    "for_s"), M_FOR, 1, ALARM_FOR_MAX, &def->for_s, field,
		    fieldlen, err, errlen);
	case ALARM_K_OFFLINE:
		if ((seen & B(M_STATE)) && (def->offline = alarmparse_enum(
		    cJSON_GetObjectItemCaseSensitive(doc, "state"), M_STATE,
		    offline_names, 2, field, fieldlen, err, errlen)) == -1)
			return -1;
		if (!(seen & B(M_FOR)))
			return 0;
		if (def->offline != ALARM_OFF_ASLEEP) {
			snprintf(field, fieldlen, "for_s");
			return parse_error(err, errlen, "for_s applies to state "
			    "asleep only");
		}
		return alarmparse_int(cJSON_GetObjectItemCaseSensitive(doc,
		    "for_s"), M_FOR, 1, ALARM_FOR_MAX, &def->for_s, field,
		    fieldlen, err, errlen);
	default:
		if ((seen & B(M_SOURCE)) && (def->source = alarmparse_enum(
		    cJSON_GetObjectItemCaseSensitive(doc, "source"), M_SOURCE,
		    source_names, 3, field, fieldlen, err, errlen)) == -1)
			return -1;
		return 0;
	}
}

int
alarmparse_rule(const char *body, size_t len, struct alarm_rule_def *def,
    char *field, size_t fieldlen, char *err, size_t errlen)
{
	cJSON *doc;
	unsigned seen, extra;
	int m, rc = -1;

	memset(def, 0, sizeof(*def));
	def->pmin = def->pmax = -1;
	def->step = -1;
	if (fieldlen > 0)
		field[0] = '\0';
	if (body == NULL)
		return parse_error(err, errlen, "body must be a JSON object");
	if ((doc = parse_json_object(body, len, ALARM_BODY_MAX, members,
	    M__COUNT, &seen, err, errlen)) == NULL)
		return -1;
	if (alarmparse_common(doc, seen, def, field, fieldlen, err,
	    errlen) == -1)
		goto done;
	if ((extra = seen & ~(COMMON | kind_members[def->kind])) != 0) {
		for (m = 0; !(extra & B(m)); m++)
			;
		snprintf(field, fieldlen, "%s", members[m]);
		parse_error(err, errlen, "%s does not apply to a %s rule",
		    members[m], kind_names[def->kind]);
		goto done;
	}
	switch (def->kind) {
	case ALARM_K_THRESHOLD:
		if (alarmparse_limit(doc, seen, def, field, fieldlen, err,
		    errlen) == -1 || alarmparse_push(doc, seen, def, field,
		    fieldlen, err, errlen) == -1)
			goto done;
		break;
	case ALARM_K_RATE:
		if (alarmparse_limit(doc, seen, def, field, fieldlen, err,
		    errlen) == -1)
			goto done;
		break;
	default:
		if (alarmparse_other(doc, seen, def, field, fieldlen, err,
		    errlen) == -1)
			goto done;
		break;
	}
	rc = 0;
done:
	cJSON_Delete(doc);
	if (rc == -1) {
		memset(def, 0, sizeof(*def));
		def->pmin = def->pmax = -1;
		def->step = -1;
	}
	return rc;
}

/*
 * Every number of o made a raw node of the shortest text ("%.15g" to
 * "%.17g") that reads back as it: cJSON prints 15 digits when that is
 * within a rounding, which would change a limit between the request and
 * what the store keeps. -1 out of memory.
 */
static int
alarmparse_exact(cJSON *o)
{
	char text[40], *copy;
	cJSON *c;
	int prec;

	for (c = o->child; c != NULL; c = c->next) {
		if (!cJSON_IsNumber(c) || !isfinite(c->valuedouble))
			continue;
		for (prec = 15; prec <= 17; prec++) {
			snprintf(text, sizeof(text), "%.*g", prec,
			    c->valuedouble);
			if (strtod(text, NULL) == c->valuedouble)
				break;
		}
		if ((copy = strdup(text)) == NULL)
			return -1;
		c->type = cJSON_Raw;
		c->valuestring = copy;
	}
	return 0;
}

cJSON *
alarmparse_json(const struct alarm_rule_def *def)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "kind", alarm_kind_name(def->kind));
	cJSON_AddStringToObject(o, "severity",
	    alarm_severity_name(def->severity));
	if (def->name[0] != '\0')
		cJSON_AddStringToObject(o, "name", def->name);
	if (def->select == ALARM_SEL_EP)
		cJSON_AddStringToObject(o, "ep", def->ep);
	else if (def->select == ALARM_SEL_TAG)
		cJSON_AddStringToObject(o, "tag", def->tag);
	if (def->path[0] != '\0')
		cJSON_AddStringToObject(o, "path", def->path);
	switch (def->kind) {
	case ALARM_K_THRESHOLD:
	case ALARM_K_RATE:
		cJSON_AddNumberToObject(o, def->below ? "below" : "above",
		    def->limit);
		cJSON_AddNumberToObject(o, "hysteresis", def->hysteresis);
		cJSON_AddNumberToObject(o, "hold_s", def->hold_s);
		if (def->kind == ALARM_K_RATE) {
			cJSON_AddStringToObject(o, "per", def->per_s == 60 ?
			    "minute" : "second");
			cJSON_AddNumberToObject(o, "window", def->window);
			break;
		}
		cJSON_AddBoolToObject(o, "push", def->push);
		if (def->pmin >= 0)
			cJSON_AddNumberToObject(o, "pmin", def->pmin);
		if (def->pmax >= 0)
			cJSON_AddNumberToObject(o, "pmax", def->pmax);
		if (def->step >= 0)
			cJSON_AddNumberToObject(o, "step", def->step);
		break;
	case ALARM_K_SILENCE:
		cJSON_AddNumberToObject(o, "for_s", def->for_s);
		break;
	case ALARM_K_OFFLINE:
		cJSON_AddStringToObject(o, "state",
		    offline_names[def->offline != 0]);
		if (def->for_s > 0)
			cJSON_AddNumberToObject(o, "for_s", def->for_s);
		break;
	default:
		cJSON_AddStringToObject(o, "source",
		    source_names[def->source >= 0 && def->source < 3 ?
		    def->source : 0]);
		break;
	}
	if (alarmparse_exact(o) == -1) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

int
alarmparse_ack(const char *body, size_t len, char by[ALARM_BY_MAX],
    char *err, size_t errlen)
{
	static const char *const known[] = { "by" };
	cJSON *doc;
	const cJSON *v;
	unsigned seen;
	size_t n;
	int rc = -1;

	by[0] = '\0';
	if (body == NULL || parse_json_rest_empty(body, body + len) ||
	    len == 0)
		return 0;
	if ((doc = parse_json_object(body, len, ALARM_BODY_MAX, known, 1,
	    &seen, err, errlen)) == NULL)
		return -1;
	v = cJSON_GetObjectItemCaseSensitive(doc, "by");
	if (seen == 0) {
		rc = 0;
	} else if (!cJSON_IsString(v) || (n = strlen(v->valuestring)) == 0 ||
	    n >= ALARM_BY_MAX || !parse_utf8((const uint8_t *)v->valuestring,
	    n, 1)) {
		parse_error(err, errlen, "by must be 1..%d bytes of printable "
		    "UTF-8", ALARM_BY_MAX - 1);
	} else {
		memcpy(by, v->valuestring, n + 1);
		rc = 0;
	}
	cJSON_Delete(doc);
	return rc;
}
