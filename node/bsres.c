/*
 * bsres.c: the CoAP resources of the Bootstrap interface and of a
 * device's account, in each shard, when [node] bootstrap is set:
 *
 *   /       GET (Accept 40): Bootstrap-Discover; DELETE: Bootstrap-Delete
 *   /bs     POST: Bootstrap-Finish
 *   /0.., /1..  (libcoap's unknown resource: instances come and go)
 *           GET: read (text/plain for one resource, SenML JSON, or
 *           Discover); PUT: Bootstrap-Write, or a DM server's write of
 *           /1; POST: execute /1/x/8, /1/x/9; DELETE: Bootstrap-Delete
 *
 * Who asks decides: a request on the device's bootstrap session (bsc.c)
 * works on the bootstrap's working copy; any other works on the account
 * in use, and may not touch /0 at all (4.01, as Anjay answers). The
 * Secret Key is read by nobody.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "node/bsc.h"
#include "node/senml.h"

#define CF_TEXT		COAP_MEDIATYPE_TEXT_PLAIN
#define CF_SENML	COAP_MEDIATYPE_APPLICATION_SENML_JSON
#define CF_LINKS	COAP_MEDIATYPE_APPLICATION_LINK_FORMAT
#define BSRES_LINKS_MAX	1024
#define BSRES_RECS_MAX	(ACCT_SEC_MAX * 16)

extern const struct obj_def obj_security, obj_server;

/* A request's path under an account object: /oid[/iid[/rid]]. */
struct bsres_path {
	int	oid, iid, rid;		/* -1: not in the path */
};

/* Reads the Uri-Path of req as up to three numbers. Returns 0, or -1 when
 * it is no such path. */
static int
bsres_path(const coap_pdu_t *req, struct bsres_path *p)
{
	coap_opt_iterator_t it;
	coap_opt_t *opt;
	int part[3] = { -1, -1, -1 }, k = 0;
	const uint8_t *v;
	size_t len, i;
	long n;

	coap_option_iterator_init(req, &it, COAP_OPT_ALL);
	while ((opt = coap_option_next(&it)) != NULL) {
		if (it.number != COAP_OPTION_URI_PATH)
			continue;
		v = coap_opt_value(opt);
		len = coap_opt_length(opt);
		if (k == 3 || len == 0 || len > 5)
			return -1;
		for (i = 0, n = 0; i < len; i++) {
			if (v[i] < '0' || v[i] > '9')
				return -1;
			n = n * 10 + (v[i] - '0');
		}
		if (n > 65535)
			return -1;
		part[k++] = (int)n;
	}
	if (k == 0 || part[0] > OBJ_SERVER)
		return -1;
	p->oid = part[0];
	p->iid = part[1];
	p->rid = part[2];
	return 0;
}

static const struct obj_def *
bsres_def(int oid)
{
	return oid == OBJ_SECURITY ? &obj_security : &obj_server;
}

/* Whether instance iid of oid is in a. */
static int
bsres_has(struct acct *a, int oid, int iid)
{
	return oid == OBJ_SECURITY ? acct_sec_find(a, (uint16_t)iid) != NULL :
	    acct_srv_find(a, (uint16_t)iid) != NULL;
}

/* The value of /oid/iid/rid (an instance of a, a readable row). */
static void
bsres_value(struct acct *a, int oid, int iid, uint16_t rid,
    struct obj_value *v)
{
	if (oid == OBJ_SECURITY)
		acct_sec_read(acct_sec_find(a, (uint16_t)iid), rid, v);
	else
		acct_srv_read(acct_srv_find(a, (uint16_t)iid), rid, v);
}

/* The iid of the k-th instance of oid in a, or -1 past the last. */
static int
bsres_iid(const struct acct *a, int oid, size_t k)
{
	if (oid == OBJ_SECURITY)
		return k < a->nsec ? a->sec[k].iid : -1;
	return k < a->nsrv ? a->srv[k].iid : -1;
}

