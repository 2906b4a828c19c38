/*
 * bootstrap.c: the Bootstrap server's domain (see bootstrap.h): the
 * configurations and factory credentials in the store, and the exchange
 * with each device, step by step, over the hooks of the CoAP face.
 *
 * An endpoint's configuration ("e" ep) is the operator's and only the API
 * writes it; its state ("s" ep) is the exchange's and only a run writes it.
 * Each writer writes its own record whole, so that a change staged by one
 * is never overwritten by the other from committed data.
 */
#include <sys/random.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <event2/event.h>

#include "gateway.h"
#include "log.h"
#include "cache/events.h"
#include "lwm2m/bsmsg.h"
#include "lwm2m/devmsg.h"
#include "lwm2m/senml.h"
#include "modules/device/bootstrap.h"
#include "modules/device/cred.h"
#include "modules/device/registry.h"
#include "modules/device/tags.h"
#include "store/store.h"

#define BS_KEYBUF	(1 + CRED_ID_MAX)
#define BS_RECORD_MAX	4096
#define BS_REASON_MAX	160

enum bs_state {
	BS_PENDING,
	BS_IN_PROGRESS,
	BS_DONE,
	BS_FAILED,
};

static const char *const bs_state_names[] = {
	"pending", "in_progress", "done", "failed"
};

/* The steps of an exchange, in order. */
enum bs_step {
	BS_STEP_DISCOVER,
	BS_STEP_DELETE_SECURITY,
	BS_STEP_DELETE_SERVER,
	BS_STEP_WRITE_SECURITY,
	BS_STEP_WRITE_SERVER,
	BS_STEP_FINISH,
	BS_STEP_COMMIT,		/* done staged, waiting for its commit */
};

static const char *const bs_step_names[] = {
	"Bootstrap-Discover", "Bootstrap-Delete /0", "Bootstrap-Delete /1",
	"Bootstrap-Write /0", "Bootstrap-Write /1", "Bootstrap-Finish",
	"the commit"
};

/* A configuration with every member filled in. */
struct bs_effective {
	char		 server_uri[BS_URI_MAX + 1];
	int		 mode;
	int64_t		 lifetime;
	char		 binding[LWM2M_BINDING_MAX + 1];
	int		 ssid;
	char		 tag[TAG_LEN_MAX + 1];	/* "" when none gave values */
};

/* The state record of an endpoint ("s" ep). */
struct bs_status {
	enum bs_state	 state;
	int64_t		 started_at, done_at, failed_at;
	uint32_t	 attempts;
	int		 server_instance;	/* -1: none written */
	char		 reason[BS_REASON_MAX];
};

/* One exchange in progress. Held in secret memory: it holds the key. */
struct bs_run {
	struct bs_run		*next;
	struct gateway		*gw;
	struct bs_link		*link;		/* NULL once its session went */
	char			 ep[LWM2M_EP_MAX + 1];
	enum bs_step		 step;
	int			 cf;		/* of the writes */
	int			 cf_switched;	/* after a 4.15 */
	int			 waiting;	/* a request or its commit is out */
	int			 over;		/* ended: freed when not waiting */
	struct event		*start_ev;
	struct bs_effective	 eff;
	struct bs_status	 st;
	uint16_t		 sec_inst, srv_inst;
	uint8_t			 key[BS_KEY_LEN];
};

struct bootstrap {
	struct bs_run		*runs;
	size_t			 nruns;
	struct bs_counters	 n;
};

static struct bs_run *bs_run_find(struct gateway *, const char *);
static void	bs_run_end(struct bs_run *);
static void	bs_event(struct gateway *, const char *, const char *,
		    const struct bs_run *, const char *);

/* ---- records ---- */

static size_t
bs_key(char tag, const void *s, size_t len, uint8_t out[BS_KEYBUF])
{
	out[0] = (uint8_t)tag;
	memcpy(out + 1, s, len);
	return 1 + len;
}

/* Reads the JSON record tag+name: 0 (*doc), 1 absent, -1. */
static int
bs_json_read(struct gateway *gw, char tag, const char *name, cJSON **doc)
{
	uint8_t k[BS_KEYBUF];
	char buf[BS_RECORD_MAX];
	size_t vlen;
	int rc;

	*doc = NULL;
	if ((rc = store_get(gw->store, STORE_DB_BOOTSTRAP, k, bs_key(tag, name,
	    strlen(name), k), buf, sizeof(buf), &vlen)) != 0)
		return rc;
	if (vlen > sizeof(buf) ||
	    (*doc = cJSON_ParseWithLength(buf, vlen)) == NULL ||
	    !cJSON_IsObject(*doc)) {
		cJSON_Delete(*doc);
		*doc = NULL;
		log_warnx("bootstrap %s: malformed record", name);
		return -1;
	}
	return 0;
}

static int
bs_json_write(struct gateway *gw, char tag, const char *name,
    const cJSON *doc)
{
	uint8_t k[BS_KEYBUF];
	char *text;
	int rc;

	if ((text = cJSON_PrintUnformatted(doc)) == NULL)
		return -1;
	rc = strlen(text) < BS_RECORD_MAX ? store_put(gw->store,
	    STORE_DB_BOOTSTRAP, k, bs_key(tag, name, strlen(name), k), text,
	    strlen(text)) : -1;
	free(text);
	return rc;
}

