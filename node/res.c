/*
 * res.c: the resources a device serves and their CoAP handlers.
 *
 *   /O, /O/0, /O/0/N  each object O of the node object table (object.h:
 *                   today /3 Device, /4 Connectivity Monitoring, /5
 *                   Firmware Update, /9 Software Management with
 *                   [software] dir), its instance and its resources: GET,
 *                   PUT (a write in text/plain or TLV, or Write-Attributes
 *                   at any of the three levels), POST (an execute; of
 *                   an instance, a partial write in TLV); what is
 *                   allowed, and how a resource is observed, comes from
 *                   the object's row
 *   /health         the machine's figures as JSON (health.c)
 *   /config         the runtime configuration as JSON (rconf.c): GET, PUT
 *   /.well-known/core, made by libcoap from the attributes given here
 *
 * A fleet's shards serve /3/0, /5/0 and /health, each device its own
 * values (its /5/0 is fleetfw.c's, its /3/0/14 and /3/0/15 its own once
 * written); no /config. Single resources read as
 * text/plain, multiple ones, instances and objects as SenML JSON; Accept
 * picks between the two where both exist. Every readable resource is
 * observable (observe.c).
 *
 * Results become CoAP codes in reply_result (reply.c) only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "node/bsc.h"
#include "node/coap.h"
#include "node/rconf.h"

#define CF_TEXT		COAP_MEDIATYPE_TEXT_PLAIN
#define CF_JSON		COAP_MEDIATYPE_APPLICATION_JSON
#define CF_SENML	COAP_MEDIATYPE_APPLICATION_SENML_JSON
#define CF_LINKS	COAP_MEDIATYPE_APPLICATION_LINK_FORMAT
#define CF_OPAQUE	COAP_MEDIATYPE_APPLICATION_OCTET_STREAM
#define CF_TLV		11542	/* application/vnd.oma.lwm2m+tlv */
#define RES_DISCOVER_MAX	2048	/* bytes of a Discover answer */

/* Whether slot is a single resource whose value is a number: the one
 * kind gt, lt and st apply to. */
static int
res_numeric(const struct res_slot *slot)
{
	const struct obj_def *def;
	const struct obj_res *r;

	if (slot->kind != RES_ONE ||
	    (def = obj_def_find(slot->shard->node->obj.table, slot->oid)) ==
	    NULL || (r = obj_res_find(def, slot->rid)) == NULL || (r->ops & OBJ_M))
		return 0;
	return r->type == OBJ_INT || r->type == OBJ_FLOAT ||
	    r->type == OBJ_TIME;
}

/* Whether slot is a resource whose value is opaque (written as
 * application/octet-stream too). */
static int
res_opaque(const struct res_slot *slot)
{
	const struct obj_def *def;
	const struct obj_res *r;

	return slot->kind == RES_ONE &&
	    (def = obj_def_find(slot->shard->node->obj.table, slot->oid)) !=
	    NULL && (r = obj_res_find(def, slot->rid)) != NULL &&
	    r->type == OBJ_OPAQUE;
}

/* Whether slot is a resource rather than an object or an instance. */
static int
res_is_resource(const struct res_slot *slot)
{
	return slot->kind != RES_INSTANCE && slot->kind != RES_OBJECT;
}

/*
 * Parses the request's Uri-Query options as attributes. Those of a
 * request other than a Write-Attributes (an observe) must have values and
 * keep the rules on their own.
 */
static int
res_attrs(const coap_pdu_t *req, const struct res_slot *slot, int write,
    struct attr *a, char *err, size_t errlen)
{
	static const struct attr none;
	struct attr out;

	if (reply_attrs(req, a, err, errlen) == -1)
		return -1;
	if (write)
		return 0;
	if (a->clear != 0) {
		snprintf(err, errlen, "an attribute without a value (only "
		    "Write-Attributes removes one)");
		return -1;
	}
	return attr_write(&none, a, res_is_resource(slot), res_numeric(slot),
	    &out, err, errlen);
}

/*
 * [fleet] drop for responses: the answer to a confirmable request is not
 * sent (a NON 0.00 is dropped by libcoap) and the requester retransmits.
 * Notifications and answers to NON requests always go.
 */
