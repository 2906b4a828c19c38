/*
 * obj_conn.c: LwM2M object 4, Connectivity Monitoring, instance /4/0: the
 * interface that carries the default route and the others, as the kernel
 * tells them (conn.c, through struct obj_env's conn):
 *
 *   0  Network Bearer        the default route's interface: 41 Ethernet,
 *                            21 WLAN, 22 Bluetooth, 23 IEEE 802.15.4, or
 *                            [connectivity] cellular_bearer for a modem
 *   1  Available Network     the bearers of every interface that is up
 *      Bearer (multiple)
 *   2  Radio Signal Strength dBm, a wireless interface's only
 *   3  Link Quality          a wireless interface's only
 *   4  IP Addresses          the addresses of the default route's
 *      (multiple)            interface (not IPv6 link-local ones)
 *   5  Router IP Addresses   the next hops of the default routes, IPv4
 *      (multiple)            and IPv6
 *
 * What the kernel does not say (the radio of a wired link, the cell of a
 * modem, APNs) is not invented: those resources read as absent.
 *
 * One row of obj_table[] (object.c); see object.h for struct obj_def.
 */
#include <stdio.h>

#include "node/conn.h"
#include "node/object.h"

static const struct obj_res conn_res[] = {
	{ 0, OBJ_R, OBJ_INT, "Network Bearer", OBJ_OBS_SAMPLED },
	{ 1, OBJ_R | OBJ_M, OBJ_INT, "Available Network Bearer",
	    OBJ_OBS_SAMPLED },
	{ 2, OBJ_R, OBJ_INT, "Radio Signal Strength", OBJ_OBS_SAMPLED },
	{ 3, OBJ_R, OBJ_INT, "Link Quality", OBJ_OBS_SAMPLED },
	{ 4, OBJ_R | OBJ_M, OBJ_STRING, "IP Addresses", OBJ_OBS_SAMPLED },
	{ 5, OBJ_R | OBJ_M, OBJ_STRING, "Router IP Addresses",
	    OBJ_OBS_SAMPLED },
};

static const struct conn_info *
conn_now(struct obj *o)
{
	return o->conn != NULL ? o->conn(o->env.arg) : NULL;
}

static void
conn_read(struct obj *o, const char *serial, const struct fw *fw,
    uint16_t rid, struct obj_value *v)
{
	const struct conn_info *ci = conn_now(o);

	(void)serial;
	(void)fw;
	v->type = OBJ_ABSENT;
	if (ci == NULL)
		return;
	switch (rid) {
	case 0:
		if (ci->bearer >= 0)
			obj_set_int(v, OBJ_INT, ci->bearer);
		break;
	case 2:
		if (ci->has_radio)
			obj_set_int(v, OBJ_INT, ci->signal_dbm);
		break;
	case 3:
		if (ci->has_radio)
			obj_set_int(v, OBJ_INT, ci->link_quality);
		break;
	}
}

static size_t
conn_read_multi(struct obj *o, uint16_t rid, struct obj_value *vals,
    size_t max)
{
	const struct conn_info *ci = conn_now(o);
	size_t n = 0, i;

	if (ci == NULL)
		return 0;
	switch (rid) {
	case 1:
		for (i = 0; i < ci->nbearers && n < max; i++)
			obj_set_int(&vals[n++], OBJ_INT, ci->bearers[i]);
		break;
	case 4:
		for (i = 0; i < ci->naddrs && n < max; i++)
			obj_set_str(&vals[n++], ci->addrs[i]);
		break;
	case 5:
		for (i = 0; i < ci->nrouters && n < max; i++)
			obj_set_str(&vals[n++], ci->routers[i]);
		break;
	}
	return n;
}

const struct obj_def obj_conn = {
	.oid = OBJ_CONN,
	.name = "Connectivity Monitoring",
	.res = conn_res,
	.nres = sizeof(conn_res) / sizeof(conn_res[0]),
	.read = conn_read,
	.read_multi = conn_read_multi,
};