static int
bs_del(struct gateway *gw, char tag, const void *name, size_t len)
{
	uint8_t k[BS_KEYBUF];

	return store_del(gw->store, STORE_DB_BOOTSTRAP, k, bs_key(tag, name,
	    len, k));
}

/* A configuration as a JSON object (its set members only), and back. */
static cJSON *
bs_config_to_json(const struct bs_config *cfg)
{
	cJSON *o = cJSON_CreateObject();

	if (cfg->server_uri[0] != '\0')
		cJSON_AddStringToObject(o, "server_uri", cfg->server_uri);
	if (cfg->mode != BS_MODE_UNSET)
		cJSON_AddStringToObject(o, "security_mode",
		    bs_mode_name(cfg->mode));
	if (cfg->lifetime > 0)
		cJSON_AddNumberToObject(o, "lifetime", (double)cfg->lifetime);
	if (cfg->binding[0] != '\0')
		cJSON_AddStringToObject(o, "binding", cfg->binding);
	if (cfg->ssid > 0)
		cJSON_AddNumberToObject(o, "short_server_id", cfg->ssid);
	return o;
}

static void
bs_config_from_json(const cJSON *o, struct bs_config *cfg)
{
	const cJSON *v;

	memset(cfg, 0, sizeof(*cfg));
	cfg->mode = BS_MODE_UNSET;
	if (cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(o,
	    "server_uri")) && strlen(v->valuestring) <= BS_URI_MAX)
		memcpy(cfg->server_uri, v->valuestring,
		    strlen(v->valuestring) + 1);
	if (cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(o,
	    "security_mode")))
		cfg->mode = bs_mode_from_name(v->valuestring);
	if (cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(o,
	    "lifetime")))
		cfg->lifetime = (int64_t)v->valuedouble;
	if (cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(o,
	    "binding")) && strlen(v->valuestring) <= LWM2M_BINDING_MAX)
		memcpy(cfg->binding, v->valuestring,
		    strlen(v->valuestring) + 1);
	if (cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(o,
	    "short_server_id")))
		cfg->ssid = (int)v->valuedouble;
}

/* ep's (or a tag's) configuration: 0, 1 absent, -1. */
static int
bs_config_read(struct gateway *gw, char tag, const char *name,
    struct bs_config *cfg)
{
	cJSON *doc;
	int rc;

	if ((rc = bs_json_read(gw, tag, name, &doc)) != 0)
		return rc;
	bs_config_from_json(doc, cfg);
	cJSON_Delete(doc);
	return 0;
}

/* ep's state record; absent: pending. 0 or -1. */
static int
bs_status_read(struct gateway *gw, const char *ep, struct bs_status *st)
{
	const cJSON *v;
	cJSON *doc;
	size_t i;
	int rc;

	memset(st, 0, sizeof(*st));
	st->server_instance = -1;
	if ((rc = bs_json_read(gw, 's', ep, &doc)) != 0)
		return rc == 1 ? 0 : -1;
	if (cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(doc, "state")))
		for (i = 0; i < sizeof(bs_state_names) /
		    sizeof(bs_state_names[0]); i++)
			if (strcmp(v->valuestring, bs_state_names[i]) == 0)
				st->state = (enum bs_state)i;
	if (cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(doc,
	    "started_at")))
		st->started_at = (int64_t)v->valuedouble;
	if (cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(doc,
	    "done_at")))
		st->done_at = (int64_t)v->valuedouble;
	if (cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(doc,
	    "failed_at")))
		st->failed_at = (int64_t)v->valuedouble;
	if (cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(doc,
	    "attempts")))
		st->attempts = (uint32_t)v->valuedouble;
	if (cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(doc,
	    "server_instance")))
		st->server_instance = (int)v->valuedouble;
	if (cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(doc,
	    "reason")))
		snprintf(st->reason, sizeof(st->reason), "%s", v->valuestring);
	cJSON_Delete(doc);
	return 0;
}

static int
bs_status_write(struct gateway *gw, const char *ep, const struct bs_status *st)
{
	cJSON *doc = cJSON_CreateObject();
	int rc;

	cJSON_AddStringToObject(doc, "state", bs_state_names[st->state]);
	cJSON_AddNumberToObject(doc, "attempts", st->attempts);
	if (st->started_at != 0)
		cJSON_AddNumberToObject(doc, "started_at",
		    (double)st->started_at);
	if (st->done_at != 0)
		cJSON_AddNumberToObject(doc, "done_at", (double)st->done_at);
	if (st->failed_at != 0)
		cJSON_AddNumberToObject(doc, "failed_at",
		    (double)st->failed_at);
	if (st->server_instance >= 0)
		cJSON_AddNumberToObject(doc, "server_instance",
		    st->server_instance);
	if (st->reason[0] != '\0')
		cJSON_AddStringToObject(doc, "reason", st->reason);
	rc = bs_json_write(gw, 's', ep, doc);
	cJSON_Delete(doc);
	return rc;
}

/* ---- factory credentials ---- */

/* Kept as cred.c keeps the devices' own, in the bootstrap database. */
static const struct cred_table bs_factory = {
	STORE_DB_BOOTSTRAP, 'f', "factory credential"
};

