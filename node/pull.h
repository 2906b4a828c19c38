/*
 * pull.h: the fetch of one signed image into a file, as the agent's
 * firmware (fwget.c) and its software packages (swget.c) both do it: the
 * manifest from URI/manifest (when asked), taken or not by the owner, then
 * the image one Block2 block at a time (fwproto.c) into the file, whose
 * length is the position (a restart resumes at the last whole block); at
 * the end the file is hashed and must be the manifest's digest. Lost
 * requests are asked again by libcoap (CON), then here after a backoff.
 *
 * A struct pull is the owner's (embedded), as are the libcoap context it
 * fetches through (pull_context) and the file's path; the pull owns its
 * session, its timer and the open file.
 */
#ifndef OUTPOST_NODE_PULL_H
#define OUTPOST_NODE_PULL_H

#include <limits.h>

#include "node/coap.h"

struct pull;

struct pull_ops {
	/* The manifest fetched (doc, len bytes): FW_RESULT_INITIAL with *m
	 * filled to fetch its image, else the result to end with and why in
	 * err. */
	enum fw_result (*manifest)(struct pull *p, const uint8_t *doc,
		    size_t len, struct fw_manifest *m, char *err,
		    size_t errlen);
	/* Whether the fetch is still wanted; 0 ends it at its next answer or
	 * timer with FW_RESULT_CANCELLED. */
	int	(*wanted)(struct pull *p);
	/* The end, once: ok when the file holds the image (hashed to the
	 * manifest's digest; the file stays, open), else result and why (the
	 * file is removed). The pull is idle again either way. */
	void	(*done)(struct pull *p, int ok, enum fw_result result,
		    const char *why);
};

struct pull {
	struct node		*node;
	coap_context_t		*ctx;		/* not owned */
	coap_session_t		*session;
	struct event		*timer;
	const struct pull_ops	*ops;
	void			*arg;		/* the owner's */
	const char		*what;		/* for the log: "firmware" */
	int			 retries_max;	/* in a row; 0: no end */
	struct fw_manifest	 m;		/* the image being fetched */
	int			 active;
	int			 want_manifest;
	struct sockaddr_storage	 server;	/* where the image is */
	socklen_t		 server_len;
	int			 secure;	/* coaps */
	char			 path[FW_URI_MAX + 1];	/* its path there */
	int			 fd;		/* the file, or -1 */
	uint64_t		 have;		/* bytes in it */
	unsigned		 szx;
	unsigned		 blocks;	/* since the last sync */
	int			 retries;
	uint8_t			 token[8];
	size_t			 toklen;
	struct fwp_etag		 etag;		/* of this fetch's answers */
	char			 file[PATH_MAX + 16];
};

/* A context for pulls on the reactor, without block mode (fwproto.c says
 * why), answers going to the pull of each session: 0, or -1. */
int	pull_context(struct node *n, coap_context_t **ctx, struct event **ev);
void	pull_context_free(coap_context_t **ctx, struct event **ev);

/* Sets up p (idle, no file open) to fetch into file through ctx. */
int	pull_init(struct pull *p, struct node *n, coap_context_t *ctx,
	    const char *file, const char *what, const struct pull_ops *ops,
	    void *arg);
void	pull_free(struct pull *p);

/* Where the image is: a Package URI coap[s]://HOST[:PORT]/PATH with a
 * numeric host (-1 when it is not one), or the agent's gateway at path. */
int	pull_target(struct pull *p, const char *uri);
void	pull_gateway(struct pull *p, const char *path);
/* Fetches the target's manifest, then (when ops->manifest takes it) its
 * image into a fresh file. */
void	pull_manifest(struct pull *p);
/* Fetches the image of m from the target after delay_ms: into a fresh
 * file, or (fresh 0) from the last whole block the file holds. 0, or -1
 * when the file cannot be opened (nothing starts). */
int	pull_image(struct pull *p, const struct fw_manifest *m, int fresh,
	    int64_t delay_ms);
/* Whether the file is m's image: 0, or -1. */
int	pull_check(struct pull *p);
/* Stops fetching, closes and removes the file. */
void	pull_drop(struct pull *p);

#endif /* OUTPOST_NODE_PULL_H */