static int
res_drop(struct node *n, coap_pdu_t *resp)
{
	if (n->drop == 0 || coap_pdu_get_type(resp) != COAP_MESSAGE_ACK ||
	    !node_drop(n))
		return 0;
	coap_pdu_set_type(resp, COAP_MESSAGE_NON);
	coap_pdu_set_code(resp, COAP_EMPTY_CODE);
	return 1;
}

/* A JSON object (taken over) as text. */
static char *
res_json(cJSON *o)
{
	char *text;

	if (o == NULL)
		return NULL;
	text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return text;
}

/* The number of instances of slot's resource when it has several, else
 * -1. */
static int
res_dim(const struct res_slot *slot)
{
	struct node *n = slot->shard->node;
	const struct obj_def *def = obj_def_find(n->obj.table, slot->oid);
	const struct obj_res *r = def != NULL ? obj_res_find(def, slot->rid) :
	    NULL;
	struct obj_value *vals;
	size_t k = 0;
	char err[128];

	if (slot->kind != RES_ONE || r == NULL || !(r->ops & OBJ_M) ||
	    (vals = calloc(OBJ_MULTI_MAX, sizeof(*vals))) == NULL)
		return -1;
	(void)obj_read_multi(&n->obj, slot->oid, slot->rid, vals,
	    OBJ_MULTI_MAX, &k, err, sizeof(err));
	free(vals);
	return (int)k;
}

/* Appends the link of slot ("</oid>", "</oid/0>" or "</oid/0/rid>"), its
 * dim, and the attributes a. */
static void
res_link(char *buf, size_t size, const struct res_slot *slot,
    const struct attr *a)
{
	size_t len = strlen(buf);
	char attrs[256];
	int dim = res_dim(slot);

	if (slot->kind == RES_OBJECT)
		snprintf(buf + len, size - len, "%s</%u>", len > 0 ? "," : "",
		    slot->oid);
	else if (slot->kind == RES_INSTANCE)
		snprintf(buf + len, size - len, "%s</%u/0>",
		    len > 0 ? "," : "", slot->oid);
	else
		snprintf(buf + len, size - len, "%s</%u/0/%u>",
		    len > 0 ? "," : "", slot->oid, slot->rid);
	len = strlen(buf);
	if (dim >= 0)
		snprintf(buf + len, size - len, ";dim=%d", dim);
	len = strlen(buf);
	if (attr_links(a, attrs, sizeof(attrs)) > 0)
		snprintf(buf + len, size - len, "%s", attrs);
}

/*
 * LwM2M Discover (GET with Accept: application/link-format): an object
 * lists itself, its instance and its resources, an instance itself and
 * its resources, each with the attributes Write-Attributes gave that
 * level; a resource lists itself with the attributes in effect for it,
 * those it inherits included. The caller frees the result.
 */
static char *
res_discover(const struct res_slot *slot)
{
	const struct shard *sh = slot->shard;
	struct attr eff;
	char *buf;
	size_t i;

	if ((buf = calloc(1, RES_DISCOVER_MAX)) == NULL)
		return NULL;
	if (slot->kind == RES_ONE) {
		obs_effective(&slot->obs, 0, &eff);
		res_link(buf, RES_DISCOVER_MAX, slot, &eff);
		return buf;
	}
	res_link(buf, RES_DISCOVER_MAX, slot, &slot->wa);
	for (i = 0; slot->kind == RES_OBJECT && i < sh->nslots; i++)
		if (sh->slots[i].kind == RES_INSTANCE &&
		    sh->slots[i].oid == slot->oid)
			res_link(buf, RES_DISCOVER_MAX, &sh->slots[i],
			    &sh->slots[i].wa);
	for (i = 0; i < sh->nslots; i++)
		if (sh->slots[i].kind == RES_ONE &&
		    sh->slots[i].oid == slot->oid)
			res_link(buf, RES_DISCOVER_MAX, &sh->slots[i],
			    &sh->slots[i].wa);
	return buf;
}

/* d's Firmware Update object, to read. */
static const struct fw *
res_fw_read(struct node_dev *d)
{
	return d->node->fwops->read(d);
}

/* d's Firmware Update object, to change (NULL: out of memory). */
static struct fw *
res_fw(struct node_dev *d)
{
	return d->node->fwops->get(d);
}

