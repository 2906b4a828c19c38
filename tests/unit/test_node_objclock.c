/*
 * test_node_objclock.c: unit tests for /3/0/14 UTC Offset and /3/0/15
 * Timezone of the node's Device object (node/obj_device.c): their values
 * and what is refused, each device's own through obj.clock_of as a fleet
 * keeps them, the defaults from the system (obj_clock_system, over files
 * of a temporary directory), and the writes in TLV (node/tlv.c,
 * obj_write_cf, obj_write_partial) with hostile bodies.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "node/nconf.h"
#include "node/object.h"
#include "node/tlv.h"

#define NDEV	3

struct fixture {
	struct node_config	cfg;
	struct obj		obj;
	/* Three fleet devices: each named by its /5/0 as the node's hooks
	 * name a device, its clock made at its first write. */
	struct fw		fw[NDEV];
	struct obj_clock	clock[NDEV];
	int			has[NDEV];
	int			fail_make;
	int			changes[16][2];
	const struct fw		*changed_fw[16];
	int			nchanges;
};

static int64_t
fake_now(void *arg)
{
	(void)arg;
	return 1700000000;
}

static long
fake_mem(void *arg)
{
	(void)arg;
	return 1000;
}

static int
fake_battery(void *arg)
{
	(void)arg;
	return 50;
}

static void
record_change(void *arg, const struct fw *fw, uint16_t oid, uint16_t rid)
{
	struct fixture *f = arg;

	if (f->nchanges < 16) {
		f->changes[f->nchanges][0] = oid;
		f->changes[f->nchanges][1] = rid;
		f->changed_fw[f->nchanges] = fw;
	}
	f->nchanges++;
}

/* obj.clock_of as shard.c's: the device fw names, made from obj.clock. */
static struct obj_clock *
fake_clock_of(void *arg, const struct fw *fw, int make)
{
	struct fixture *f = arg;
	int i;

	for (i = 0; i < NDEV; i++)
		if (fw == &f->fw[i])
			break;
	if (i == NDEV)
		return NULL;
	if (!f->has[i] && make) {
		if (f->fail_make)
			return NULL;
		f->clock[i] = f->obj.clock;
		f->has[i] = 1;
	}
	return f->has[i] ? &f->clock[i] : NULL;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct obj_env env = { fake_now, fake_mem, fake_battery, NULL };

	assert_non_null(f);
	env.arg = f;
	nconf_defaults(&f->cfg);
	obj_init(&f->obj, &f->cfg, &env);
	f->obj.changed = record_change;
	f->obj.changed_arg = f;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	free(*state);
	return 0;
}

/* The text of /3/0/rid as the device fw reads it. */
static const char *
rd(struct fixture *f, const struct fw *fw, uint16_t rid)
{
	static struct obj_value v;
	char err[160];

	assert_int_equal(obj_read(&f->obj, "ep", fw, 3, rid, &v, err,
	    sizeof(err)), NODE_OK);
	assert_int_equal(v.type, OBJ_STRING);
	return v.s;
}

static enum node_result
wr(struct fixture *f, struct fw *fw, uint16_t rid, const char *text,
    char *err, size_t errlen)
{
	enum obj_action act = OBJ_ACTION_REBOOT;
	enum node_result res;

	res = obj_write(&f->obj, fw, 3, rid, (const uint8_t *)text,
	    strlen(text), &act, err, errlen);
	assert_int_equal(act, OBJ_ACTION_NONE);
	return res;
}

