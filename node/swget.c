/*
 * swget.c: the agent's software packages, LwM2M object 9 (obj_software.c
 * is the object and its state machine; this does what it starts). A
 * server writes coap[s]://HOST:PORT/fw/ID to /9/0/3: the package is
 * fetched and verified exactly as a firmware image (pull.c: ID/manifest,
 * signed by one of [firmware] trusted_keys and naming [firmware] vendor
 * when that is set, then the archive block by block, hashed to the signed
 * digest), kept in [software] dir, and /9/0 is DELIVERED. Install,
 * Uninstall, Activate and Deactivate run the [software] commands with
 * /bin/sh -c (exec.c, never blocking the loop); their exit status decides.
 * Empty commands succeed at once.
 *
 * Files in [software] dir: staging.bin (a download under way; not resumed
 * after a restart, which leaves /9/0 INITIAL), package.bin (the package
 * delivered or installed: OUTPOST_PKG_FILE), state.json (swstate.h: the
 * Update State past a download, the Activation State, the package's name
 * and version; written after each op, read at start).
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "node/fwint.h"
#include "node/node.h"
#include "node/swstate.h"

#define NSW_RETRIES_MAX	8	/* requests in a row without an answer */

struct node_sw {
	struct node		*node;
	coap_context_t		*ctx;
	struct event		*io_ev;
	struct fw_keyring	 keys;
	struct pull		 dl;
	char			 package_path[PATH_MAX + 16];
	char			 staging_path[PATH_MAX + 16];
	char			 state_path[PATH_MAX + 16];
};

static const char *const nsw_what[] = {
	[SW_OP_INSTALL] = "software install",
	[SW_OP_UNINSTALL] = "software uninstall",
	[SW_OP_PREPARE] = "software uninstall",
	[SW_OP_ACTIVATE] = "software activate",
	[SW_OP_DEACTIVATE] = "software deactivate",
};

/* Keeps /9/0 past its download in state.json. */
static void
nsw_save(struct node_sw *sw)
{
	struct sw keep = sw->node->obj.sw;
	char *text;

	if (keep.state < SW_DELIVERED)
		keep.state = SW_INITIAL;
	if ((text = sw_state_json(&keep)) == NULL ||
	    nfw_write_file(sw->state_path, text, strlen(text)) == -1)
		log_warn("software: cannot keep the state in %s",
		    sw->state_path);
	free(text);
}

/* pull: the manifest fetched from the Package URI: signed by a trusted
 * key, of this vendor when [firmware] vendor is set. Any class: it is the
 * package's name. */
static enum fw_result
nsw_manifest(struct pull *p, const uint8_t *doc, size_t len,
    struct fw_manifest *m, char *err, size_t errlen)
{
	struct node_sw *sw = p->arg;
	const struct node_config *cfg = &sw->node->cfg;
	enum fw_result result;

	result = fwp_manifest(doc, len, &sw->keys, cfg->fw_vendor[0] != '\0' ?
	    cfg->fw_vendor : NULL, NULL, 0, m, err, errlen);
	if (result == FW_RESULT_INITIAL)
		log_info("software: %s %s (%s, seq %llu, %llu bytes) pulled "
		    "from %s, fetching", m->class, m->version, m->vendor,
		    (unsigned long long)m->seq, (unsigned long long)m->size,
		    sw->node->obj.sw.uri);
	return result;
}

/* pull: whether /9/0 still waits for this download. */
static int
nsw_wanted(struct pull *p)
{
	struct node_sw *sw = p->arg;

	return sw->node->obj.sw.op == SW_OP_DOWNLOAD;
}