/* The body of a GET of slot in format cf (-1: the default). */
static enum node_result
res_read(struct res_slot *slot, struct node_dev *d, int accept,
    uint16_t *cf, char **text, char *err, size_t errlen)
{
	struct node *n = d->node;
	struct obj_value v;
	enum node_result res;
	char buf[OBJ_STR_MAX + 32];
	size_t blen;

	*text = NULL;
	if (accept == CF_LINKS && (slot->kind == RES_ONE ||
	    slot->kind == RES_INSTANCE || slot->kind == RES_OBJECT)) {
		*cf = CF_LINKS;
		*text = res_discover(slot);
		return NODE_OK;
	}
	switch (slot->kind) {
	case RES_ONE:
		/* An opaque resource read whole (LogData). */
		if (obj_read_blob(&n->obj, d->ep, res_fw_read(d), slot->oid,
		    slot->rid, text, &blen, &res, err, errlen) == 0) {
			if (accept == -1 || accept == CF_OPAQUE) {
				*cf = CF_OPAQUE;
				return res;
			}
			free(*text);
			*text = NULL;
			snprintf(err, errlen, "Accept %d: this resource reads "
			    "as application/octet-stream (42)", accept);
			return NODE_NOT_ACCEPTABLE;
		}
		/* A multiple resource has no text/plain form. */
		if (accept == CF_SENML || (accept == -1 && res_dim(slot) >= 0)) {
			*cf = CF_SENML;
			*text = obj_read_one_senml(&n->obj, d->ep,
			    res_fw_read(d), slot->oid, slot->rid, &res, err,
			    errlen);
			return res;
		}
		if (accept != -1 && accept != CF_TEXT)
			break;
		if ((res = obj_read(&n->obj, d->ep, res_fw_read(d), slot->oid,
		    slot->rid, &v, err, errlen)) != NODE_OK)
			return res;
		*cf = CF_TEXT;
		if (obj_value_text(&v, buf, sizeof(buf)) < 0)
			return NODE_INTERNAL;
		*text = strdup(buf);
		return NODE_OK;
	case RES_INSTANCE:
	case RES_OBJECT:
		if (accept != -1 && accept != CF_SENML)
			break;
		*cf = CF_SENML;
		*text = obj_read_senml(&n->obj, d->ep, res_fw_read(d),
		    slot->oid, err, errlen);
		return NODE_OK;
	case RES_HEALTH:
	case RES_CONFIG:
		if (accept != -1 && accept != CF_JSON)
			break;
		*cf = CF_JSON;
		*text = res_json(slot->kind == RES_HEALTH ?
		    health_json(health_sample(&n->health, node_now_ms())) :
		    rconf_render(&n->cfg));
		return NODE_OK;
	}
	snprintf(err, errlen, "Accept %d: this resource reads as %s", accept,
	    slot->kind == RES_ONE ? "text/plain (0) or SenML JSON (110)" :
	    slot->kind == RES_INSTANCE || slot->kind == RES_OBJECT ?
	    "SenML JSON (110) or link-format (40, Discover)" :
	    "application/json (50)");
	return NODE_NOT_ACCEPTABLE;
}

/* GET of any resource; also makes libcoap's notifications. */
static void
res_get(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
    const coap_string_t *query, coap_pdu_t *resp)
{
	struct res_slot *slot = coap_resource_get_userdata(r);
	struct node_dev *d = link_dev_of(slot->shard, s);
	coap_opt_iterator_t it;
	enum node_result res;
	struct attr a;
	uint16_t cf = 0;
	char err[160], *text;

	if (res_drop(d->node, resp))
		return;
	reply_activity(d);
	if (res_attrs(req, slot, 0, &a, err, sizeof(err)) == -1) {
		reply_result(resp, NODE_BAD_REQUEST, err);
		return;
	}
	res = res_read(slot, d, reply_uint_option(req, COAP_OPTION_ACCEPT), &cf,
	    &text, err, sizeof(err));
	if (res != NODE_OK) {
		reply_result(resp, res, err);
		return;
	}
	if (reply_uint_option(req, COAP_OPTION_OBSERVE) ==
	    COAP_OBSERVE_ESTABLISH &&
	    coap_check_option(resp, COAP_OPTION_OBSERVE, &it) != NULL)
		obs_start(&slot->obs, &a);
	reply_content(r, s, req, resp, query, cf, text);
}

