// fuzz-sources: lwm2m/coapmap.c parse.c
// fuzz-libs: -lcjson
/*
 * fuzz_coapmap.c: libFuzzer target for the RFC 8075 mappings. The input, up
 * to its first NUL, is an HTTP Content-Type or Accept value; its first
 * bytes, read as ints, are also a CoAP response code and a Content-Format.
 * The whole input is also a device's diagnostic payload and a
 * Location-Path option value. Besides ASan and UBSan, it checks the
 * promises of coapmap.h and aborts on a broken one.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/coapmap.h"

int		 LLVMFuzzerTestOneInput(const uint8_t *, size_t);
const char	*__ubsan_default_options(void);

/*
 * The build uses -fsanitize=undefined in recover mode, where UBSan only
 * prints; make undefined behaviour a crash that libFuzzer saves.
 */
const char *
__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}

/* Enough for "application/coap-payload;cf=" and any int, and the NUL. */
#define FUZZ_TYPE_MAX	40

/* The int at data[off..off+4), or 0 past the end. */
static int
fuzz_int(const uint8_t *data, size_t size, size_t off)
{
	uint32_t u = 0;

	if (off + sizeof(u) <= size)
		memcpy(&u, data + off, sizeof(u));
	return (int)u;
}

/* A status is an HTTP status; one from outside 2.00..5.31 is 502. */
static void
fuzz_status(int cls, int detail, int has_body)
{
	int s = coapmap_status(cls, detail, has_body);

	if (s < 200 || s > 599)
		abort();
	if ((cls < 2 || cls > 5 || detail < 0 || detail > 31) && s != 502)
		abort();
}

/*
 * A media type is NUL-terminated inside a heap buffer of exactly len bytes
 * when it is written there; with room for it, it parses back to cf.
 */
static void
fuzz_media_type(int cf, size_t len)
{
	char *buf = malloc(len);
	const char *t;
	int back;

	if (buf == NULL)
		return;
	memset(buf, 'x', len);
	t = coapmap_media_type(cf, buf, len);
	if (t == NULL)
		abort();
	if (t == buf) {
		if (memchr(buf, '\0', len) == NULL)
			abort();
	} else if (strlen(t) >= FUZZ_TYPE_MAX)
		abort();
	if ((t != buf || len >= FUZZ_TYPE_MAX) && cf >= 0 && cf <= 65535) {
		back = coapmap_content_format(t);
		if (back != cf)
			abort();
	}
	free(buf);
}

/* A Content-Format is NONE or 0..65535, and survives a round trip. */
static void
fuzz_content_format(const char *type)
{
	char buf[FUZZ_TYPE_MAX];
	const char *t;
	int cf;

	cf = coapmap_content_format(type);
	if (cf == COAPMAP_NONE)
		return;
	if (cf < 0 || cf > 65535)
		abort();
	t = coapmap_media_type(cf, buf, sizeof(buf));
	if (t == NULL || coapmap_content_format(t) != cf)
		abort();
}

/* A device error: a name, a terminated detail that starts as promised
 * and holds no control character, a "c.dd" code; in any buffer size. */
static void
fuzz_device_error(const uint8_t *data, size_t size)
{
	uint8_t *diag = malloc(size > 0 ? size : 1);
	char detail[512], code[8];
	const char *name;
	size_t i, dlen = size > 0 ? 1 + data[0] % sizeof(detail) :
	    sizeof(detail);

	if (diag == NULL)
		return;
	memcpy(diag, data, size);
	name = coapmap_device_error("ep", size > 1 ? data[1] % 8 : 4,
	    size > 2 ? data[2] % 32 : 4, size > 3 ? (int)data[3] - 2 : -1,
	    diag, size, detail, dlen, code, sizeof(code));
	if (name == NULL || name[0] == '\0' || memchr(detail, '\0', dlen) ==
	    NULL || strlen(code) != 4 || code[1] != '.')
		abort();
	if (dlen == sizeof(detail) && strncmp(detail, "device ep answered ",
	    19) != 0)
		abort();
	for (i = 0; detail[i] != '\0'; i++)
		if ((uint8_t)detail[i] < 0x20 || detail[i] == 0x7f)
			abort();
	free(diag);
}

/* A Location-Path: taken only as header-safe characters, terminated, in
 * bounds; refused leaves the path as it was. */
static void
fuzz_location(const uint8_t *data, size_t size)
{
	char loc[COAPMAP_LOCATION_MAX] = "33605", before[COAPMAP_LOCATION_MAX];
	uint8_t *seg = malloc(size > 0 ? size : 1);
	size_t i;

	if (seg == NULL)
		return;
	memcpy(seg, data, size);
	memcpy(before, loc, sizeof(loc));
	if (coapmap_location_add(loc, seg, size) == -1) {
		if (strcmp(loc, before) != 0)
			abort();
	} else {
		if (strlen(loc) != 6 + size || loc[5] != '/')
			abort();
		for (i = 0; loc[i] != '\0'; i++)
			if (strchr("-._~/", loc[i]) == NULL &&
			    !((loc[i] >= 'a' && loc[i] <= 'z') ||
			    (loc[i] >= 'A' && loc[i] <= 'Z') ||
			    (loc[i] >= '0' && loc[i] <= '9')))
				abort();
	}
	free(seg);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *type;
	int i;

	/* An exact-size copy: a read past the end is an ASan report. */
	if ((type = malloc(size + 1)) == NULL)
		return 0;
	memcpy(type, data, size);
	type[size] = '\0';
	fuzz_content_format(type);
	free(type);

	/* Whole-range ints, and small ones near the table. */
	fuzz_status(fuzz_int(data, size, 0), fuzz_int(data, size, 4),
	    fuzz_int(data, size, 8));
	if (size >= 2)
		fuzz_status((int8_t)data[0], (int8_t)data[1], size & 1);
	for (i = 0; i <= 40; i++)
		fuzz_status(size > 0 ? data[0] % 8 : 2, i - 4, i & 1);

	fuzz_device_error(data, size);
	fuzz_location(data, size);
	fuzz_media_type(fuzz_int(data, size, 0), 1 + size % 48);
	if (size >= 2)
		fuzz_media_type((int)((unsigned)data[0] << 8 | data[1]),
		    size > 2 ? 1 + data[2] % 48 : FUZZ_TYPE_MAX);
	return 0;
}
