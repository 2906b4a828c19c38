/*
 * alarmapi.c: /v1/alarm-rules and /v1/alarms (modules/health/alarm.h). A
 * rule is answered 201 once it is committed, a deletion 204 and an
 * acknowledgement 200 the same; a rule that does not hold is answered 400
 * with the member at fault in "field", and nothing is stored.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <event2/buffer.h>
#include <event2/http.h>

#include "gateway.h"
#include "lwm2m/alarmparse.h"
#include "modules/health/alarm.h"
#include "proxy/http.h"
#include "store/store.h"

static void
alarmapi_refuse(struct http_exchange *hx, const char *field, const char *err)
{
	cJSON *doc = cJSON_CreateObject();

	cJSON_AddStringToObject(doc, "error", "bad_request");
	cJSON_AddStringToObject(doc, "detail", err);
	if (field[0] != '\0')
		cJSON_AddStringToObject(doc, "field", field);
	else
		cJSON_AddNullToObject(doc, "field");
	http_reply_json(hx, 400, doc);
}

static void
alarmapi_rule_post(struct http_exchange *hx)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(hx->req);
	size_t len = evbuffer_get_length(in);
	char err[256], field[ALARM_FIELD_MAX];
	struct alarm_rule_def def;
	uint64_t id;
	int status;

	if (len > ALARM_BODY_MAX) {
		http_error(hx, 413, "too_large", "an alarm rule is at most %d "
		    "bytes", ALARM_BODY_MAX);
		return;
	}
	if (alarmparse_rule(len > 0 ? (const char *)evbuffer_pullup(in, -1) :
	    "", len, &def, field, sizeof(field), err, sizeof(err)) == -1) {
		alarmapi_refuse(hx, field, err);
		return;
	}
	if (alarm_rule_add(hx->gw, &def, &id, &status, err,
	    sizeof(err)) == -1) {
		if (status == 409)
			http_error(hx, 409, "conflict", "%s", err);
		else
			http_store_error(hx, err);
		return;
	}
	http_reply_created(hx, "/v1/alarm-rules", id, alarm_rule_json_num);
}

void
api_alarm_rules(struct http_exchange *hx)
{
	cJSON *doc;

	if (evhttp_request_get_command(hx->req) == EVHTTP_REQ_POST) {
		alarmapi_rule_post(hx);
		return;
	}
	doc = cJSON_CreateObject();
	cJSON_AddItemToObject(doc, "rules", alarm_rules_json(hx->gw));
	http_reply_json(hx, 200, doc);
}

static void
alarmapi_deleted(int status, void *arg)
{
	struct http_exchange *hx = arg;

	if (status == 0)
		http_reply(hx, 204, NULL, NULL);
	else
		http_store_error(hx, "store write failed");
}

void
api_alarm_rule(struct http_exchange *hx)
{
	const char *id = hx->params.value[0];
	cJSON *doc;
	int rc;

	if (evhttp_request_get_command(hx->req) == EVHTTP_REQ_DELETE) {
		if ((rc = alarm_rule_delete(hx->gw, id)) == -1)
			http_error(hx, 404, "not_found", "no alarm rule '%s'",
			    id);
		else if (rc == -2)
			http_error(hx, 409, "conflict", "rule '%s' is made by "
			    "gateway.ini ([alarms]): change it there", id);
		else if (store_when_durable(hx->gw->store, alarmapi_deleted,
		    hx) == -1)
			http_store_error(hx, "store failure");
		return;
	}
	if ((doc = alarm_rule_json(hx->gw, id)) == NULL) {
		http_error(hx, 404, "not_found", "no alarm rule '%s'", id);
		return;
	}
	http_reply_json(hx, 200, doc);
}

/* ?state=, ?severity=, ?ep=, ?limit=, ?after= of a list; 0, or -1 once
 * answered 400. */