/* After a /config write: every device takes the new parameters. */
static void
res_params_changed(struct node *n)
{
	int64_t now = node_now_ms();
	size_t i;

	node_params(&n->params, &n->cfg);
	for (i = 0; i < n->ndevs; i++) {
		if (n->devs[i].bsc != NULL)
			bsc_params(&n->devs[i]);
		reg_params_changed(&n->devs[i].reg, now);
	}
}

/*
 * A /config write: validated into a copy, merged into the overrides, kept
 * on disk (synchronously: rare, small, and a 2.04 must mean it is kept),
 * then swapped in and applied.
 */
static enum node_result
res_config_write(struct node *n, const uint8_t *body, size_t len, char *err,
    size_t errlen)
{
	struct node_config fresh = n->cfg, was;
	cJSON *doc, *merged;
	char *what;

	if (rconf_apply(&fresh, (const char *)body, len, &doc, err, errlen) ==
	    -1)
		return NODE_BAD_REQUEST;
	if ((merged = cJSON_Duplicate(n->overrides, 1)) == NULL ||
	    rconf_merge(merged, doc) == -1) {
		cJSON_Delete(merged);
		cJSON_Delete(doc);
		snprintf(err, errlen, "out of memory");
		return NODE_INTERNAL;
	}
	/* What was written goes to the log: an operator's audit trail of
	 * remote changes (the node's config holds no secrets). */
	what = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	if (rconf_store(n->cfg.config_path, merged, err, errlen) == -1) {
		free(what);
		log_warnx("config: not changed: %s", err);
		cJSON_Delete(merged);
		return NODE_INTERNAL;
	}
	cJSON_Delete(n->overrides);
	n->overrides = merged;
	was = n->cfg;
	n->cfg = fresh;
	log_set_level((enum log_level)n->cfg.log_level);
	res_params_changed(n);
	obj_reconfigured(&n->obj, &was);
	log_info("config: changed %.200s and kept in %s", what ? what : "",
	    n->cfg.config_path);
	free(what);
	return NODE_OK;
}

/*
 * Write-Attributes (PUT with attributes and no body): the attributes of
 * this level, for the observations of it and of what it holds, now and
 * later. Nothing changes when the result breaks a rule (4.00).
 */
static enum node_result
res_write_attrs(struct res_slot *slot, const struct attr *a, char *err,
    size_t errlen)
{
	struct shard *sh = slot->shard;
	struct attr out;
	size_t i;

	if (attr_write(&slot->wa, a, res_is_resource(slot), res_numeric(slot),
	    &out, err, errlen) == -1)
		return NODE_BAD_REQUEST;
	slot->wa = out;
	for (i = 0; i < sh->nslots; i++)
		if (&sh->slots[i] == slot || (sh->slots[i].oid == slot->oid &&
		    slot->kind != RES_ONE && slot->kind != RES_HEALTH &&
		    slot->kind != RES_CONFIG))
			obs_attrs_changed(&sh->slots[i].obs);
	return NODE_OK;
}

/* What a write of d started is run once it is answered. */
static void
res_written(struct node_dev *d, enum obj_action act)
{
	if (act == OBJ_ACTION_DOWNLOAD)
		d->node->fwops->pull(d);
	else if (act == OBJ_ACTION_SOFTWARE)
		nsw_run(d->node);
}

/* PUT: a write of a resource (/3/0/14, /5/0/1, /9/0/3...), of /config,
 * or Write-Attributes. */
