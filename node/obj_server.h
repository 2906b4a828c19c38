/*
 * obj_server.h: /1 Server, one resource of one instance (an account's
 * instance, node/acctval.h), by acct_set's rules as obj_security.h says.
 */
#ifndef OUTPOST_NODE_OBJ_SERVER_H
#define OUTPOST_NODE_OBJ_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "node/acctval.h"
#include "node/object.h"

enum node_result acct_srv_set(struct acct_srv *s, uint16_t rid,
	    const struct acct_val *v, char *err, size_t errlen);
void	acct_srv_read(const struct acct_srv *s, uint16_t rid,
	    struct obj_value *v);
void	acct_srv_init(struct acct_srv *s, uint16_t iid);

#endif /* OUTPOST_NODE_OBJ_SERVER_H */