/* pull: the archive is here and verified, or the download ended. */
static void
nsw_fetched(struct pull *p, int ok, enum fw_result result, const char *why)
{
	struct node_sw *sw = p->arg;
	struct obj *o = &sw->node->obj;

	if (ok && rename(sw->staging_path, sw->package_path) == -1) {
		log_warn("software: %s", sw->package_path);
		ok = 0;
		result = FW_RESULT_NO_STORAGE;
		why = "cannot keep the package";
	}
	pull_drop(p);
	if (!ok) {
		if (o->sw.op == SW_OP_DOWNLOAD)
			log_warnx("software: %s: %s", o->sw.uri, why);
		sw_download_done(o, 0, sw_result_of(result), NULL, NULL);
		return;
	}
	log_info("software: %s %s delivered, digest verified, in %s",
	    p->m.class, p->m.version, sw->package_path);
	sw_download_done(o, 1, SW_RESULT_DELIVERED, p->m.class,
	    p->m.version);
	nsw_save(sw);
}

static const struct pull_ops nsw_pull_ops = {
	.manifest = nsw_manifest,
	.wanted = nsw_wanted,
	.done = nsw_fetched,
};

/* The op's command ended with status (0: success). */
static void
nsw_done(int status, void *arg)
{
	struct node_sw *sw = arg;
	struct obj *o = &sw->node->obj;
	int op = o->sw.op, ok = status == 0;

	if (ok && (op == SW_OP_UNINSTALL || op == SW_OP_PREPARE ||
	    op == SW_OP_REMOVE) && unlink(sw->package_path) == -1 &&
	    errno != ENOENT)
		log_warn("software: %s", sw->package_path);
	if (!ok)
		log_warnx("%s: %s %s: failed (status %d)",
		    op == SW_OP_REMOVE ? "software removal" : nsw_what[op],
		    o->sw.pkg_name, o->sw.pkg_version, status);
	if (sw_op_done(o, ok) == 0)
		nsw_save(sw);
	if (ok)
		log_info("software: %s %s: Update State %d (%s), active %d",
		    o->sw.pkg_name, o->sw.pkg_version, o->sw.state,
		    sw_state_name(o->sw.state), o->sw.active);
}

/* An op without a command: done a loop turn later, as one with. */
static void
nsw_skip(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	nsw_done(0, arg);
}

/* Runs cmd for the op under way, with the package in the environment. */
static void
nsw_command(struct node_sw *sw, const char *cmd)
{
	struct node *n = sw->node;
	const struct sw *s = &n->obj.sw;
	struct timeval zero = { 0, 0 };

	if (cmd == NULL || cmd[0] == '\0') {
		if (event_base_once(n->base, -1, EV_TIMEOUT, nsw_skip, sw,
		    &zero) == -1)
			nsw_done(-1, sw);
		return;
	}
	setenv("OUTPOST_PKG_FILE", sw->package_path, 1);
	setenv("OUTPOST_PKG_NAME", s->pkg_name, 1);
	setenv("OUTPOST_PKG_VERSION", s->pkg_version, 1);
	setenv("OUTPOST_PKG_DIR", n->cfg.sw_dir, 1);
	setenv("OUTPOST_PKG_FOR_UPDATE", s->op == SW_OP_PREPARE ? "1" : "0",
	    1);
	if (exec_run_cb(n, nsw_what[s->op], cmd, nsw_done, sw) == -1)
		nsw_done(-1, sw);
}

/* The op a write of /9/0/3 started: fetch the Package URI. */
static void
nsw_download(struct node_sw *sw)
{
	struct node *n = sw->node;
	const char *uri = n->obj.sw.uri;

	pull_drop(&sw->dl);
	if (pull_target(&sw->dl, uri) == -1) {
		log_warnx("software: Package URI %s: only coap[s]://HOST[:PORT]/"
		    "PATH with a numeric host is fetched", uri);
		sw_download_done(&n->obj, 0, SW_RESULT_INVALID_URI, NULL,
		    NULL);
		return;
	}
	if (sw->dl.secure && n->psk_len == 0) {
		log_warnx("software: Package URI %s is coaps: this agent has "
		    "no PSK ([node] psk_key)", uri);
		sw_download_done(&n->obj, 0, SW_RESULT_INVALID_URI, NULL,
		    NULL);
		return;
	}
	pull_manifest(&sw->dl);
}