static void
res_put(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
    const coap_string_t *query, coap_pdu_t *resp)
{
	struct res_slot *slot = coap_resource_get_userdata(r);
	struct node_dev *d = link_dev_of(slot->shard, s);
	struct node *n = d->node;
	enum obj_action act;
	enum node_result res;
	struct fw *fw;
	const uint8_t *body;
	struct attr a;
	size_t len;
	char err[320];
	int cf = reply_uint_option(req, COAP_OPTION_CONTENT_FORMAT);

	(void)query;
	if (res_drop(n, resp))
		return;
	reply_activity(d);
	if (res_attrs(req, slot, 1, &a, err, sizeof(err)) == -1) {
		reply_result(resp, NODE_BAD_REQUEST, err);
		return;
	}
	reply_body(req, &body, &len);
	if (len == 0 && (a.set | a.clear) != 0) {
		reply_result(resp, res_write_attrs(slot, &a, err, sizeof(err)),
		    err);
		return;
	}
	if (slot->kind == RES_HEALTH || slot->kind == RES_INSTANCE ||
	    slot->kind == RES_OBJECT) {
		reply_result(resp, NODE_NOT_ALLOWED, "not writable");
		return;
	}
	if (slot->kind == RES_CONFIG) {
		if (cf != -1 && cf != CF_JSON) {
			reply_result(resp, NODE_BAD_FORMAT, "write /config as "
			    "application/json (50)");
			return;
		}
		if (len > RCONF_DOC_MAX) {
			snprintf(err, sizeof(err), "document of %zu bytes is "
			    "over the limit of %d", len, RCONF_DOC_MAX);
			reply_result(resp, NODE_TOO_LARGE, err);
			return;
		}
		res = res_config_write(n, body, len, err, sizeof(err));
		reply_result(resp, res, err);
		if (res == NODE_OK)
			obs_changed(&slot->obs);
		return;
	}
	if (cf == CF_OPAQUE && !res_opaque(slot)) {
		reply_result(resp, NODE_BAD_FORMAT, "write as text/plain (0) "
		    "or TLV (11542)");
		return;
	}
	if ((fw = res_fw(d)) == NULL) {
		reply_result(resp, NODE_INTERNAL, "out of memory");
		return;
	}
	res = obj_write_cf(&n->obj, fw, slot->oid, slot->rid, cf, body, len,
	    &act, err, sizeof(err));
	reply_result(resp, res, err);
	res_written(d, act);
}

/* POST of an instance: a partial write (TLV). */
static void
res_partial(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
    const coap_string_t *query, coap_pdu_t *resp)
{
	struct res_slot *slot = coap_resource_get_userdata(r);
	struct node_dev *d = link_dev_of(slot->shard, s);
	struct node *n = d->node;
	enum obj_action act;
	enum node_result res;
	const uint8_t *body;
	struct fw *fw;
	size_t len;
	char err[320];

	(void)query;
	if (res_drop(n, resp))
		return;
	reply_activity(d);
	if (reply_uint_option(req, COAP_OPTION_CONTENT_FORMAT) != CF_TLV) {
		reply_result(resp, NODE_BAD_FORMAT, "a partial write is TLV "
		    "(11542)");
		return;
	}
	if ((fw = res_fw(d)) == NULL) {
		reply_result(resp, NODE_INTERNAL, "out of memory");
		return;
	}
	reply_body(req, &body, &len);
	res = obj_write_partial(&n->obj, fw, slot->oid, body, len, &act, err,
	    sizeof(err));
	reply_result(resp, res, err);
	res_written(d, act);
}

/* POST: execute. */
static void
res_post(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
    const coap_string_t *query, coap_pdu_t *resp)
{
	struct res_slot *slot = coap_resource_get_userdata(r);
	struct node_dev *d = link_dev_of(slot->shard, s);
	struct node *n = d->node;
	enum obj_action act;
	enum node_result res;
	struct attr a;
	struct fw *fw;
	const uint8_t *arg;
	size_t len;
	char err[160];

	(void)query;
	if (res_drop(n, resp))
		return;
	reply_activity(d);
	if (res_attrs(req, slot, 0, &a, err, sizeof(err)) == -1) {
		reply_result(resp, NODE_BAD_REQUEST, err);
		return;
	}
	if (coap_pdu_get_type(req) == COAP_MESSAGE_CON &&
	    n->exec_session == s && n->exec_mid == coap_pdu_get_mid(req)) {
		reply_result(resp, (enum node_result)n->exec_res, NULL);
		return;		/* a retransmission: done already */
	}
	if ((fw = res_fw(d)) == NULL) {
		reply_result(resp, NODE_INTERNAL, "out of memory");
		return;
	}
	reply_body(req, &arg, &len);
	res = obj_execute_args(&n->obj, fw, slot->oid, slot->rid, arg, len,
	    &act, err, sizeof(err));
	reply_result(resp, res, err);
	n->exec_session = s;
	n->exec_mid = coap_pdu_get_mid(req);
	n->exec_res = res;
	if (res != NODE_OK)
		return;
	if (act == OBJ_ACTION_UPDATE) {
		n->fwops->update(d);
		return;
	}
	if (act == OBJ_ACTION_SOFTWARE) {
		nsw_run(n);
		return;
	}
	if (n->cfg.fleet > 0) {
		log_debug("%s: execute /%u/0/%u (a fleet runs no command)",
		    d->ep, slot->oid, slot->rid);
		return;
	}
	if (act == OBJ_ACTION_REBOOT)
		exec_run(n, "reboot", n->cfg.reboot_command);
	else if (act == OBJ_ACTION_FACTORY_RESET)
		exec_run(n, "factory reset", n->cfg.factory_reset_command);
}