/* Appends "</oid/iid[/rid]>" to buf. */
static void
bsres_link(char *buf, size_t size, int oid, int iid, int rid)
{
	size_t len = strlen(buf);

	if (rid < 0)
		snprintf(buf + len, size - len, "%s</%d/%d>", len ? "," : "",
		    oid, iid);
	else
		snprintf(buf + len, size - len, "%s</%d/%d/%d>", len ? "," :
		    "", oid, iid, rid);
}

/* Discover of p: each instance named and its resources (the Secret
 * Key's too: Discover shows no value). */
static char *
bsres_discover(struct acct *a, const struct bsres_path *p)
{
	const struct obj_def *def = bsres_def(p->oid);
	char *buf;
	size_t k, i;
	int iid;

	if ((buf = calloc(1, BSRES_LINKS_MAX)) == NULL)
		return NULL;
	if (p->rid >= 0) {
		bsres_link(buf, BSRES_LINKS_MAX, p->oid, p->iid, p->rid);
		return buf;
	}
	for (k = 0; (iid = bsres_iid(a, p->oid, k)) >= 0; k++) {
		if (p->iid >= 0 && iid != p->iid)
			continue;
		bsres_link(buf, BSRES_LINKS_MAX, p->oid, iid, -1);
		for (i = 0; i < def->nres; i++)
			bsres_link(buf, BSRES_LINKS_MAX, p->oid, iid,
			    def->res[i].rid);
	}
	return buf;
}

/* A read of p as SenML JSON: every readable resource of the instances
 * named. */
static char *
bsres_senml(struct acct *a, const struct bsres_path *p)
{
	const struct obj_def *def = bsres_def(p->oid);
	struct obj_value *vals;
	struct senml_rec recs[BSRES_RECS_MAX];
	char names[BSRES_RECS_MAX][16], bn[24], *out;
	size_t k, i, n = 0;
	int iid;

	if ((vals = calloc(BSRES_RECS_MAX, sizeof(*vals))) == NULL)
		return NULL;
	for (k = 0; (iid = bsres_iid(a, p->oid, k)) >= 0; k++) {
		if (p->iid >= 0 && iid != p->iid)
			continue;
		for (i = 0; i < def->nres && n < BSRES_RECS_MAX; i++) {
			if (!(def->res[i].ops & OBJ_R) || (p->rid >= 0 &&
			    def->res[i].rid != p->rid))
				continue;
			bsres_value(a, p->oid, iid, def->res[i].rid, &vals[n]);
			if (p->rid >= 0)
				names[n][0] = '\0';
			else if (p->iid >= 0)
				snprintf(names[n], sizeof(names[n]), "%u",
				    def->res[i].rid);
			else
				snprintf(names[n], sizeof(names[n]), "%d/%u",
				    iid, def->res[i].rid);
			recs[n].name = names[n];
			recs[n].value = &vals[n];
			n++;
		}
	}
	if (p->rid >= 0)
		snprintf(bn, sizeof(bn), "/%d/%d/%d", p->oid, p->iid, p->rid);
	else if (p->iid >= 0)
		snprintf(bn, sizeof(bn), "/%d/%d/", p->oid, p->iid);
	else
		snprintf(bn, sizeof(bn), "/%d/", p->oid);
	out = senml_encode(bn, recs, n);
	explicit_bzero(vals, BSRES_RECS_MAX * sizeof(*vals));
	free(vals);
	return out;
}

/*
 * Who may act on p: the account a request on s works on (the working
 * copy for the bootstrap server; the one in use for others, which may
 * not touch /0), or NULL with the result to answer.
 */
static struct acct *
bsres_acct(struct node_dev *d, coap_session_t *s, const struct bsres_path *p,
    int *bootstrap, enum node_result *res, const char **why)
{
	struct acct *work = bsc_serving(d, s);

	*bootstrap = work != NULL;
	if (work != NULL)
		return work;
	if (p->oid == OBJ_SECURITY) {
		*res = NODE_UNAUTHORIZED;
		*why = "/0 Security is the bootstrap server's only";
		return NULL;
	}
	if (!d->bsc->has) {
		*res = NODE_NOT_FOUND;
		*why = "no account yet";
		return NULL;
	}
	return &d->bsc->acct;
}