static void
test_defaults_and_writes(void **state)
{
	struct fixture *f = *state;
	char err[200];
	char *senml;

	assert_string_equal(rd(f, &f->obj.fw, 14), "+00:00");
	assert_string_equal(rd(f, &f->obj.fw, 15), "UTC");
	assert_int_equal(wr(f, &f->obj.fw, 15, "Europe/Berlin", err,
	    sizeof(err)), NODE_OK);
	assert_int_equal(wr(f, &f->obj.fw, 14, "+01:00", err, sizeof(err)),
	    NODE_OK);
	assert_string_equal(rd(f, &f->obj.fw, 15), "Europe/Berlin");
	assert_string_equal(rd(f, &f->obj.fw, 14), "+01:00");
	/* Observers hear of each. */
	assert_int_equal(f->nchanges, 2);
	assert_int_equal(f->changes[0][0], 3);
	assert_int_equal(f->changes[0][1], 15);
	assert_int_equal(f->changes[1][1], 14);
	/* In the instance's SenML, as strings. */
	senml = obj_read_senml(&f->obj, "ep", &f->obj.fw, 3, err,
	    sizeof(err));
	assert_non_null(senml);
	assert_non_null(strstr(senml, "{\"n\":\"14\",\"vs\":\"+01:00\"}"));
	assert_non_null(strstr(senml, "{\"n\":\"15\",\"vs\":\"Europe/Berlin\"}"));
	free(senml);
	/* Every form of an offset LwM2M servers write. */
	assert_int_equal(wr(f, &f->obj.fw, 14, "Z", err, sizeof(err)),
	    NODE_OK);
	assert_int_equal(wr(f, &f->obj.fw, 14, "-0530", err, sizeof(err)),
	    NODE_OK);
	assert_int_equal(wr(f, &f->obj.fw, 14, "+14", err, sizeof(err)),
	    NODE_OK);
	assert_string_equal(rd(f, &f->obj.fw, 14), "+14");
}

static void
test_refused_values(void **state)
{
	static const char *const offsets[] = {
		"", "+", "01:00", "+1:00", "+01:0", "+01:60", "+15:00",
		"+01-00", "Z1", "z", "+01:00 ", " +01:00", "UTC+01:00",
		"+0100:", "++1:00", "+0a:00", "+01:00:00",
	};
	static const char *const zones[] = {
		"", "/", "Europe/", "/Europe", "Europe//Berlin", "..",
		"../etc/passwd", "Europe/./Berlin", "Europe Berlin",
		"Europe\\Berlin", "caf\xc3\xa9",
		"A1234567890123456789012345678901234567890123456789012345678901234",
	};
	struct fixture *f = *state;
	enum obj_action act;
	char err[200];
	size_t i;

	for (i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		err[0] = '\0';
		assert_int_equal(wr(f, &f->obj.fw, 14, offsets[i], err,
		    sizeof(err)), NODE_BAD_REQUEST);
		assert_non_null(strstr(err, "UTC Offset"));
	}
	for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		err[0] = '\0';
		assert_int_equal(wr(f, &f->obj.fw, 15, zones[i], err,
		    sizeof(err)), NODE_BAD_REQUEST);
		assert_non_null(strstr(err, "Timezone"));
	}
	/* A NUL inside, and a body longer than any name. */
	assert_int_equal(obj_write(&f->obj, &f->obj.fw, 3, 15,
	    (const uint8_t *)"UTC\0x", 5, &act, err, sizeof(err)),
	    NODE_BAD_REQUEST);
	assert_int_equal(obj_write(&f->obj, &f->obj.fw, 3, 14,
	    (const uint8_t *)"+01:00\0", 7, &act, err, sizeof(err)),
	    NODE_BAD_REQUEST);
	/* Nothing changed, nobody told. */
	assert_string_equal(rd(f, &f->obj.fw, 14), "+00:00");
	assert_string_equal(rd(f, &f->obj.fw, 15), "UTC");
	assert_int_equal(f->nchanges, 0);
	/* 64 bytes is the longest name. */
	assert_int_equal(wr(f, &f->obj.fw, 15,
	    "A123456789012345678901234567890123456789012345678901234567890123",
	    err, sizeof(err)), NODE_OK);
}

