/*
 * fwapply.c: installing a fetched image on the agent (see fwint.h). The
 * staged image goes to [firmware] apply_command (an A/B install into the
 * other slot); it is then pending, recorded in pending.json: with
 * [firmware] reboot the agent runs [device] reboot_command and the rest
 * happens at its next start. health_command then decides: success records
 * the new sequence number in installed and reports Update Result 1, only
 * now that the new image runs; failure runs revert_command (back to the
 * old slot) and reports 8.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "node/fwint.h"
#include "node/node.h"

/* Forgets the download under way: its file, manifest and pull record. */
void
nfw_drop_staging(struct node_fw *fw)
{
	pull_drop(&fw->dl);
	fw->pull = 0;
	unlink(fw->manifest_path);
	unlink(fw->pull_path);
}

/* Writes text to path through a temporary file and a rename. */
int
nfw_write_file(const char *path, const void *text, size_t len)
{
	char tmp[PATH_MAX + 32];
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1)
		return -1;
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) == -1) {
		close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);
	return rename(tmp, path);
}

/* Reads at most max bytes of path into a malloc'd buffer. */
char *
nfw_read_file(const char *path, size_t max, size_t *len)
{
	char *buf;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if ((buf = malloc(max + 1)) == NULL ||
	    (n = read(fd, buf, max + 1)) < 0 || (size_t)n > max) {
		close(fd);
		free(buf);
		return NULL;
	}
	close(fd);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

int
nfw_load_manifest(struct node_fw *fw, const char *path, char *err,
    size_t errlen)
{
	char *doc;
	size_t len;
	int rc;

	if ((doc = nfw_read_file(path, FW_MANIFEST_MAX, &len)) == NULL)
		return 0;
	rc = fw_manifest_decode(doc, len, &fw->keys, &fw->dl.m, err, errlen) ==
	    FW_OK ? 1 : -1;
	free(doc);
	return rc;
}

/* The old slot is back (or the revert failed: logged, nothing else to
 * do); the package stays staged so that the update can be tried again. */
static void
nfw_reverted(int status, void *arg)
{
	struct node_fw *fw = arg;

	fw->applying = 0;
	if (status != 0)
		log_warnx("firmware: revert_command failed (status %d)",
		    status);
	unlink(fw->pending_path);
	fw_update_done(&fw->node->obj, &fw->node->obj.fw, 0);
	/* An announced image is not tried again; a pulled one waits for the
	 * server's next execute. */
	if (!fw->pull && access(fw->pull_path, F_OK) == -1)
		nfw_drop_staging(fw);
}

/* The health check of the new image has run: commit, or revert. */
static void
nfw_confirmed(int status, void *arg)
{
	struct node_fw *fw = arg;
	const struct node_config *cfg = &fw->node->cfg;
	char text[32];
	int n;

	if (status != 0) {
		log_warnx("firmware: health check of seq %" PRIu64 " failed "
		    "(status %d): reverting", fw->dl.m.seq, status);
		if (cfg->fw_revert_command[0] == '\0' ||
		    exec_run_cb(fw->node, "firmware revert",
		    cfg->fw_revert_command, nfw_reverted, fw) == -1)
			nfw_reverted(cfg->fw_revert_command[0] == '\0' ? 0 : -1,
			    fw);
		return;
	}
	fw->applying = 0;
	n = snprintf(text, sizeof(text), "%" PRIu64 "\n", fw->dl.m.seq);
	if (nfw_write_file(fw->installed_path, text, (size_t)n) == -1)
		log_warn("firmware: %s", fw->installed_path);
	fw->installed = fw->dl.m.seq;
	unlink(fw->pending_path);
	fw_update_done(&fw->node->obj, &fw->node->obj.fw, 1);
	log_info("firmware: installed %s/%s %s seq %" PRIu64, fw->dl.m.vendor,
	    fw->dl.m.class, fw->dl.m.version, fw->dl.m.seq);
	nfw_drop_staging(fw);
}

/* The new image runs (after the apply, or after the reboot into it):
 * its health check decides. */
static void
nfw_confirm(struct node_fw *fw)
{
	const char *cmd = fw->node->cfg.fw_health_command;

	fw->applying = 1;
	if (cmd[0] == '\0')
		nfw_confirmed(0, fw);
	else if (exec_run_cb(fw->node, "firmware health", cmd, nfw_confirmed,
	    fw) == -1)
		nfw_confirmed(-1, fw);
}

static void
nfw_applied(int status, void *arg)
{
	struct node_fw *fw = arg;
	struct node *n = fw->node;
	char *doc;

	if (status != 0) {
		fw->applying = 0;
		log_warnx("firmware: apply_command failed (status %d): seq %"
		    PRIu64 " not installed", status, fw->dl.m.seq);
		fw_update_done(&n->obj, &n->obj.fw, 0);	/* the package stays */
		return;
	}
	/* Until it is confirmed the new image is pending: a reboot (or a
	 * crash) comes back to the health check, not to success. */
	if ((doc = fw_manifest_json(&fw->dl.m)) == NULL ||
	    nfw_write_file(fw->pending_path, doc, strlen(doc)) == -1)
		log_warn("firmware: %s", fw->pending_path);
	free(doc);
	if (n->cfg.fw_reboot && n->cfg.reboot_command[0] != '\0') {
		log_info("firmware: seq %" PRIu64 " applied, rebooting into it",
		    fw->dl.m.seq);
		exec_run(n, "reboot", n->cfg.reboot_command);
		return;
	}
	nfw_confirm(fw);
}

/* At start: an image applied before a reboot waits for its health check;
 * only then is its success reported. */
void
nfw_pending(struct node_fw *fw)
{
	struct obj *o = &fw->node->obj;
	char err[256];
	int rc;

	if ((rc = nfw_load_manifest(fw, fw->pending_path, err,
	    sizeof(err))) == 0)
		return;
	if (rc == -1) {
		log_warnx("firmware: %s: %s", fw->pending_path, err);
		unlink(fw->pending_path);
		return;
	}
	log_info("firmware: started after applying seq %" PRIu64 ": health "
	    "check", fw->dl.m.seq);
	fw_download_start(o, &o->fw, fw->dl.m.uri);
	fw_download_done(o, &o->fw, 1, FW_RESULT_SUCCESS, fw->dl.m.class,
	    fw->dl.m.version);
	fw_update_start(o, &o->fw);
	nfw_confirm(fw);
}

/* Runs apply_command on the staged image (State Updating). */
void
nfw_apply(struct node_fw *fw)
{
	struct node *n = fw->node;
	char seq[24];

	if (n->cfg.fw_apply_command[0] == '\0') {
		log_info("firmware: no [firmware] apply_command: the image "
		    "stays staged in %s", fw->staging_path);
		if (n->obj.fw.state == FW_UPDATING)
			fw_update_done(&n->obj, &n->obj.fw, 0);
		return;
	}
	if (n->obj.fw.state != FW_UPDATING)
		fw_update_start(&n->obj, &n->obj.fw);
	setenv("OUTPOST_FW_IMAGE", fw->staging_path, 1);
	setenv("OUTPOST_FW_VERSION", fw->dl.m.version, 1);
	snprintf(seq, sizeof(seq), "%" PRIu64, fw->dl.m.seq);
	setenv("OUTPOST_FW_SEQ", seq, 1);
	fw->applying = 1;
	if (exec_run_cb(n, "firmware", n->cfg.fw_apply_command, nfw_applied,
	    fw) == -1)
		nfw_applied(-1, fw);
}