/*
 * The start of a request on an account path: the device it is for (*dp,
 * its activity noted), the path, and the account the request works on
 * (bsres_acct; *bs set for the bootstrap server's). NULL once answered:
 * no such path, or bsres_acct's refusal.
 */
static struct acct *
bsres_open(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
    coap_pdu_t *resp, struct node_dev **dp, struct bsres_path *p, int *bs)
{
	struct shard *sh = coap_resource_get_userdata(r);
	struct node_dev *d = link_dev_of(sh, s);
	enum node_result res = NODE_NOT_FOUND;
	const char *why = "no such resource";
	struct acct *a;

	*dp = d;
	reply_activity(d);
	if (bsres_path(req, p) == -1 ||
	    (a = bsres_acct(d, s, p, bs, &res, &why)) == NULL) {
		reply_result(resp, res, why);
		return NULL;
	}
	return a;
}

static void
bsres_get(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
    const coap_string_t *query, coap_pdu_t *resp)
{
	struct node_dev *d;
	struct bsres_path p;
	const struct obj_res *row = NULL;
	enum node_result res;
	const char *why = "no such resource";
	struct obj_value v;
	struct acct *a;
	char buf[OBJ_STR_MAX + 32];
	int accept = reply_uint_option(req, COAP_OPTION_ACCEPT), bs;

	if ((a = bsres_open(r, s, req, resp, &d, &p, &bs)) == NULL)
		return;
	if ((p.iid >= 0 && !bsres_has(a, p.oid, p.iid)) || (p.rid >= 0 &&
	    (row = obj_res_find(bsres_def(p.oid), (uint16_t)p.rid)) == NULL)) {
		res = NODE_NOT_FOUND;
		why = "no such instance or resource";
		goto fail;
	}
	if (accept == CF_LINKS) {
		reply_content(r, s, req, resp, query, CF_LINKS,
		    bsres_discover(a, &p));
		return;
	}
	if (row != NULL && !(row->ops & OBJ_R)) {
		res = NODE_NOT_ALLOWED;
		why = p.oid == OBJ_SECURITY ? "the Secret Key is never read" :
		    "an executable resource";
		goto fail;
	}
	if (row != NULL && row->type != OBJ_OPAQUE && (accept == -1 ||
	    accept == CF_TEXT)) {
		bsres_value(a, p.oid, p.iid, (uint16_t)p.rid, &v);
		if (obj_value_text(&v, buf, sizeof(buf)) < 0) {
			res = NODE_INTERNAL;
			goto fail;
		}
		reply_content(r, s, req, resp, query, CF_TEXT, strdup(buf));
		return;
	}
	if (accept == -1 || accept == CF_SENML) {
		reply_content(r, s, req, resp, query, CF_SENML,
		    bsres_senml(a, &p));
		return;
	}
	res = NODE_NOT_ACCEPTABLE;
	why = "reads as text/plain (0), SenML JSON (110) or link-format (40)";
fail:
	reply_result(resp, res, why);
}

static void
bsres_put(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
    const coap_string_t *query, coap_pdu_t *resp)
{
	struct node_dev *d;
	struct bsres_path p;
	enum node_result res;
	const uint8_t *body;
	struct acct *a, copy;
	char err[320];
	size_t len;
	int cf = reply_uint_option(req, COAP_OPTION_CONTENT_FORMAT), bs;

	(void)query;
	if ((a = bsres_open(r, s, req, resp, &d, &p, &bs)) == NULL)
		return;
	reply_body(req, &body, &len);
	if (cf == -1)
		cf = p.rid >= 0 ? ACCT_CF_TEXT : -1;
	if (bs) {
		res = acct_write(a, cf, (uint16_t)p.oid, p.iid, p.rid, body,
		    len, 1, err, sizeof(err));
		if (res != NODE_OK)
			log_warnx("%s: Bootstrap-Write of /%d%s: %s", d->ep,
			    p.oid, p.iid >= 0 ? "/.." : "", err);
		reply_result(resp, res, err);
		return;
	}
	if (p.iid < 0 || !bsres_has(a, p.oid, p.iid)) {
		reply_result(resp, p.iid < 0 ? NODE_NOT_ALLOWED :
		    NODE_NOT_FOUND, p.iid < 0 ? "write an instance of /1" :
		    "no such instance");
		return;
	}
	copy = *a;
	if ((res = acct_write(&copy, cf, (uint16_t)p.oid, p.iid, p.rid, body,
	    len, 0, err, sizeof(err))) == NODE_OK &&
	    (res = bsc_dm_write(d, &copy, err, sizeof(err))) == NODE_OK)
		log_info("%s: /1/%d written by the server: lifetime %u s, "
		    "binding %s", d->ep, p.iid, d->bsc->params.lifetime,
		    d->bsc->params.queue ? "UQ" : "U");
	explicit_bzero(&copy, sizeof(copy));
	reply_result(resp, res, err);
}

