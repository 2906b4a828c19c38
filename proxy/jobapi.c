/*
 * jobapi.c: /v1/jobs. A job is answered 201 once its records are
 * committed; a request that does not hold is answered 400 with the member
 * at fault in "field", and nothing is stored.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <event2/buffer.h>
#include <event2/http.h>

#include "gateway.h"
#include "lwm2m/jobparse.h"
#include "modules/jobs/job.h"
#include "proxy/fwapi.h"
#include "proxy/http.h"

/* An error that names the request's member at fault. */
static void
jobapi_refuse(struct http_exchange *hx, int status, const char *field,
    const char *err)
{
	cJSON *doc = cJSON_CreateObject();

	cJSON_AddStringToObject(doc, "error", status == 422 ?
	    "unprocessable" : status == 507 ? "insufficient_storage" :
	    status == 500 ? "internal" : "bad_request");
	cJSON_AddStringToObject(doc, "detail", err);
	if (field[0] != '\0')
		cJSON_AddStringToObject(doc, "field", field);
	else
		cJSON_AddNullToObject(doc, "field");
	http_reply_json(hx, status, doc);
}

static void
jobapi_post(struct http_exchange *hx)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(hx->req);
	size_t len = evbuffer_get_length(in);
	char err[256], field[JOB_FIELD_MAX];
	struct job_req req;
	int status;
	uint64_t id;

	if (len > JOB_BODY_MAX) {
		http_error(hx, 413, "too_large", "a job request is at most %d "
		    "bytes", JOB_BODY_MAX);
		return;
	}
	field[0] = '\0';
	if (jobparse_request((const char *)evbuffer_pullup(in, -1), len,
	    hx->gw->models, gw_now(), &req, field, sizeof(field), err,
	    sizeof(err)) == -1) {
		jobparse_free(&req);
		jobapi_refuse(hx, 400, field, err);
		return;
	}
	id = job_create(hx->gw, &req, &status, field, sizeof(field), err,
	    sizeof(err));
	jobparse_free(&req);
	if (id == 0) {
		jobapi_refuse(hx, status, field, err);
		return;
	}
	http_reply_created(hx, "/v1/jobs", id, job_json);
}

void
api_jobs(struct http_exchange *hx)
{
	cJSON *doc;

	if (evhttp_request_get_command(hx->req) == EVHTTP_REQ_POST) {
		jobapi_post(hx);
		return;
	}
	doc = cJSON_CreateObject();
	if (http_page(hx, doc, "jobs", job_list_json(hx->gw), "id", 1) == -1)
		return;
	http_reply_json(hx, 200, doc);
}

static void
jobapi_none(struct http_exchange *hx)
{
	http_error(hx, 404, "not_found", "no job '%s'", hx->params.value[0]);
}

void
api_job(struct http_exchange *hx)
{
	cJSON *doc = job_json(hx->gw, http_param_id(hx));

	if (doc == NULL) {
		jobapi_none(hx);
		return;
	}
	http_reply_json(hx, 200, doc);
}

void
api_job_devices(struct http_exchange *hx)
{
	const char *state = http_query(hx, "state");
	const char *after = http_query(hx, "after");
	cJSON *doc, *devs, *last;
	long limit;
	int st = -1, more = 0;

	if (http_query_limit(hx, &limit) == -1)
		return;
	if (state != NULL && (st = job_dev_state_of(state)) == -1) {
		http_error(hx, 400, "bad_request", "state must be pending, "
		    "in_progress, deferred, succeeded, failed, cancelled, "
		    "skipped or removed");
		return;
	}
	if ((devs = job_devices_json(hx->gw, http_param_id(hx), st, after,
	    (size_t)limit, &more)) == NULL) {
		jobapi_none(hx);
		return;
	}
	api_devlogs(hx->gw, "job", http_param_id(hx), devs);
	doc = cJSON_CreateObject();
	cJSON_AddItemToObject(doc, "devices", devs);
	last = cJSON_GetArrayItem(devs, cJSON_GetArraySize(devs) - 1);
	if (more && last != NULL)
		cJSON_AddStringToObject(doc, "next", cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(last, "ep")));
	else
		cJSON_AddNullToObject(doc, "next");
	http_reply_json(hx, 200, doc);
}

void
api_job_action(struct http_exchange *hx)
{
	const char *action = hx->params.value[1];
	uint64_t id = http_param_id(hx);
	int rc;

	if (strcmp(action, "pause") != 0 && strcmp(action, "resume") != 0 &&
	    strcmp(action, "continue") != 0 && strcmp(action, "cancel") != 0) {
		http_error(hx, 404, "not_found", "actions are pause, resume, "
		    "continue and cancel");
		return;
	}
	if ((rc = job_action(hx->gw, id, action)) == -1) {
		jobapi_none(hx);
		return;
	}
	if (rc == -2) {
		http_error(hx, 409, "conflict", "cannot %s job %s in its "
		    "status", action, hx->params.value[0]);
		return;
	}
	http_reply_json(hx, 200, job_json(hx->gw, id));
}
