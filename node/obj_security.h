/*
 * obj_security.h: /0 Security, one resource of one instance (an account's
 * instance, node/acctval.h): set follows acct_set's rules (the resource
 * exists and the write is allowed); read is for OBJ_R resources (the
 * Secret Key has none).
 */
#ifndef OUTPOST_NODE_OBJ_SECURITY_H
#define OUTPOST_NODE_OBJ_SECURITY_H

#include <stddef.h>
#include <stdint.h>

#include "node/acctval.h"
#include "node/object.h"

enum node_result acct_sec_set(struct acct_sec *s, uint16_t rid,
	    const struct acct_val *v, char *err, size_t errlen);
void	acct_sec_read(const struct acct_sec *s, uint16_t rid,
	    struct obj_value *v);
void	acct_sec_init(struct acct_sec *s, uint16_t iid);

#endif /* OUTPOST_NODE_OBJ_SECURITY_H */