/* Adds one resource to the shard as slot, observed as ok says. */
static int
res_add(struct shard *sh, struct res_slot *slot, const char *path,
    enum res_kind kind, uint16_t oid, uint16_t rid, int ops,
    enum obs_kind ok)
{
	coap_resource_t *r;

	if ((r = coap_resource_init(coap_make_str_const(path), 0)) == NULL)
		return -1;
	slot->shard = sh;
	slot->res = r;
	slot->kind = kind;
	slot->oid = oid;
	slot->rid = rid;
	coap_resource_set_userdata(r, slot);
	/* Every method that has a meaning somewhere gets a handler, so that
	 * the answer says why it is not allowed here. */
	coap_register_request_handler(r, COAP_REQUEST_GET, res_get);
	coap_register_request_handler(r, COAP_REQUEST_PUT, res_put);
	if (kind == RES_ONE)
		coap_register_request_handler(r, COAP_REQUEST_POST, res_post);
	else if (kind == RES_INSTANCE)
		coap_register_request_handler(r, COAP_REQUEST_POST,
		    res_partial);
	if (ops & OBJ_R)	/* libcoap lists it with "obs" */
		coap_resource_set_get_observable(r, 1);
	switch (kind) {
	case RES_INSTANCE:
	case RES_OBJECT:
		coap_add_attr(r, coap_make_str_const("ct"),
		    coap_make_str_const("110"), 0);
		break;
	case RES_HEALTH:
		coap_add_attr(r, coap_make_str_const("rt"),
		    coap_make_str_const("\"outpost.health\""), 0);
		coap_add_attr(r, coap_make_str_const("ct"),
		    coap_make_str_const("50"), 0);
		break;
	case RES_CONFIG:
		coap_add_attr(r, coap_make_str_const("rt"),
		    coap_make_str_const("\"outpost.config\""), 0);
		coap_add_attr(r, coap_make_str_const("ct"),
		    coap_make_str_const("50"), 0);
		break;
	case RES_ONE:
		break;
	}
	obs_init(&slot->obs, slot, ok);
	coap_add_resource(sh->ctx, r);
	return 0;
}

/* How a resource whose value changes as obs says is observed. */
static enum obs_kind
res_obs_kind(enum obj_obs obs)
{
	switch (obs) {
	case OBJ_OBS_TICK:
		return OBS_TICK;
	case OBJ_OBS_SAMPLED:
		return OBS_SAMPLED;
	default:
		return OBS_EVENT;
	}
}

/* An instance is sampled when any of its resources is: its figures move
 * outside the agent. */
static enum obs_kind
res_instance_obs(const struct obj_def *def)
{
	size_t i;

	for (i = 0; i < def->nres; i++)
		if (def->res[i].obs == OBJ_OBS_SAMPLED)
			return OBS_SAMPLED;
	return OBS_EVENT;
}

/* The slot of kind for oid among the first n of sh; NULL if none. */
static struct res_slot *
res_find(struct shard *sh, size_t n, enum res_kind kind, uint16_t oid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (sh->slots[i].kind == kind && sh->slots[i].oid == oid)
			return &sh->slots[i];
	return NULL;
}

/*
 * The resources of the node object table: every resource of every object
 * (/O/0/N), then each object's instance (/O/0), then each object (/O), in
 * table order; each resource's attributes inherit from its instance's,
 * whose inherit from its object's.
 */