static void
bsres_post(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
    const coap_string_t *query, coap_pdu_t *resp)
{
	struct node_dev *d;
	const struct obj_res *row;
	struct bsres_path p;
	enum node_result res = NODE_NOT_FOUND;
	const char *why = "no such resource";
	struct acct *a;
	int bs;

	(void)query;
	if ((a = bsres_open(r, s, req, resp, &d, &p, &bs)) == NULL)
		return;
	if (bs || p.rid < 0) {
		res = NODE_NOT_ALLOWED;
		why = bs ? "the bootstrap server executes nothing" :
		    "no instance is created here";
		goto out;
	}
	if (!bsres_has(a, p.oid, p.iid) || (row = obj_res_find(
	    bsres_def(p.oid), (uint16_t)p.rid)) == NULL) {
		res = NODE_NOT_FOUND;
		goto out;
	}
	if (row->ops != OBJ_E) {
		res = NODE_NOT_ALLOWED;
		why = "not executable";
		goto out;
	}
	res = NODE_OK;
	if (p.rid == 8) {
		log_info("%s: Registration Update Trigger", d->ep);
		reg_update_now(&d->reg, node_now_ms());
	} else
		bsc_trigger(d);
out:
	reply_result(resp, res, why);
}

/* DELETE of / (root is 1) or of an account path: Bootstrap-Delete. */
static void
bsres_remove(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
    coap_pdu_t *resp, int root)
{
	struct shard *sh = coap_resource_get_userdata(r);
	struct node_dev *d = link_dev_of(sh, s);
	struct bsres_path p = { -1, -1, -1 };
	struct acct *a;
	enum node_result res;
	char err[160];

	reply_activity(d);
	if ((a = bsc_serving(d, s)) == NULL) {
		reply_result(resp, NODE_NOT_ALLOWED, "Bootstrap-Delete is the "
		    "bootstrap server's");
		return;
	}
	if (!root && (bsres_path(req, &p) == -1 || p.rid >= 0)) {
		reply_result(resp, p.rid >= 0 ? NODE_NOT_ALLOWED :
		    NODE_NOT_FOUND, "Bootstrap-Delete of /, /0, /1 or an instance");
		return;
	}
	if ((res = acct_delete(a, p.oid, p.iid, err, sizeof(err))) !=
	    NODE_OK) {
		reply_result(resp, res, err);
		return;
	}
	if (root)
		log_debug("%s: Bootstrap-Delete of /", d->ep);
	else
		log_debug("%s: Bootstrap-Delete of /%d%s", d->ep, p.oid,
		    p.iid >= 0 ? "/<instance>" : "");
	coap_pdu_set_code(resp, COAP_RESPONSE_CODE_DELETED);
}

static void
bsres_delete(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
    const coap_string_t *query, coap_pdu_t *resp)
{
	(void)query;
	bsres_remove(r, s, req, resp, 0);
}

static void
bsres_root_delete(coap_resource_t *r, coap_session_t *s,
    const coap_pdu_t *req, const coap_string_t *query, coap_pdu_t *resp)
{
	(void)query;
	bsres_remove(r, s, req, resp, 1);
}

/* GET / with Accept 40: Bootstrap-Discover (LwM2M 1.1 5.2.7.1): the
 * version, the account's instances with their ssid, the other objects. */