int
bootstrap_factory_find(struct gateway *gw, enum cred_kind kind,
    const uint8_t *id, size_t id_len, struct cred *c)
{
	return cred_table_find(gw, &bs_factory, kind, id, id_len, c);
}

/* ---- the API's side ---- */

int
bootstrap_put(struct gateway *gw, const char *ep, const struct bs_config *cfg,
    const struct cred *fc)
{
	char owner[LWM2M_EP_MAX + 1];
	cJSON *doc;
	int rc;

	if (fc->kind != 0 && (rc = cred_table_owner(gw, &bs_factory,
	    fc->kind, fc->id, fc->id_len, owner)) != 1) {
		if (rc == -1)
			return -1;
		if (strcmp(owner, ep) != 0)
			return 2;
	}
	doc = bs_config_to_json(cfg);
	rc = bs_json_write(gw, 'e', ep, doc);
	cJSON_Delete(doc);
	if (rc == 0)
		rc = cred_table_drop(gw, &bs_factory, ep, NULL);
	if (rc == 0 && fc->kind != 0) {
		struct cred c = *fc;

		memcpy(c.ep, ep, strlen(ep) + 1);
		rc = cred_table_put(gw, &bs_factory, &c);
		explicit_bzero(&c, sizeof(c));
	}
	return rc;
}

int
bootstrap_delete(struct gateway *gw, const char *ep)
{
	struct bs_run *r;
	cJSON *doc;
	int rc;

	if ((rc = bs_json_read(gw, 'e', ep, &doc)) != 0)
		return rc;
	cJSON_Delete(doc);
	/* A run in progress stops: nothing is issued for a configuration
	 * that is gone (a decommissioned device must not come back through
	 * its factory key). One that reached its commit has its credential
	 * in this batch already, and whoever deletes revokes it after. */
	if ((r = bs_run_find(gw, ep)) != NULL && r->step != BS_STEP_COMMIT) {
		log_info("device %s: bootstrap stopped: its configuration was "
		    "deleted", ep);
		gw->bootstrap->n.failed++;
		bs_event(gw, "bootstrap_failed", ep, r, "configuration deleted");
		bs_run_end(r);
	}
	if (bs_del(gw, 'e', ep, strlen(ep)) == -1 ||
	    bs_del(gw, 's', ep, strlen(ep)) == -1 ||
	    cred_table_drop(gw, &bs_factory, ep, NULL) == -1)
		return -1;
	return 0;
}

int
bootstrap_configured(struct gateway *gw, const char *ep)
{
	struct bs_config cfg;
	int rc = bs_config_read(gw, 'e', ep, &cfg);

	return rc == 0 ? 1 : rc == 1 ? 0 : -1;
}

int
bootstrap_tag_put(struct gateway *gw, const char *tag,
    const struct bs_config *cfg)
{
	cJSON *doc = bs_config_to_json(cfg);
	int rc = bs_json_write(gw, 't', tag, doc);

	cJSON_Delete(doc);
	return rc;
}

int
bootstrap_tag_delete(struct gateway *gw, const char *tag)
{
	cJSON *doc;
	int rc;

	if ((rc = bs_json_read(gw, 't', tag, &doc)) != 0)
		return rc;
	cJSON_Delete(doc);
	return bs_del(gw, 't', tag, strlen(tag));
}

int
bootstrap_tag_json(struct gateway *gw, const char *tag, cJSON **out)
{
	int rc;

	if ((rc = bs_json_read(gw, 't', tag, out)) != 0)
		return rc;
	cJSON_AddStringToObject(*out, "tag", tag);
	return 0;
}