static int
res_init_objects(struct shard *sh, const struct obj_def *const *table,
    size_t *k)
{
	const struct obj_def *const *def;
	const struct obj_res *r;
	struct res_slot *slot;
	char path[24];
	size_t i, first = *k;

	for (def = table; *def != NULL; def++)
		for (i = 0; !(*def)->account && i < (*def)->nres; i++) {
			r = &(*def)->res[i];
			snprintf(path, sizeof(path), "%u/0/%u", (*def)->oid,
			    r->rid);
			if (res_add(sh, &sh->slots[(*k)++], path, RES_ONE,
			    (*def)->oid, r->rid, r->ops,
			    res_obs_kind((enum obj_obs)r->obs)) == -1)
				return -1;
		}
	for (def = table; *def != NULL; def++) {
		if ((*def)->account)
			continue;	/* bsres.c's */
		snprintf(path, sizeof(path), "%u/0", (*def)->oid);
		if (res_add(sh, &sh->slots[(*k)++], path, RES_INSTANCE,
		    (*def)->oid, 0, OBJ_R, res_instance_obs(*def)) == -1)
			return -1;
	}
	for (def = table; *def != NULL; def++) {
		if ((*def)->account)
			continue;	/* bsres.c's */
		snprintf(path, sizeof(path), "%u", (*def)->oid);
		if (res_add(sh, &sh->slots[(*k)++], path, RES_OBJECT,
		    (*def)->oid, 0, OBJ_R, res_instance_obs(*def)) == -1)
			return -1;
	}
	for (i = first; i < *k; i++) {
		slot = &sh->slots[i];
		if (slot->kind == RES_ONE)
			slot->up = res_find(sh, *k, RES_INSTANCE, slot->oid);
		else if (slot->kind == RES_INSTANCE)
			slot->up = res_find(sh, *k, RES_OBJECT, slot->oid);
	}
	return 0;
}

int
res_init(struct shard *sh, int fleet)
{
	const struct obj_def *const *table = sh->node->obj.table;
	const struct obj_def *const *def;
	size_t n = 2, k = 0;	/* /health, /config */

	for (def = table; *def != NULL; def++)
		n += (*def)->nres + 2;
	if ((sh->slots = calloc(n, sizeof(*sh->slots))) == NULL)
		return -1;
	if (res_init_objects(sh, table, &k) == -1 || compres_init(sh) == -1 ||
	    res_add(sh, &sh->slots[k++], "health", RES_HEALTH, 0, 0, OBJ_R,
	    OBS_SAMPLED) == -1 ||
	    (!fleet && res_add(sh, &sh->slots[k++], "config", RES_CONFIG, 0, 0,
	    OBJ_R | OBJ_W, OBS_EVENT) == -1) || bsres_init(sh) == -1)
		return -1;
	sh->nslots = k;
	return 0;
}

void
res_free(struct shard *sh)
{
	size_t i;

	for (i = 0; i < sh->nslots; i++)
		obs_free(&sh->slots[i].obs);
	compres_free(sh);
	free(sh->slots);
	sh->slots = NULL;
	sh->nslots = 0;
}

void
res_obj_changed(void *arg, const struct fw *fw, uint16_t oid, uint16_t rid)
{
	struct node *n = arg;
	struct node_dev *d = n->fwops != NULL ? n->fwops->dev_of(n, fw) :
	    NULL;
	size_t i, j;

	/* A fleet device's observers are in its shard; libcoap builds each
	 * observer's notification from its own device's values, so the other
	 * devices of the shard that observe the resource hear their
	 * unchanged value again (RFC 7641 allows it). */
	for (i = 0; i < n->nshards; i++) {
		struct shard *sh = n->shards[i];

		if (d != NULL && sh != d->shard)
			continue;
		for (j = 0; j < sh->nslots; j++) {
			struct res_slot *slot = &sh->slots[j];

			if (slot->oid != oid || (slot->kind != RES_INSTANCE &&
			    slot->kind != RES_OBJECT &&
			    (slot->kind != RES_ONE || slot->rid != rid)))
				continue;
			obs_changed(&slot->obs);
		}
	}
}