static int
alarmapi_query(struct http_exchange *hx, int *st, int *sev, const char **ep,
    long *limit, uint64_t *before)
{
	const char *state = http_query(hx, "state");
	const char *severity = http_query(hx, "severity");
	const char *after = http_query(hx, "after");
	char *end;

	*st = ALARM_ST_ALL;
	*sev = -1;
	*before = 0;
	*ep = http_query(hx, "ep");
	if (state != NULL) {
		if (strcmp(state, "active") == 0)
			*st = ALARM_ST_ACTIVE;
		else if (strcmp(state, "cleared") == 0)
			*st = ALARM_ST_CLEARED;
		else if (strcmp(state, "all") != 0) {
			http_error(hx, 400, "bad_request", "state must be "
			    "active, cleared or all");
			return -1;
		}
	}
	if (severity != NULL && (*sev = alarm_severity_of(severity)) == -1) {
		http_error(hx, 400, "bad_request", "severity must be critical, "
		    "major, minor or warning");
		return -1;
	}
	if (*ep != NULL && !http_check_ep(hx, *ep))
		return -1;
	if (after != NULL) {
		*before = strtoull(after, &end, 10);
		if (after[0] < '1' || after[0] > '9' || *end != '\0' ||
		    strlen(after) > 19) {
			http_error(hx, 400, "bad_request", "after must be an "
			    "alarm's id");
			return -1;
		}
	}
	return http_query_limit(hx, limit);
}

void
api_alarms(struct http_exchange *hx)
{
	cJSON *doc, *list, *last;
	const char *ep;
	uint64_t before;
	long limit;
	int st, sev, more;
	char next[24];

	if (alarmapi_query(hx, &st, &sev, &ep, &limit, &before) == -1)
		return;
	if ((list = alarm_list_json(hx->gw, st, ep, sev, before,
	    (size_t)limit, &more)) == NULL) {
		http_error(hx, 500, "internal", "out of memory");
		return;
	}
	doc = cJSON_CreateObject();
	cJSON_AddItemToObject(doc, "alarms", list);
	last = cJSON_GetArrayItem(list, cJSON_GetArraySize(list) - 1);
	if (more && last != NULL) {
		snprintf(next, sizeof(next), "%.0f", cJSON_GetNumberValue(
		    cJSON_GetObjectItem(last, "id")));
		cJSON_AddStringToObject(doc, "next", next);
	} else
		cJSON_AddNullToObject(doc, "next");
	http_reply_json(hx, 200, doc);
}

void
api_alarm(struct http_exchange *hx)
{
	cJSON *doc = alarm_json(hx->gw, http_param_id(hx));

	if (doc == NULL) {
		http_error(hx, 404, "not_found", "no alarm '%s'",
		    hx->params.value[0]);
		return;
	}
	http_reply_json(hx, 200, doc);
}

struct alarmapi_ack {
	struct http_exchange	*hx;
	uint64_t		 id;
};

static void
alarmapi_acked(int status, void *arg)
{
	struct alarmapi_ack *a = arg;
	cJSON *doc;

	if (status != 0)
		http_store_error(a->hx, "store write failed");
	else if ((doc = alarm_json(a->hx->gw, a->id)) == NULL)
		http_error(a->hx, 404, "not_found", "no alarm '%" PRIu64 "'",
		    a->id);
	else
		http_reply_json(a->hx, 200, doc);
	free(a);
}

void
api_alarm_ack(struct http_exchange *hx)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(hx->req);
	size_t len = evbuffer_get_length(in);
	char by[ALARM_BY_MAX], err[160];
	struct alarmapi_ack *a;
	uint64_t id = http_param_id(hx);
	int rc;

	if (len > ALARM_BODY_MAX) {
		http_error(hx, 413, "too_large", "an acknowledgement is at "
		    "most %d bytes", ALARM_BODY_MAX);
		return;
	}
	if (alarmparse_ack(len > 0 ? (const char *)evbuffer_pullup(in, -1) :
	    NULL, len, by, err, sizeof(err)) == -1) {
		http_error(hx, 400, "bad_request", "%s", err);
		return;
	}
	if ((rc = alarm_ack(hx->gw, id, by)) == -1) {
		http_error(hx, 404, "not_found", "no alarm '%s'",
		    hx->params.value[0]);
		return;
	}
	if (rc == -2) {
		http_error(hx, 409, "conflict", "alarm %" PRIu64 " is "
		    "acknowledged already", id);
		return;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		http_error(hx, 500, "internal", "out of memory");
		return;
	}
	a->hx = hx;
	a->id = id;
	if (store_when_durable(hx->gw->store, alarmapi_acked, a) == -1) {
		free(a);
		http_store_error(hx, "store failure");
	}
}