/* The first of ep's tags with a configuration: 0 (cfg, tag), 1, -1. */
static int
bs_tag_config(struct gateway *gw, const char *ep, struct bs_config *cfg,
    char tag[TAG_LEN_MAX + 1])
{
	char tags[TAGS_PER_DEVICE_MAX][TAG_LEN_MAX + 1];
	int n, i, rc;

	if ((n = tags_get(gw, ep, tags, TAGS_PER_DEVICE_MAX)) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if ((rc = bs_config_read(gw, 't', tags[i], cfg)) != 1) {
			if (rc == 0)
				memcpy(tag, tags[i], strlen(tags[i]) + 1);
			return rc;
		}
	return 1;
}

/* The DM server URI of [bootstrap], or made from [coap]. */
static void
bs_default_uri(struct gateway *gw, int mode, char *out, size_t len)
{
	const struct gw_hostport *hp = mode == BS_MODE_NOSEC ?
	    &gw->cfg.coap_listen : &gw->cfg.coap_secure_listen;
	char hpbuf[CONFIG_HOST_MAX + 16];

	if (gw->cfg.bs_server_uri[0] != '\0') {
		snprintf(out, len, "%s", gw->cfg.bs_server_uri);
		return;
	}
	snprintf(out, len, "%s://%s", mode == BS_MODE_NOSEC ? "coap" : "coaps",
	    config_hostport_str(hp, hpbuf, sizeof(hpbuf)));
}

/*
 * What ep is given: its own members, else its tag's, else [bootstrap]'s.
 * Returns 0 (eff filled), 1 when ep has neither a configuration nor a tag
 * with one (it cannot bootstrap), -1.
 */
static int
bs_resolve(struct gateway *gw, const char *ep, struct bs_effective *eff)
{
	struct bs_config own, tagc;
	int rc_own, rc_tag;

	memset(eff, 0, sizeof(*eff));
	if ((rc_own = bs_config_read(gw, 'e', ep, &own)) == -1 ||
	    (rc_tag = bs_tag_config(gw, ep, &tagc, eff->tag)) == -1)
		return -1;
	if (rc_own == 1 && rc_tag == 1)
		return 1;
	if (rc_own == 1) {
		memset(&own, 0, sizeof(own));
		own.mode = BS_MODE_UNSET;
	}
	if (rc_tag == 1) {
		memset(&tagc, 0, sizeof(tagc));
		tagc.mode = BS_MODE_UNSET;
	}
	eff->mode = own.mode != BS_MODE_UNSET ? own.mode :
	    tagc.mode != BS_MODE_UNSET ? tagc.mode : BS_MODE_UNSET;
	if (own.server_uri[0] != '\0')
		memcpy(eff->server_uri, own.server_uri, sizeof(own.server_uri));
	else if (tagc.server_uri[0] != '\0')
		memcpy(eff->server_uri, tagc.server_uri,
		    sizeof(tagc.server_uri));
	/* The mode follows the URI when only the URI was given. */
	if (eff->mode == BS_MODE_UNSET)
		eff->mode = strncmp(eff->server_uri, "coap://", 7) == 0 ?
		    BS_MODE_NOSEC : BS_MODE_PSK;
	if (eff->server_uri[0] == '\0')
		bs_default_uri(gw, eff->mode, eff->server_uri,
		    sizeof(eff->server_uri));
	eff->lifetime = own.lifetime > 0 ? own.lifetime : tagc.lifetime > 0 ?
	    tagc.lifetime : gw->cfg.bs_lifetime;
	snprintf(eff->binding, sizeof(eff->binding), "%s",
	    own.binding[0] != '\0' ? own.binding : tagc.binding[0] != '\0' ?
	    tagc.binding : "U");
	eff->ssid = own.ssid > 0 ? own.ssid : tagc.ssid > 0 ? tagc.ssid :
	    gw->cfg.bs_short_server_id;
	if (rc_tag == 1 || (own.server_uri[0] != '\0' &&
	    own.mode != BS_MODE_UNSET && own.lifetime > 0 &&
	    own.binding[0] != '\0' && own.ssid > 0))
		eff->tag[0] = '\0';	/* the tag gave nothing */
	return 0;
}

static struct bs_run *
bs_run_find(struct gateway *gw, const char *ep)
{
	struct bs_run *r;

	if (gw->bootstrap == NULL)
		return NULL;
	for (r = gw->bootstrap->runs; r != NULL; r = r->next)
		if (!r->over && strcmp(r->ep, ep) == 0)
			return r;
	return NULL;
}

int
bootstrap_json(struct gateway *gw, const char *ep, cJSON **out)
{
	struct bs_effective eff;
	struct bs_status st;
	struct cred fc;
	cJSON *o, *f;
	char when[GW_TIME_LEN], id[CRED_ID_MAX * 2 + 1];
	size_t i;
	int rc;

	*out = NULL;
	if ((rc = bs_resolve(gw, ep, &eff)) != 0)
		return rc;
	if (bs_status_read(gw, ep, &st) == -1 ||
	    (rc = cred_table_read(gw, &bs_factory, ep, &fc)) == -1)
		return -1;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "ep", ep);
	cJSON_AddStringToObject(o, "server_uri", eff.server_uri);
	cJSON_AddStringToObject(o, "security_mode", bs_mode_name(eff.mode));
	cJSON_AddNumberToObject(o, "lifetime", (double)eff.lifetime);
	cJSON_AddStringToObject(o, "binding", eff.binding);
	cJSON_AddNumberToObject(o, "short_server_id", eff.ssid);
	if (eff.tag[0] != '\0')
		cJSON_AddStringToObject(o, "tag", eff.tag);
	if (rc == 0) {
		f = cJSON_AddObjectToObject(o, "factory_credential");
		cJSON_AddStringToObject(f, "kind", cred_kind_name(fc.kind));
		if (fc.kind == CRED_RPK) {
			for (i = 0; i < fc.id_len; i++)
				snprintf(id + 2 * i, 3, "%02x", fc.id[i]);
		} else {
			memcpy(id, fc.id, fc.id_len);
			id[fc.id_len] = '\0';
		}
		cJSON_AddStringToObject(f, fc.kind == CRED_PSK ?
		    "psk_identity" : fc.kind == CRED_RPK ? "rpk" : "x509_cn",
		    id);
	}
	explicit_bzero(&fc, sizeof(fc));
	/* A run the store says is on, and no run is: the gateway stopped
	 * in the middle of it. */
	if (st.state == BS_IN_PROGRESS && bs_run_find(gw, ep) == NULL) {
		st.state = BS_FAILED;
		snprintf(st.reason, sizeof(st.reason), "interrupted: the "
		    "gateway stopped during the bootstrap");
	}
	cJSON_AddStringToObject(o, "state", bs_state_names[st.state]);
	cJSON_AddNumberToObject(o, "attempts", st.attempts);
	if (st.started_at != 0)
		cJSON_AddStringToObject(o, "started_at",
		    gw_time_str(st.started_at, when));
	if (st.done_at != 0)
		cJSON_AddStringToObject(o, "done_at",
		    gw_time_str(st.done_at, when));
	if (st.state == BS_FAILED) {
		if (st.failed_at != 0)
			cJSON_AddStringToObject(o, "failed_at",
			    gw_time_str(st.failed_at, when));
		cJSON_AddStringToObject(o, "reason", st.reason);
	}
	*out = o;
	return 0;
}

