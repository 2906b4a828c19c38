/*
 * acct.h: a device's LwM2M account, the instances of /0 Security and
 * /1 Server that a bootstrap server writes, as a model without CoAP and
 * without I/O (acct.c); the decoder of those writes, TLV and SenML CBOR
 * (bswrite.c); and the state file that keeps an account across restarts
 * (acctfile.c).
 *
 * The instances' data are node/acctval.h; the meaning of each resource is
 * its object's file: obj_security.c (acct_sec_set, acct_sec_read) and
 * obj_server.c (acct_srv_set, acct_srv_read), whose obj_def rows also give
 * the resources' types, which TLV needs (it carries none). Those files
 * stand below this one: they know an instance, not the account.
 *
 * A struct acct is a plain value without pointers: a write is applied to a
 * copy, which replaces the original only when the whole write is good, so
 * a bad body loses nothing.
 */
#ifndef OUTPOST_NODE_ACCT_H
#define OUTPOST_NODE_ACCT_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include "node/acctval.h"
#include "node/obj_security.h"
#include "node/obj_server.h"
#include "node/object.h"

/* The instances of /0 and /1, each list sorted by iid. */
struct acct {
	struct acct_sec	sec[ACCT_SEC_MAX];
	struct acct_srv	srv[ACCT_SRV_MAX];
	uint8_t		nsec;
	uint8_t		nsrv;
};

/* The DM server account a registers with: its /0 and /1 instances. */
struct acct_dm {
	const struct acct_sec	*sec;
	const struct acct_srv	*srv;
	struct sockaddr_storage	 addr;	/* the URI's numeric host and port */
	socklen_t		 addrlen;
	int			 secure;	/* coaps */
};

/* acct.c */

/* The /0 or /1 instance iid of a; NULL when there is none. */
struct acct_sec *acct_sec_find(struct acct *a, uint16_t iid);
struct acct_srv *acct_srv_find(struct acct *a, uint16_t iid);

/*
 * Writes one resource /oid/iid/rid (oid 0 or 1), making the instance
 * when there is none (with the defaults). bootstrap: a Bootstrap-Write,
 * which may write any resource but executables; else a DM server's write,
 * of OBJ_W resources only. A resource the object does not know is
 * ignored (a bootstrap server may write more than this client keeps).
 * Returns NODE_OK, or an error with err (a is then unchanged only in
 * what this call was to change: callers write into a copy).
 */
enum node_result acct_set(struct acct *a, uint16_t oid, uint16_t iid,
	    uint16_t rid, const struct acct_val *v, int bootstrap, char *err,
	    size_t errlen);

/*
 * Bootstrap-Delete of /oid/iid (oid -1: "/", iid -1: the whole object):
 * every instance named goes but the bootstrap account's. Returns
 * NODE_OK, or NODE_BAD_REQUEST for the bootstrap account's own instance,
 * NODE_NOT_FOUND for an object other than /0 and /1, with err.
 */
enum node_result acct_delete(struct acct *a, int oid, int iid, char *err,
	    size_t errlen);

/* Takes the instances of from that are not bootstrap accounts into a
 * (which keeps its bootstrap accounts). */
void	acct_keep_dm(struct acct *a, const struct acct *from);

/* The lowest /0 iid a has not used. */
uint16_t acct_free_sec_iid(const struct acct *a);

/*
 * Bootstrap-Finish's check: a has a usable DM account (a /0 instance that
 * is no bootstrap account, with a Short Server ID, a coap:// (NoSec) or
 * coaps:// (PSK) URI with a numeric host, an identity and a key of
 * ACCT_KEY_MIN..ACCT_KEY_MAX bytes for PSK; a /1 instance of the same
 * Short Server ID, binding U or UQ). The first such one goes into *dm.
 * Returns 0, or -1 with the reason in err.
 */
int	acct_check(const struct acct *a, struct acct_dm *dm, char *err,
	    size_t errlen);

/*
 * The instances of a as Bootstrap-Discover links (LwM2M 1.1 5.2.7.1):
 * "</0/0>,</0/1>;ssid=101,</1/0>;ssid=101" (a bootstrap account has no
 * ssid), or with dm only the /1 instances, as a registration lists them
 * ("</1/0>"; /0 is never listed, Core 6.2.1). Appended to buf after a
 * comma when buf is not empty. Returns 0, or -1 when it does not fit.
 */
int	acct_links(const struct acct *a, int dm, char *buf, size_t len);

/* bswrite.c */

/*
 * A write of /oid[/iid[/rid]] (iid, rid -1 when not in the path) in
 * Content-Format cf: TLV (11542) or SenML CBOR (112), and text/plain (0)
 * for one resource. Decoded whole and applied to a copy of *a, which
 * replaces *a only when everything is good (bootstrap: as acct_set).
 * Returns NODE_OK; NODE_BAD_REQUEST for a body that does not parse or
 * holds a bad value, NODE_BAD_FORMAT for another format, NODE_TOO_LARGE
 * for a body over ACCT_WRITE_MAX, NODE_NOT_FOUND for another object,
 * NODE_NOT_ALLOWED for a resource the writer may not write; err says why
 * and *a is untouched.
 */
enum node_result acct_write(struct acct *a, int cf, uint16_t oid, int iid,
	    int rid, const uint8_t *body, size_t len, int bootstrap,
	    char *err, size_t errlen);

#define ACCT_CF_TEXT		0
#define ACCT_CF_TLV		11542
#define ACCT_CF_SENML_CBOR	112

/* acctfile.c: the state file, JSON, 0600:
 *   {"version":1,"endpoint":"node-1","security":[{"iid":1,
 *    "uri":"coaps://..","mode":0,"identity":"<hex>","key":"<hex>",
 *    "ssid":101,"hold_off":0,"bs_timeout":0}],"server":[{"iid":0,
 *    "ssid":101,"lifetime":300,"binding":"U","storing":false,
 *    "bs_on_failure":true,"retry_count":0}]}
 * Only DM accounts are kept: the bootstrap account is node.ini's. */

#define ACCT_FILE_MAX	16384	/* bytes of a state file */

/* a's DM accounts as the state file's text (the caller frees it with
 * acct_text_free, which wipes the key); NULL when out of memory. */
char	*acct_render(const struct acct *a, const char *ep);
void	acct_text_free(char *text);

/*
 * Parses a state file's text (len bytes) for endpoint ep into *a, which
 * then holds a usable DM account (acct_check). Returns 0, or -1 with a
 * reason in err ("truncated or not JSON", "security[0].key: ..") and *a
 * untouched.
 */
int	acct_parse(struct acct *a, const char *text, size_t len,
	    const char *ep, char *err, size_t errlen);

/* Writes the state file path atomically (a temporary file, fsync,
 * rename, fsync of the directory), mode 0600. Returns 0 or -1 with err;
 * on failure path keeps its old content. */
int	acct_store(const char *path, const struct acct *a, const char *ep,
	    char *err, size_t errlen);

/* Reads the state file path. Returns 1 (loaded into *a), 0 (there is
 * none), or -1 with err (unreadable, or refused by acct_parse). */
int	acct_load(const char *path, struct acct *a, const char *ep, char *err,
	    size_t errlen);

#endif /* OUTPOST_NODE_ACCT_H */