static void
test_each_device_its_own(void **state)
{
	struct fixture *f = *state;
	char err[200];

	f->obj.clock_of = fake_clock_of;
	snprintf(f->obj.clock.timezone, sizeof(f->obj.clock.timezone),
	    "Etc/UTC");
	assert_int_equal(wr(f, &f->fw[1], 15, "Europe/Berlin", err,
	    sizeof(err)), NODE_OK);
	assert_string_equal(rd(f, &f->fw[1], 15), "Europe/Berlin");
	/* The others still read the process's. */
	assert_string_equal(rd(f, &f->fw[0], 15), "Etc/UTC");
	assert_string_equal(rd(f, &f->fw[2], 15), "Etc/UTC");
	assert_string_equal(rd(f, &f->obj.fw, 15), "Etc/UTC");
	/* Its offset was made from the process's, and is its own too. */
	assert_string_equal(rd(f, &f->fw[1], 14), "+00:00");
	assert_int_equal(wr(f, &f->fw[2], 14, "-03:00", err, sizeof(err)),
	    NODE_OK);
	assert_string_equal(rd(f, &f->fw[2], 14), "-03:00");
	assert_string_equal(rd(f, &f->fw[1], 14), "+00:00");
	assert_string_equal(rd(f, &f->fw[2], 15), "Etc/UTC");
	assert_false(f->has[0]);
	/* The change is told for the device written. */
	assert_int_equal(f->nchanges, 2);
	assert_ptr_equal(f->changed_fw[0], &f->fw[1]);
	assert_ptr_equal(f->changed_fw[1], &f->fw[2]);
	/* No memory for a device's own: refused, nothing changed. */
	f->fail_make = 1;
	assert_int_equal(wr(f, &f->fw[0], 15, "Asia/Tokyo", err,
	    sizeof(err)), NODE_INTERNAL);
	assert_string_equal(rd(f, &f->fw[0], 15), "Etc/UTC");
	assert_string_equal(f->obj.clock.timezone, "Etc/UTC");
	assert_int_equal(f->nchanges, 2);
}

static void
test_utc_offset_text(void **state)
{
	char buf[OBJ_UTC_OFFSET_MAX];

	(void)state;
	obj_utc_offset(0, buf, sizeof(buf));
	assert_string_equal(buf, "+00:00");
	obj_utc_offset(3600, buf, sizeof(buf));
	assert_string_equal(buf, "+01:00");
	obj_utc_offset(-19800, buf, sizeof(buf));
	assert_string_equal(buf, "-05:30");
	obj_utc_offset(13 * 3600 + 45 * 60, buf, sizeof(buf));
	assert_string_equal(buf, "+13:45");
	obj_utc_offset(99 * 3600, buf, sizeof(buf));	/* held to 14 h */
	assert_string_equal(buf, "+14:00");
	obj_utc_offset(-99 * 3600L, buf, sizeof(buf));
	assert_string_equal(buf, "-14:00");
}