#define BS_WALK_CHUNK	64

/* Collects up to BS_WALK_CHUNK names of one kind of record: a store
 * iteration may not read the store, so the records are read after. */
struct bs_names {
	char	 tag;
	char	 names[BS_WALK_CHUNK][LWM2M_EP_MAX + 1];
	int	 n;
};

static int
bs_names_one(const void *key, size_t klen, const void *val, size_t vlen,
    void *arg)
{
	struct bs_names *nm = arg;
	const char *k = key;

	(void)val;
	(void)vlen;
	if (klen < 2 || k[0] != nm->tag || klen - 1 > LWM2M_EP_MAX)
		return 1;	/* past this kind of record */
	memcpy(nm->names[nm->n], k + 1, klen - 1);
	nm->names[nm->n][klen - 1] = '\0';
	return ++nm->n == BS_WALK_CHUNK;
}

/* Walks the records of one kind ('e' or 't') after after, in order. */
static int
bs_walk_kind(struct gateway *gw, char tag, const char *after,
    int (*cb)(cJSON *, void *), void *arg)
{
	struct bs_names nm;
	uint8_t from[BS_KEYBUF];
	size_t flen;
	cJSON *o;
	int i, rc;

	flen = bs_key(tag, after != NULL ? after : "", after != NULL ?
	    strlen(after) : 0, from);
	if (after != NULL)
		from[flen++] = '\0';	/* the key just after */
	for (;;) {
		memset(&nm, 0, sizeof(nm));
		nm.tag = tag;
		if (store_iterate(gw->store, STORE_DB_BOOTSTRAP, from, flen,
		    bs_names_one, &nm) == -1)
			return -1;
		for (i = 0; i < nm.n; i++) {
			rc = tag == 'e' ? bootstrap_json(gw, nm.names[i], &o) :
			    bootstrap_tag_json(gw, nm.names[i], &o);
			if (rc == -1)
				return -1;
			if (rc == 0 && (rc = cb(o, arg)) != 0)
				return rc;
		}
		if (nm.n < BS_WALK_CHUNK)
			return 0;
		flen = bs_key(tag, nm.names[nm.n - 1],
		    strlen(nm.names[nm.n - 1]), from);
		from[flen++] = '\0';
	}
}

int
bootstrap_walk(struct gateway *gw, const char *after,
    int (*cb)(cJSON *ep, void *arg), void *arg)
{
	return bs_walk_kind(gw, 'e', after, cb, arg);
}

int
bootstrap_tag_walk(struct gateway *gw, const char *after,
    int (*cb)(cJSON *tag, void *arg), void *arg)
{
	return bs_walk_kind(gw, 't', after, cb, arg);
}

/* Link-format walker: the first /1/{j} of a registration. */
static int
bs_server_link(const struct lwm2m_link *l, void *arg)
{
	unsigned *j = arg;
	unsigned v = 0;
	size_t i;

	if (l->uri_len < 4 || memcmp(l->uri, "/1/", 3) != 0 ||
	    !lwm2m_is_object_path(l->uri, l->uri_len))
		return 0;
	for (i = 3; i < l->uri_len; i++)
		v = v * 10 + (unsigned)(l->uri[i] - '0');
	*j = v;
	return 1;
}

unsigned
bootstrap_server_instance(struct gateway *gw, const char *ep)
{
	struct bs_status st;
	unsigned j = 0;
	char err[64], *links;
	ssize_t n;

	if (bs_status_read(gw, ep, &st) == 0 && st.server_instance >= 0)
		return (unsigned)st.server_instance;
	if ((links = malloc((size_t)gw->cfg.coap_max_links)) == NULL)
		return 0;
	if ((n = registry_links(gw->registry, ep, links,
	    (size_t)gw->cfg.coap_max_links)) > 0)
		(void)lwm2m_parse_links(links, (size_t)n, bs_server_link, &j,
		    err, sizeof(err));
	free(links);
	return j;
}

/* ---- the exchange ---- */

static void
bs_event(struct gateway *gw, const char *type, const char *ep,
    const struct bs_run *r, const char *reason)
{
	cJSON *e = cJSON_CreateObject();

	if (r != NULL) {
		cJSON_AddStringToObject(e, "server_uri", r->eff.server_uri);
		cJSON_AddStringToObject(e, "security_mode",
		    bs_mode_name(r->eff.mode));
	}
	if (reason != NULL)
		cJSON_AddStringToObject(e, "reason", reason);
	events_emit(gw, type, ep, e);
}

static void
bs_run_free(struct bs_run *r)
{
	struct bootstrap *bs = r->gw->bootstrap;
	struct bs_run **rp;

	for (rp = &bs->runs; *rp != NULL; rp = &(*rp)->next)
		if (*rp == r) {
			*rp = r->next;
			break;
		}
	if (r->start_ev != NULL)
		event_free(r->start_ev);
	gw_secret_free(r, sizeof(*r));
}

