/*
 * fwint.h: the agent's firmware state, shared by fwget.c (announcements,
 * the pull path, the block-wise download into the staging file) and
 * fwapply.c (the A/B apply, the health check that confirms it or the
 * revert, and the pending image found at start). The fetch itself is
 * pull.c's. Nothing else uses it: the rest of the agent calls the nfw_*
 * functions of node.h, and swget.c keeps its files with nfw_write_file
 * and nfw_read_file.
 */
#ifndef OUTPOST_NODE_FWINT_H
#define OUTPOST_NODE_FWINT_H

#include <sys/socket.h>

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "node/pull.h"

struct node_fw {
	struct node		*node;
	coap_context_t		*ctx;
	struct event		*io_ev;
	struct fw_keyring	 keys;
	struct pull		 dl;		/* the fetch: its manifest, the
						   file staging.bin */
	int			 applying;	/* apply_command runs */
	int			 pull;		/* LwM2M: wait for /5/0/2 */
	uint64_t		 installed;	/* sequence number */
	char			 installed_path[PATH_MAX + 16];
	char			 manifest_path[PATH_MAX + 16];
	char			 staging_path[PATH_MAX + 16];
	char			 pull_path[PATH_MAX + 16];
	char			 pending_path[PATH_MAX + 16];
};

/* fwget.c: closes and removes the staged files; not fetching any more. */
void	nfw_drop_staging(struct node_fw *fw);

/* fwapply.c */
/* Writes text to path through a temporary file, fsync and a rename. */
int	nfw_write_file(const char *path, const void *text, size_t len);
/* Reads at most max bytes of path into a malloc'd, NUL-terminated buffer
 * (the caller frees it); NULL when it cannot or the file is larger. */
char	*nfw_read_file(const char *path, size_t max, size_t *len);
/* Reads the manifest kept in path into fw->m, checked against the trusted
 * keys: 1 read, 0 no such file, -1 refused (err says why). */
int	nfw_load_manifest(struct node_fw *fw, const char *path, char *err,
	    size_t errlen);
/* Runs apply_command on the staged image (State Updating); its health
 * check confirms it, or revert_command brings the old slot back. */
void	nfw_apply(struct node_fw *fw);
/* At start: an image applied before a reboot gets its health check; only
 * then is its success reported. */
void	nfw_pending(struct node_fw *fw);

#endif /* OUTPOST_NODE_FWINT_H */