void
nsw_run(struct node *n)
{
	struct node_sw *sw = n->sw;
	const struct node_config *cfg = &n->cfg;

	if (sw == NULL)
		return;
	switch (n->obj.sw.op) {
	case SW_OP_DOWNLOAD:
		nsw_download(sw);
		break;
	case SW_OP_INSTALL:
		nsw_command(sw, cfg->sw_install_cmd);
		break;
	case SW_OP_UNINSTALL:
	case SW_OP_PREPARE:
		nsw_command(sw, cfg->sw_uninstall_cmd);
		break;
	case SW_OP_REMOVE:
		nsw_command(sw, NULL);
		break;
	case SW_OP_ACTIVATE:
		nsw_command(sw, cfg->sw_activate_cmd);
		break;
	case SW_OP_DEACTIVATE:
		nsw_command(sw, cfg->sw_deactivate_cmd);
		break;
	default:
		break;
	}
}

/* At start: /9/0 as state.json kept it; a package delivered must still
 * be there. A download under way when the agent stopped is dropped. */
static void
nsw_load(struct node_sw *sw)
{
	struct obj *o = &sw->node->obj;
	struct sw got;
	char err[160], *text;
	size_t len;

	unlink(sw->staging_path);
	if ((text = nfw_read_file(sw->state_path, SW_STATE_MAX, &len)) ==
	    NULL)
		return;
	if (sw_state_parse(text, len, &got, err, sizeof(err)) == -1) {
		log_warnx("software: %s: %s; starting from INITIAL",
		    sw->state_path, err);
		free(text);
		return;
	}
	free(text);
	if (got.state == SW_DELIVERED && access(sw->package_path, R_OK) ==
	    -1) {
		log_warnx("software: %s is gone: the package delivered is "
		    "dropped", sw->package_path);
		return;
	}
	got.result = got.state == SW_INSTALLED ? SW_RESULT_INSTALLED :
	    got.state == SW_DELIVERED ? SW_RESULT_DELIVERED :
	    SW_RESULT_INITIAL;
	o->sw = got;
	log_info("software: %s %s kept: Update State %d (%s), active %d",
	    got.pkg_name, got.pkg_version, got.state,
	    sw_state_name(got.state), got.active);
}

int
nsw_init(struct node *n)
{
	const struct node_config *cfg = &n->cfg;
	struct node_sw *sw;
	char err[512];

	if (obj_def_find(n->obj.table, OBJ_SOFTWARE) == NULL)
		return 0;
	if ((sw = calloc(1, sizeof(*sw))) == NULL)
		return -1;
	n->sw = sw;
	sw->node = n;
	sw->dl.fd = -1;
	if (fw_keyring_load(&sw->keys, cfg->fw_trusted_keys, err,
	    sizeof(err)) == -1) {
		log_warnx("software: [firmware] trusted_keys: %s", err);
		return -1;
	}
	if (mkdir(cfg->sw_dir, 0700) == -1 && errno != EEXIST) {
		log_warn("software: %s", cfg->sw_dir);
		return -1;
	}
	snprintf(sw->package_path, sizeof(sw->package_path), "%s/package.bin",
	    cfg->sw_dir);
	snprintf(sw->staging_path, sizeof(sw->staging_path), "%s/staging.bin",
	    cfg->sw_dir);
	snprintf(sw->state_path, sizeof(sw->state_path), "%s/state.json",
	    cfg->sw_dir);
	if (pull_context(n, &sw->ctx, &sw->io_ev) == -1 ||
	    pull_init(&sw->dl, n, sw->ctx, sw->staging_path, "software",
	    &nsw_pull_ops, sw) == -1)
		return -1;
	sw->dl.retries_max = NSW_RETRIES_MAX;
	nsw_load(sw);
	return 0;
}

void
nsw_free(struct node *n)
{
	struct node_sw *sw = n->sw;

	if (sw == NULL)
		return;
	pull_free(&sw->dl);
	pull_context_free(&sw->ctx, &sw->io_ev);
	free(sw);
	n->sw = NULL;
}