static void
put_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void
test_system_defaults(void **state)
{
	char dir[] = "/tmp/outpost-clock.XXXXXX", p[512], zones[256],
	    tzfile[300], link[300], target[300];
	struct obj_clock c;
	size_t i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(zones, sizeof(zones), "%s/zoneinfo", dir);
	assert_int_equal(mkdir(zones, 0700), 0);
	snprintf(p, sizeof(p), "%s/Europe", zones);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/Europe/Berlin", zones);
	put_file(p, "TZif");
	snprintf(tzfile, sizeof(tzfile), "%s/timezone", dir);
	snprintf(link, sizeof(link), "%s/localtime", dir);

	/* TZ first, when it names a zone file, with or without ':'. */
	obj_clock_system(&c, 3600, "Europe/Berlin", NULL, NULL, zones);
	assert_string_equal(c.utc_offset, "+01:00");
	assert_string_equal(c.timezone, "Europe/Berlin");
	obj_clock_system(&c, 3600, ":Europe/Berlin", NULL, NULL, zones);
	assert_string_equal(c.timezone, "Europe/Berlin");
	/* A POSIX rule, a zone with no file, a path: not simple. */
	obj_clock_system(&c, 3600, "CET-1CEST,M3.5.0,M10.5.0/3", NULL, NULL,
	    zones);
	assert_string_equal(c.timezone, "UTC");
	obj_clock_system(&c, 3600, "Europe/Paris", NULL, NULL, zones);
	assert_string_equal(c.timezone, "UTC");
	obj_clock_system(&c, 3600, "Europe", NULL, NULL, zones);	/* dir */
	assert_string_equal(c.timezone, "UTC");
	obj_clock_system(&c, 3600, "../zoneinfo/Europe/Berlin", NULL, NULL,
	    zones);
	assert_string_equal(c.timezone, "UTC");
	/* Then /etc/timezone's first line. */
	put_file(tzfile, "America/New_York\nrest\n");
	obj_clock_system(&c, -18000, "CET-1CEST", tzfile, link, zones);
	assert_string_equal(c.utc_offset, "-05:00");
	assert_string_equal(c.timezone, "America/New_York");
	put_file(tzfile, "Asia/Tokyo");		/* no newline */
	obj_clock_system(&c, 0, NULL, tzfile, link, zones);
	assert_string_equal(c.timezone, "Asia/Tokyo");
	/* Not a name there, or one cut short: the localtime link. */
	assert_int_equal(symlink("/usr/share/zoneinfo/Asia/Kolkata", link),
	    0);
	put_file(tzfile, "not a zone\n");
	obj_clock_system(&c, 0, NULL, tzfile, link, zones);
	assert_string_equal(c.timezone, "Asia/Kolkata");
	memset(target, 'A', sizeof(target) - 2);
	target[sizeof(target) - 2] = '\n';
	target[sizeof(target) - 1] = '\0';
	put_file(tzfile, target);
	obj_clock_system(&c, 0, NULL, tzfile, link, zones);
	assert_string_equal(c.timezone, "Asia/Kolkata");
	unlink(link);
	assert_int_equal(symlink("../usr/share/zoneinfo/posix/Europe/Rome",
	    link), 0);
	obj_clock_system(&c, 0, NULL, "/nonexistent", link, zones);
	assert_string_equal(c.timezone, "Europe/Rome");
	/* A link outside zoneinfo, or none: UTC. */
	unlink(link);
	assert_int_equal(symlink("/etc/passwd", link), 0);
	obj_clock_system(&c, 0, NULL, NULL, link, zones);
	assert_string_equal(c.timezone, "UTC");
	obj_clock_system(&c, 0, NULL, NULL, NULL, zones);
	assert_string_equal(c.timezone, "UTC");
	for (i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, i ? "localtime" :
		    "timezone");
		unlink(p);
	}
	snprintf(p, sizeof(p), "%s/Europe/Berlin", zones);
	unlink(p);
	snprintf(p, sizeof(p), "%s/Europe", zones);
	rmdir(p);
	rmdir(zones);
	rmdir(dir);
}

/* A TLV header and value at buf+*len. */
static void
tlv(uint8_t *buf, size_t *len, int kind, unsigned id, const void *val,
    size_t vlen)
{
	uint8_t type = (uint8_t)(kind << 6);
	size_t at = *len + 1;

	if (id > 255) {
		type |= 0x20;
		buf[at++] = (uint8_t)(id >> 8);
	}
	buf[at++] = (uint8_t)id;
	if (vlen < 8) {
		type |= (uint8_t)vlen;
	} else if (vlen < 256) {
		type |= 0x08;
		buf[at++] = (uint8_t)vlen;
	} else {
		type |= 0x10;
		buf[at++] = (uint8_t)(vlen >> 8);
		buf[at++] = (uint8_t)vlen;
	}
	buf[*len] = type;
	memcpy(buf + at, val, vlen);
	*len = at + vlen;
}

static enum node_result
wr_tlv(struct fixture *f, uint16_t oid, uint16_t rid, const uint8_t *buf,
    size_t len, char *err, size_t errlen)
{
	enum obj_action act;

	return obj_write_cf(&f->obj, &f->obj.fw, oid, rid, 11542, buf, len,
	    &act, err, errlen);
}