/* Ends r (its key wiped); it goes once no request of it is out. */
static void
bs_run_end(struct bs_run *r)
{
	struct bootstrap *bs = r->gw->bootstrap;

	if (!r->over) {
		r->over = 1;
		bs->nruns--;
	}
	explicit_bzero(r->key, sizeof(r->key));
	if (!r->waiting)
		bs_run_free(r);
}

/* r failed: the reason recorded and told. */
static void
bs_fail(struct bs_run *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
bs_fail(struct bs_run *r, const char *fmt, ...)
{
	struct gateway *gw = r->gw;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->st.reason, sizeof(r->st.reason), fmt, ap);
	va_end(ap);
	r->st.state = BS_FAILED;
	r->st.failed_at = gw_now();
	if (bs_status_write(gw, r->ep, &r->st) == -1)
		log_warnx("bootstrap %s: cannot record its failure", r->ep);
	gw->bootstrap->n.failed++;
	log_info("device %s: bootstrap failed: %s", r->ep, r->st.reason);
	bs_event(gw, "bootstrap_failed", r->ep, r, r->st.reason);
	bs_run_end(r);
}

static void	bs_answer(const struct devresp *resp, void *arg);

/* Sends the request of r's step. */
static void
bs_send_step(struct bs_run *r)
{
	struct gateway *gw = r->gw;
	struct devreq_spec spec;
	struct bsmsg_security sec;
	struct bsmsg_server srv;
	uint8_t *body = NULL;
	size_t len = 0;
	char path[16];
	int rc;

	memset(&spec, 0, sizeof(spec));
	spec.content_format = -1;
	spec.accept = -1;
	spec.timeout_s = (unsigned)gw->cfg.bs_timeout;
	switch (r->step) {
	case BS_STEP_DISCOVER:
		spec.method = DEVREQ_GET;
		spec.path = "";
		spec.accept = 40;
		break;
	case BS_STEP_DELETE_SECURITY:
	case BS_STEP_DELETE_SERVER:
		spec.method = DEVREQ_DELETE;
		spec.path = r->step == BS_STEP_DELETE_SECURITY ? "0" : "1";
		break;
	case BS_STEP_WRITE_SECURITY:
		memset(&sec, 0, sizeof(sec));
		sec.uri = r->eff.server_uri;
		sec.mode = r->eff.mode;
		sec.ssid = (uint16_t)r->eff.ssid;
		if (r->eff.mode == BS_MODE_PSK) {
			sec.identity = (const uint8_t *)r->ep;
			sec.identity_len = strlen(r->ep);
			sec.secret = r->key;
			sec.secret_len = sizeof(r->key);
		}
		body = bsmsg_security(&sec, r->sec_inst, r->cf, &len);
		snprintf(path, sizeof(path), "0/%u", r->sec_inst);
		break;
	case BS_STEP_WRITE_SERVER:
		memset(&srv, 0, sizeof(srv));
		srv.ssid = (uint16_t)r->eff.ssid;
		srv.lifetime = (uint32_t)r->eff.lifetime;
		srv.storing = 1;
		srv.binding = r->eff.binding;
		body = bsmsg_server(&srv, r->srv_inst, r->cf, &len);
		snprintf(path, sizeof(path), "1/%u", r->srv_inst);
		break;
	case BS_STEP_FINISH:
		spec.method = DEVREQ_POST;
		spec.path = "bs";
		break;
	default:
		return;
	}
	if (r->step == BS_STEP_WRITE_SECURITY ||
	    r->step == BS_STEP_WRITE_SERVER) {
		if (body == NULL) {
			bs_fail(r, "cannot encode %s", bs_step_names[r->step]);
			return;
		}
		spec.method = DEVREQ_PUT;
		spec.path = path;
		spec.content_format = r->cf;
		spec.body = body;
		spec.len = len;
	}
	rc = gw->hooks.bs_send != NULL && r->link != NULL ?
	    gw->hooks.bs_send(gw, r->link, &spec, bs_answer, r) : -1;
	if (body != NULL) {
		explicit_bzero(body, len);	/* the key, in a write */
		free(body);
	}
	if (rc == -1) {
		bs_fail(r, "cannot send %s: the session is gone",
		    bs_step_names[r->step]);
		return;
	}
	r->waiting = 1;
}

/* The done and the credential are on disk (or not). */
static void
bs_committed(int status, void *arg)
{
	struct bs_run *r = arg;
	struct gateway *gw = r->gw;

	r->waiting = 0;
	if (status != 0 && r->over) {
		bs_run_end(r);	/* abandoned for a newer request: its record */
		return;
	}
	if (status != 0) {
		r->st.state = BS_FAILED;
		bs_fail(r, "the store did not take the issued credential");
		return;
	}
	gw->bootstrap->n.done++;
	log_info("device %s: bootstrap done: DM server %s (%s)", r->ep,
	    r->eff.server_uri, bs_mode_name(r->eff.mode));
	bs_event(gw, "bootstrap_done", r->ep, r, NULL);
	bs_run_end(r);
}

static void
bs_issued(int status, void *arg)
{
	(void)status;
	(void)arg;	/* bs_committed, on the same batch, says it */
}