static void
bsres_root_get(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
    const coap_string_t *query, coap_pdu_t *resp)
{
	struct shard *sh = coap_resource_get_userdata(r);
	struct node_dev *d = link_dev_of(sh, s);
	struct acct *a;
	char *buf;
	size_t len;

	reply_activity(d);
	if ((a = bsc_serving(d, s)) == NULL) {
		reply_result(resp, NODE_NOT_ALLOWED, "Discover of / is the "
		    "bootstrap server's");
		return;
	}
	if (reply_uint_option(req, COAP_OPTION_ACCEPT) != CF_LINKS) {
		reply_result(resp, NODE_NOT_ACCEPTABLE, "Bootstrap-Discover "
		    "answers link-format (40) only");
		return;
	}
	if ((buf = calloc(1, BSRES_LINKS_MAX)) == NULL) {
		reply_result(resp, NODE_INTERNAL, "out of memory");
		return;
	}
	snprintf(buf, BSRES_LINKS_MAX, "</>;lwm2m=1.1");
	if (acct_links(a, 0, buf, BSRES_LINKS_MAX) == -1 ||
	    (len = strlen(buf)) + 2 >= BSRES_LINKS_MAX ||
	    (buf[len] = ',', obj_links(sh->node->obj.table, buf + len + 1,
	    BSRES_LINKS_MAX - len - 1)) == -1) {
		free(buf);
		reply_result(resp, NODE_INTERNAL, "links too long");
		return;
	}
	log_debug("%s: Bootstrap-Discover: %s", d->ep, buf);
	reply_content(r, s, req, resp, query, CF_LINKS, buf);
}

/* POST /bs: Bootstrap-Finish. */
static void
bsres_finish(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
    const coap_string_t *query, coap_pdu_t *resp)
{
	struct shard *sh = coap_resource_get_userdata(r);
	struct node_dev *d = link_dev_of(sh, s);
	enum node_result res;
	char err[400] = "";

	(void)req;
	(void)query;
	if (bsc_serving(d, s) == NULL) {
		reply_result(resp, NODE_NOT_ALLOWED, "Bootstrap-Finish is the "
		    "bootstrap server's");
		return;
	}
	res = bsc_finish(d, err, sizeof(err));
	reply_result(resp, res, err);
}

/* A resource of path with handlers for get, put, post and delete (any may
 * be NULL); the unknown resource when unknown; the root (compres.c's,
 * which serves FETCH on it) when path is NULL. */
static int
bsres_add(struct shard *sh, const char *path, int unknown,
    coap_method_handler_t get, coap_method_handler_t put,
    coap_method_handler_t post, coap_method_handler_t del)
{
	coap_resource_t *r;

	if (unknown)
		r = coap_resource_unknown_init2(put, 0);
	else if (path == NULL)
		r = sh->root;
	else
		r = coap_resource_init(coap_make_str_const(path), 0);
	if (r == NULL)
		return -1;
	coap_resource_set_userdata(r, sh);
	if (get != NULL)
		coap_register_request_handler(r, COAP_REQUEST_GET, get);
	if (put != NULL && !unknown)
		coap_register_request_handler(r, COAP_REQUEST_PUT, put);
	if (post != NULL)
		coap_register_request_handler(r, COAP_REQUEST_POST, post);
	if (del != NULL)
		coap_register_request_handler(r, COAP_REQUEST_DELETE, del);
	if (r != sh->root)
		coap_add_resource(sh->ctx, r);
	return 0;
}

int
bsres_init(struct shard *sh)
{
	if (sh->node->bs_len == 0)
		return 0;
	if (bsres_add(sh, NULL, 0, bsres_root_get, NULL, NULL,
	    bsres_root_delete) == -1 ||
	    bsres_add(sh, "bs", 0, NULL, NULL, bsres_finish, NULL) == -1 ||
	    bsres_add(sh, NULL, 1, bsres_get, bsres_put, bsres_post,
	    bsres_delete) == -1) {
		log_warnx("coap: cannot add the bootstrap resources");
		return -1;
	}
	return 0;
}