static void
test_tlv_write(void **state)
{
	struct fixture *f = *state;
	enum obj_action act;
	uint8_t buf[600], big[300];
	char err[200];
	size_t len;

	len = 0;
	tlv(buf, &len, TLV_RESOURCE, 15, "Europe/Berlin", 13);
	assert_int_equal(wr_tlv(f, 3, 15, buf, len, err, sizeof(err)),
	    NODE_OK);
	assert_string_equal(rd(f, &f->obj.fw, 15), "Europe/Berlin");
	/* A 16-bit id and an 8-bit length. */
	len = 0;
	tlv(buf, &len, TLV_RESOURCE, 14, "+02:00", 6);
	assert_int_equal(wr_tlv(f, 3, 14, buf, len, err, sizeof(err)),
	    NODE_OK);
	len = 0;
	tlv(buf, &len, TLV_RESOURCE, 15, "America/Argentina/Buenos_Aires",
	    30);
	assert_int_equal(buf[0] & 0x18, 0x08);
	assert_int_equal(wr_tlv(f, 3, 15, buf, len, err, sizeof(err)),
	    NODE_OK);
	assert_string_equal(rd(f, &f->obj.fw, 15),
	    "America/Argentina/Buenos_Aires");
	/* text/plain and no Content-Format still work; others do not. */
	assert_int_equal(obj_write_cf(&f->obj, &f->obj.fw, 3, 15, 0,
	    (const uint8_t *)"UTC", 3, &act, err, sizeof(err)), NODE_OK);
	assert_int_equal(obj_write_cf(&f->obj, &f->obj.fw, 3, 15, -1,
	    (const uint8_t *)"Etc/UTC", 7, &act, err, sizeof(err)), NODE_OK);
	assert_int_equal(obj_write_cf(&f->obj, &f->obj.fw, 3, 15, 110,
	    (const uint8_t *)"[]", 2, &act, err, sizeof(err)),
	    NODE_BAD_FORMAT);
	assert_int_equal(obj_write_cf(&f->obj, &f->obj.fw, 3, 15, 112,
	    (const uint8_t *)"\x80", 1, &act, err, sizeof(err)),
	    NODE_BAD_FORMAT);
	assert_string_equal(rd(f, &f->obj.fw, 15), "Etc/UTC");
	/* Not writable, or no such resource: said before the body. */
	len = 0;
	tlv(buf, &len, TLV_RESOURCE, 1, "x", 1);
	assert_int_equal(wr_tlv(f, 3, 1, buf, len, err, sizeof(err)),
	    NODE_NOT_ALLOWED);
	assert_int_equal(wr_tlv(f, 3, 99, buf, len, err, sizeof(err)),
	    NODE_NOT_FOUND);
	/* A value too long for any resource. */
	memset(big, 'a', sizeof(big));
	len = 0;
	tlv(buf, &len, TLV_RESOURCE, 15, big, sizeof(big));
	assert_int_equal(wr_tlv(f, 3, 15, buf, len, err, sizeof(err)),
	    NODE_BAD_REQUEST);
	assert_non_null(strstr(err, "limit"));
	assert_string_equal(rd(f, &f->obj.fw, 15), "Etc/UTC");
}

static void
test_tlv_hostile(void **state)
{
	static const struct {
		const char	*what;
		uint8_t		 body[16];
		size_t		 len;
	} bad[] = {
		{ "empty", { 0 }, 0 },
		{ "type byte alone", { 0xc3 }, 1 },
		{ "16-bit id cut", { 0xe3, 0x00 }, 2 },
		{ "8-bit length cut", { 0xc8, 15 }, 2 },
		{ "24-bit length cut", { 0xd8, 15, 0xff, 0xff }, 4 },
		{ "length past the end", { 0xc8, 15, 0x20, 'U' }, 4 },
		{ "length past the end, 3 bits", { 0xc5, 15, 'U', 'T' }, 4 },
		{ "another resource", { 0xc3, 14, 'U', 'T', 'C' }, 5 },
		{ "two resources", { 0xc3, 15, 'U', 'T', 'C', 0xc3, 15, 'U',
		    'T', 'C' }, 10 },
		{ "trailing byte", { 0xc3, 15, 'U', 'T', 'C', 0 }, 6 },
		{ "an instance TLV", { 0x05, 0, 0xc3, 15, 'U', 'T', 'C' }, 7 },
		{ "a resource instance", { 0x43, 15, 'U', 'T', 'C' }, 5 },
		{ "a multiple resource", { 0x85, 15, 0x41, 0, 'U' }, 5 },
		{ "a NUL in the string", { 0xc3, 15, 'U', 0, 'C' }, 5 },
		{ "a bad name", { 0xc3, 15, '.', '.', '/' }, 5 },
	};
	struct fixture *f = *state;
	char err[200];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (wr_tlv(f, 3, 15, bad[i].body, bad[i].len, err,
		    sizeof(err)) != NODE_BAD_REQUEST)
			fail_msg("%s: taken", bad[i].what);
		if (err[0] == '\0')
			fail_msg("%s: no reason", bad[i].what);
	}
	assert_string_equal(rd(f, &f->obj.fw, 15), "UTC");
	assert_int_equal(f->nchanges, 0);
}