/* The Finish was taken: the DM credential and the done, one batch. */
static void
bs_finish(struct bs_run *r)
{
	struct gateway *gw = r->gw;
	struct cred c;
	int rc = 0;

	r->step = BS_STEP_COMMIT;
	r->st.state = BS_DONE;
	r->st.done_at = gw_now();
	r->st.reason[0] = '\0';
	r->st.server_instance = r->srv_inst;
	if (r->eff.mode == BS_MODE_PSK) {
		memset(&c, 0, sizeof(c));
		c.kind = CRED_PSK;
		memcpy(c.ep, r->ep, strlen(r->ep) + 1);
		c.id_len = (uint16_t)strlen(r->ep);
		memcpy(c.id, r->ep, c.id_len);
		c.key_len = sizeof(r->key);
		memcpy(c.key, r->key, sizeof(r->key));
		rc = cred_issue(gw, &c, bs_issued, NULL);
		explicit_bzero(&c, sizeof(c));
	}
	if (rc == 2) {
		bs_fail(r, "PSK identity '%s' belongs to another device's "
		    "credential", r->ep);
		return;
	}
	if (rc == -1 || bs_status_write(gw, r->ep, &r->st) == -1 ||
	    store_when_durable(gw->store, bs_committed, r) == -1) {
		bs_fail(r, "cannot store the issued credential");
		return;
	}
	/* Held until bs_committed: a new Bootstrap-Request of the device
	 * before then ends r, which must not go under its callback. */
	r->waiting = 1;
}

/* The device's Bootstrap-Discover answer: which /0 instance is its
 * bootstrap account. */
static int
bs_discovered(struct bs_run *r, const struct devresp *resp)
{
	struct bsmsg_discover d;
	char err[128];

	if (resp->cls == 4) {
		/* A client without Discover (LwM2M 1.0): the usual ids. */
		r->sec_inst = 1;
		return 0;
	}
	if (resp->content_format != -1 && resp->content_format != 40) {
		bs_fail(r, "Bootstrap-Discover answer: Content-Format %d, not "
		    "link-format", resp->content_format);
		return -1;
	}
	if (memchr(resp->body, '\0', resp->len) != NULL ||
	    bsmsg_parse_discover((const char *)resp->body, resp->len, &d, err,
	    sizeof(err)) == -1) {
		bs_fail(r, "Bootstrap-Discover answer: %s", resp->body != NULL &&
		    memchr(resp->body, '\0', resp->len) != NULL ? "NUL byte" :
		    err);
		return -1;
	}
	r->sec_inst = bsmsg_security_instance(&d);
	return 0;
}

/* The code a step expects: 2.05, 2.02, 2.04. */
static int
bs_expected(enum bs_step step)
{
	switch (step) {
	case BS_STEP_DISCOVER:
		return 5;
	case BS_STEP_DELETE_SECURITY:
	case BS_STEP_DELETE_SERVER:
		return 2;
	default:
		return 4;
	}
}

/* hooks.bs_send's callback: the device's answer to r's step. */
static void
bs_answer(const struct devresp *resp, void *arg)
{
	struct bs_run *r = arg;
	const char *what;

	r->waiting = 0;
	if (r->over || r->gw->stopping) {
		bs_run_end(r);	/* a stop: the record says interrupted */
		return;
	}
	what = bs_step_names[r->step];
	if (resp->kind == DEVRESP_TIMEOUT) {
		bs_fail(r, "no answer to %s within %d s", what,
		    r->gw->cfg.bs_timeout);
		return;
	}
	if (resp->kind != DEVRESP_ANSWER) {
		bs_fail(r, "the session went during %s", what);
		return;
	}
	if (r->step == BS_STEP_DISCOVER && (resp->cls == 2 ||
	    resp->cls == 4) && !(resp->cls == 2 && resp->detail != 5)) {
		if (bs_discovered(r, resp) == -1)
			return;
	} else if ((r->step == BS_STEP_WRITE_SECURITY ||
	    r->step == BS_STEP_WRITE_SERVER) && resp->cls == 4 &&
	    resp->detail == 15 && !r->cf_switched) {
		/* The format it lacks: the other one, once. */
		r->cf = r->cf == SENML_CF_TLV ? SENML_CF_CBOR : SENML_CF_TLV;
		r->cf_switched = 1;
		log_debug("device %s: 4.15 to %s, trying Content-Format %d",
		    r->ep, what, r->cf);
		bs_send_step(r);
		return;
	} else if (r->step == BS_STEP_FINISH && resp->cls == 4 &&
	    resp->detail == 6) {
		bs_fail(r, "Bootstrap-Finish refused (4.06): the device found "
		    "no usable DM account in what was written");
		return;
	} else if (resp->cls != 2 || resp->detail != bs_expected(r->step)) {
		bs_fail(r, "%s answered %d.%02d", what, resp->cls,
		    resp->detail);
		return;
	}
	if (r->step == BS_STEP_FINISH) {
		bs_finish(r);
		return;
	}
	r->step++;
	bs_send_step(r);
}

/* The first step goes on the loop turn after the 2.04 to the request. */
static void
bs_start_cb(evutil_socket_t fd, short what, void *arg)
{
	struct bs_run *r = arg;

	(void)fd;
	(void)what;
	bs_send_step(r);
}

enum bs_verdict
bootstrap_request(struct gateway *gw, const char *ep, const char *proved,
    int pct, struct bs_link *link, const char **why)
{
	struct bootstrap *bs = gw->bootstrap;
	struct timeval now = { 0, 0 };
	struct bs_effective eff;
	struct cred fc, dm;
	struct bs_run *r, *old;
	struct bs_status prev;
	int rc, have_prev = 0;

	bs->n.requests++;
	if ((rc = bs_resolve(gw, ep, &eff)) != 0) {
		*why = rc == 1 ? "no bootstrap configuration for this "
		    "endpoint" : "cannot read the configuration";
		bs->n.refused++;
		return rc == 1 ? BS_FORBIDDEN : BS_ERROR;
	}
	if ((rc = cred_table_read(gw, &bs_factory, ep, &fc)) == -1) {
		*why = "cannot read the factory credential";
		return BS_ERROR;
	}
	explicit_bzero(&fc, sizeof(fc));
	if (proved == NULL ? rc == 0 : strcmp(proved, ep) != 0) {
		*why = proved == NULL ? "this endpoint must bootstrap over "
		    "DTLS with its factory credential" : "the factory "
		    "credential is of another endpoint";
		log_warnx("device %s: bootstrap refused: %s", ep, *why);
		bs->n.refused++;
		return BS_FORBIDDEN;
	}
	/* Its PSK identity would be ep: another device may not hold it. */
	if (eff.mode == BS_MODE_PSK && cred_find_by_id(gw, CRED_PSK,
	    (const uint8_t *)ep, strlen(ep), &dm) == 0 &&
	    strcmp(dm.ep, ep) != 0) {
		explicit_bzero(&dm, sizeof(dm));
		*why = "its PSK identity is another device's";
		bs->n.refused++;
		return BS_FORBIDDEN;
	}
	explicit_bzero(&dm, sizeof(dm));
	if ((old = bs_run_find(gw, ep)) != NULL) {
		/* The device asks again (it restarted, or gave up on us):
		 * the new request wins, and counts on from the old one's
		 * state (its record may not be committed yet). */
		log_info("device %s: bootstrap requested again; the one "
		    "before is abandoned", ep);
		prev = old->st;
		have_prev = 1;
		bs_run_end(old);
	}
	if (bs->nruns >= (size_t)gw->cfg.bs_max_concurrent) {
		*why = "too many bootstraps at once";
		return BS_BUSY;
	}
	if ((r = gw_secret_alloc(sizeof(*r))) == NULL) {
		*why = "out of memory";
		return BS_ERROR;
	}
	r->gw = gw;
	r->link = link;
	memcpy(r->ep, ep, strlen(ep) + 1);
	r->eff = eff;
	r->cf = pct == SENML_CF_CBOR ? SENML_CF_CBOR : SENML_CF_TLV;
	r->srv_inst = 0;
	if (have_prev)
		r->st = prev;
	if ((!have_prev && bs_status_read(gw, ep, &r->st) == -1) ||
	    getrandom(r->key, sizeof(r->key), 0) != (ssize_t)sizeof(r->key) ||
	    (r->start_ev = evtimer_new(gw->base, bs_start_cb, r)) == NULL ||
	    evtimer_add(r->start_ev, &now) == -1) {
		if (r->start_ev != NULL)
			event_free(r->start_ev);
		gw_secret_free(r, sizeof(*r));
		*why = "cannot start";
		return BS_ERROR;
	}
	r->st.state = BS_IN_PROGRESS;
	r->st.started_at = gw_now();
	r->st.attempts++;
	r->st.reason[0] = '\0';
	(void)bs_status_write(gw, ep, &r->st);
	r->next = bs->runs;
	bs->runs = r;
	bs->nruns++;
	bs->n.started++;
	log_info("device %s: bootstrap started (%s)", ep, bs_mode_name(
	    eff.mode));
	bs_event(gw, "bootstrap_started", ep, r, NULL);
	return BS_ACCEPT;
}

void
bootstrap_link_gone(struct gateway *gw, struct bs_link *link)
{
	struct bs_run *r;

	/* A request of a run on link has had its answer (the session's
	 * end); one not sent yet finds no session. */
	if (gw->bootstrap != NULL)
		for (r = gw->bootstrap->runs; r != NULL; r = r->next)
			if (r->link == link)
				r->link = NULL;
}

void
bootstrap_counters(struct gateway *gw, struct bs_counters *out)
{
	memset(out, 0, sizeof(*out));
	if (gw->bootstrap == NULL)
		return;
	*out = gw->bootstrap->n;
	out->in_progress = gw->bootstrap->nruns;
}

static int
bootstrap_init(struct gateway *gw)
{
	if ((gw->bootstrap = calloc(1, sizeof(*gw->bootstrap))) == NULL)
		return -1;
	return 0;
}

static void
bootstrap_stop(struct gateway *gw)
{
	struct bs_run *r;

	if (gw->bootstrap == NULL)
		return;
	while ((r = gw->bootstrap->runs) != NULL) {
		gw->bootstrap->runs = r->next;
		if (r->start_ev != NULL)
			event_free(r->start_ev);
		gw_secret_free(r, sizeof(*r));
	}
	free(gw->bootstrap);
	gw->bootstrap = NULL;
	cred_free(gw);
}

const struct gw_module bootstrap_module = {
	.name = "bootstrap",
	.init = bootstrap_init,
	.stop = bootstrap_stop,
};