static void
test_tlv_text_types(void **state)
{
	struct tlv t = { TLV_RESOURCE, 7, NULL, 0 };
	char buf[32], err[160];
	size_t n;

	(void)state;
	t.val = (const uint8_t *)"\xff";
	t.len = 1;
	assert_int_equal(tlv_text(&t, OBJ_INT, buf, sizeof(buf), &n, err,
	    sizeof(err)), 0);
	assert_string_equal(buf, "-1");
	t.val = (const uint8_t *)"\x01\x00";
	t.len = 2;
	assert_int_equal(tlv_text(&t, OBJ_INT, buf, sizeof(buf), &n, err,
	    sizeof(err)), 0);
	assert_string_equal(buf, "256");
	t.val = (const uint8_t *)"\x80\x00\x00\x00\x00\x00\x00\x00";
	t.len = 8;
	assert_int_equal(tlv_text(&t, OBJ_TIME, buf, sizeof(buf), &n, err,
	    sizeof(err)), 0);
	assert_string_equal(buf, "-9223372036854775808");
	assert_int_equal(n, 20);
	t.len = 3;		/* 1, 2, 4 or 8 bytes only */
	assert_int_equal(tlv_text(&t, OBJ_INT, buf, sizeof(buf), &n, err,
	    sizeof(err)), -1);
	t.len = 0;
	assert_int_equal(tlv_text(&t, OBJ_INT, buf, sizeof(buf), &n, err,
	    sizeof(err)), -1);
	t.val = (const uint8_t *)"\x01";
	t.len = 1;
	assert_int_equal(tlv_text(&t, OBJ_BOOL, buf, sizeof(buf), &n, err,
	    sizeof(err)), 0);
	assert_string_equal(buf, "1");
	t.val = (const uint8_t *)"\x02";
	assert_int_equal(tlv_text(&t, OBJ_BOOL, buf, sizeof(buf), &n, err,
	    sizeof(err)), -1);
	t.val = (const uint8_t *)"\x00\x01";
	t.len = 2;
	assert_int_equal(tlv_text(&t, OBJ_OPAQUE, buf, sizeof(buf), &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_int_equal(tlv_text(&t, OBJ_STRING, buf, sizeof(buf), &n, err,
	    sizeof(err)), -1);
	assert_int_equal(tlv_text(&t, OBJ_FLOAT, buf, sizeof(buf), &n, err,
	    sizeof(err)), -1);
	/* The decimal must fit. */
	t.val = (const uint8_t *)"\x80\x00\x00\x00\x00\x00\x00\x00";
	t.len = 8;
	assert_int_equal(tlv_text(&t, OBJ_INT, buf, 20, &n, err,
	    sizeof(err)), -1);
}

static enum node_result
partial(struct fixture *f, const uint8_t *buf, size_t len, char *err,
    size_t errlen)
{
	enum obj_action act;

	return obj_write_partial(&f->obj, &f->obj.fw, 3, buf, len, &act, err,
	    errlen);
}

static void
test_partial_write(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[2048], inner[64];
	char err[200];
	size_t len, ilen, i;

	len = 0;
	tlv(buf, &len, TLV_RESOURCE, 14, "+09:00", 6);
	tlv(buf, &len, TLV_RESOURCE, 15, "Asia/Tokyo", 10);
	assert_int_equal(partial(f, buf, len, err, sizeof(err)), NODE_OK);
	assert_string_equal(rd(f, &f->obj.fw, 14), "+09:00");
	assert_string_equal(rd(f, &f->obj.fw, 15), "Asia/Tokyo");
	assert_int_equal(f->nchanges, 2);
	/* Inside one Object Instance TLV 0. */
	ilen = 0;
	tlv(inner, &ilen, TLV_RESOURCE, 15, "UTC", 3);
	len = 0;
	tlv(buf, &len, TLV_INSTANCE, 0, inner, ilen);
	assert_int_equal(partial(f, buf, len, err, sizeof(err)), NODE_OK);
	assert_string_equal(rd(f, &f->obj.fw, 15), "UTC");
	/* Instance 1, or two instances: refused. */
	len = 0;
	tlv(buf, &len, TLV_INSTANCE, 1, inner, ilen);
	assert_int_equal(partial(f, buf, len, err, sizeof(err)),
	    NODE_BAD_REQUEST);
	len = 0;
	tlv(buf, &len, TLV_INSTANCE, 0, inner, ilen);
	tlv(buf, &len, TLV_INSTANCE, 0, inner, ilen);
	assert_int_equal(partial(f, buf, len, err, sizeof(err)),
	    NODE_BAD_REQUEST);
	f->nchanges = 0;
	/* One resource not writable, unknown, or not decodable: none is
	 * written. */
	len = 0;
	tlv(buf, &len, TLV_RESOURCE, 15, "Europe/Oslo", 11);
	tlv(buf, &len, TLV_RESOURCE, 1, "x", 1);
	assert_int_equal(partial(f, buf, len, err, sizeof(err)),
	    NODE_NOT_ALLOWED);
	len = 0;
	tlv(buf, &len, TLV_RESOURCE, 15, "Europe/Oslo", 11);
	tlv(buf, &len, TLV_RESOURCE, 99, "x", 1);
	assert_int_equal(partial(f, buf, len, err, sizeof(err)),
	    NODE_NOT_FOUND);
	len = 0;
	tlv(buf, &len, TLV_RESOURCE, 15, "Europe/Oslo", 11);
	tlv(buf, &len, TLV_RESOURCE, 14, "+0\0", 3);
	assert_int_equal(partial(f, buf, len, err, sizeof(err)),
	    NODE_BAD_REQUEST);
	len = 0;
	tlv(buf, &len, TLV_RESOURCE, 15, "Europe/Oslo", 11);
	tlv(buf, &len, TLV_MULTIPLE, 11, "", 0);
	assert_int_equal(partial(f, buf, len, err, sizeof(err)),
	    NODE_BAD_REQUEST);
	len = 0;
	tlv(buf, &len, TLV_RESOURCE, 15, "Europe/Oslo", 11);
	buf[len++] = 0xc8;		/* a header cut short */
	assert_int_equal(partial(f, buf, len, err, sizeof(err)),
	    NODE_BAD_REQUEST);
	assert_int_equal(partial(f, buf, 0, err, sizeof(err)),
	    NODE_BAD_REQUEST);
	len = 0;
	for (i = 0; i < 33; i++)
		tlv(buf, &len, TLV_RESOURCE, 15, "UTC", 3);
	assert_int_equal(partial(f, buf, len, err, sizeof(err)),
	    NODE_BAD_REQUEST);
	assert_non_null(strstr(err, "more than"));
	assert_string_equal(rd(f, &f->obj.fw, 15), "UTC");
	assert_int_equal(f->nchanges, 0);
	/* A value its object refuses stops the write there. */
	len = 0;
	tlv(buf, &len, TLV_RESOURCE, 15, "Europe/Oslo", 11);
	tlv(buf, &len, TLV_RESOURCE, 14, "+25:00", 6);
	assert_int_equal(partial(f, buf, len, err, sizeof(err)),
	    NODE_BAD_REQUEST);
	assert_non_null(strstr(err, "UTC Offset"));
	assert_string_equal(rd(f, &f->obj.fw, 15), "Europe/Oslo");
	assert_string_equal(rd(f, &f->obj.fw, 14), "+09:00");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults_and_writes,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_values, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_each_device_its_own,
		    setup, teardown),
		cmocka_unit_test(test_utc_offset_text),
		cmocka_unit_test(test_system_defaults),
		cmocka_unit_test_setup_teardown(test_tlv_write, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tlv_hostile, setup,
		    teardown),
		cmocka_unit_test(test_tlv_text_types),
		cmocka_unit_test_setup_teardown(test_partial_write, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
