/*
 * cborscan.c: one CBOR body walked by libcbor's streaming decoder, header
 * by header, counting items and open containers (cborscan.h).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <cbor.h>

#include "lwm2m/cborscan.h"

struct cbor_scan {
	const struct cborscan_limits *lim;
	char		*err;
	size_t		 errlen;
	size_t		 at;	/* offset of the item being decoded */
	size_t		 left;	/* bytes from there to the end */
	size_t		 items;
	int		 depth;
	struct {
		uint64_t left;		/* items still to come */
		int	 indef;	/* ends with a break instead */
	}		 open[CBORSCAN_DEPTH_MAX];
	int		 tagged;	/* the last item was a tag */
	int		 done;		/* the top-level item is whole */
	int		 failed;
};

static void	scan_fail(struct cbor_scan *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* The first failure is the one told. */
static void
scan_fail(struct cbor_scan *sc, const char *fmt, ...)
{
	char what[128];
	va_list ap;

	if (sc->failed)
		return;
	sc->failed = 1;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (sc->errlen > 0)
		snprintf(sc->err, sc->errlen, "%s at byte %zu: %s",
		    sc->lim->what, sc->at, what);
}

/* Closes every definite container whose last item has come. */
static void
scan_settle(struct cbor_scan *sc)
{
	while (sc->depth > 0 && !sc->open[sc->depth - 1].indef &&
	    sc->open[sc->depth - 1].left == 0)
		sc->depth--;
	if (sc->depth == 0)
		sc->done = 1;
}

/* An item: a scalar, or a container of size items (indef: to a break). */
static void
scan_item(struct cbor_scan *sc, int container, uint64_t size, int indef)
{
	if (sc->failed)
		return;
	if (++sc->items > sc->lim->items) {
		scan_fail(sc, "more than %zu items", sc->lim->items);
		return;
	}
	sc->tagged = 0;
	if (sc->depth > 0 && !sc->open[sc->depth - 1].indef)
		sc->open[sc->depth - 1].left--;
	if (container && (indef || size > 0)) {
		if (sc->depth == sc->lim->depth) {
			scan_fail(sc, "nested more than %d deep",
			    sc->lim->depth);
			return;
		}
		sc->open[sc->depth].left = size;
		sc->open[sc->depth].indef = indef;
		sc->depth++;
		return;
	}
	scan_settle(sc);
}

static void
scan_u8(void *ctx, uint8_t v)
{
	(void)v;
	scan_item(ctx, 0, 0, 0);
}

static void
scan_u16(void *ctx, uint16_t v)
{
	(void)v;
	scan_item(ctx, 0, 0, 0);
}

static void
scan_u32(void *ctx, uint32_t v)
{
	(void)v;
	scan_item(ctx, 0, 0, 0);
}

static void
scan_u64(void *ctx, uint64_t v)
{
	(void)v;
	scan_item(ctx, 0, 0, 0);
}

static void
scan_float(void *ctx, float v)
{
	(void)v;
	scan_item(ctx, 0, 0, 0);
}

static void
scan_double(void *ctx, double v)
{
	(void)v;
	scan_item(ctx, 0, 0, 0);
}

static void
scan_bool(void *ctx, bool v)
{
	(void)v;
	scan_item(ctx, 0, 0, 0);
}

static void
scan_simple(void *ctx)
{
	scan_item(ctx, 0, 0, 0);
}

/* A definite string: libcbor has checked that its bytes are there. */
static void
scan_string(void *ctx, cbor_data data, size_t len)
{
	(void)data;
	(void)len;
	scan_item(ctx, 0, 0, 0);
}

static void
scan_indef_string(void *ctx)
{
	scan_fail(ctx, "indefinite-length string");
}

/* Each item takes a byte at least, after a header of one at least. */
static void
scan_array(void *ctx, size_t size)
{
	struct cbor_scan *sc = ctx;

	if (size >= sc->left)
		scan_fail(sc, "array of %zu items in %zu bytes", size,
		    sc->left);
	else
		scan_item(sc, 1, size, 0);
}

static void
scan_map(void *ctx, size_t size)
{
	struct cbor_scan *sc = ctx;

	if (size > (sc->left - 1) / 2)
		scan_fail(sc, "map of %zu pairs in %zu bytes", size, sc->left);
	else
		scan_item(sc, 1, (uint64_t)size * 2, 0);
}

static void
scan_indef(void *ctx)
{
	scan_item(ctx, 1, 0, 1);
}

static void
scan_break(void *ctx)
{
	struct cbor_scan *sc = ctx;

	if (sc->failed)
		return;
	if (sc->depth == 0 || !sc->open[sc->depth - 1].indef || sc->tagged) {
		scan_fail(sc, "break where none belongs");
		return;
	}
	sc->depth--;
	scan_settle(sc);
}

/* Tag 4 (a decimal fraction) is the one SenML uses, once per number. */
static void
scan_tag(void *ctx, uint64_t tag)
{
	struct cbor_scan *sc = ctx;

	if (sc->failed)
		return;
	if (!sc->lim->tag4)
		scan_fail(sc, "tag %" PRIu64 " where no tag belongs", tag);
	else if (tag != 4)
		scan_fail(sc, "tag %" PRIu64 " has no use in SenML", tag);
	else if (sc->tagged)
		scan_fail(sc, "a tag on a tag");
	else if (++sc->items > sc->lim->items)
		scan_fail(sc, "more than %zu items", sc->lim->items);
	else
		sc->tagged = 1;
}

static const struct cbor_callbacks scan_callbacks = {
	.uint8 = scan_u8, .uint16 = scan_u16, .uint32 = scan_u32,
	.uint64 = scan_u64,
	.negint8 = scan_u8, .negint16 = scan_u16, .negint32 = scan_u32,
	.negint64 = scan_u64,
	.byte_string_start = scan_indef_string, .byte_string = scan_string,
	.string_start = scan_indef_string, .string = scan_string,
	.indef_array_start = scan_indef, .array_start = scan_array,
	.indef_map_start = scan_indef, .map_start = scan_map,
	.tag = scan_tag,
	.float2 = scan_float, .float4 = scan_float, .float8 = scan_double,
	.undefined = scan_simple, .null = scan_simple, .boolean = scan_bool,
	.indef_break = scan_break,
};

int
cborscan_body(const uint8_t *body, size_t len,
    const struct cborscan_limits *lim, char *err, size_t errlen)
{
	struct cbor_decoder_result r;
	struct cbor_scan sc;
	size_t off = 0;

	memset(&sc, 0, sizeof(sc));
	sc.lim = lim;
	sc.err = err;
	sc.errlen = errlen;
	if (lim->depth > CBORSCAN_DEPTH_MAX) {
		scan_fail(&sc, "nesting of %d asked, %d at most", lim->depth,
		    CBORSCAN_DEPTH_MAX);
		return -1;
	}
	while (!sc.done) {
		if (off == len)
			goto cut;
		sc.at = off;
		sc.left = len - off;
		r = cbor_stream_decode(body + off, len - off, &scan_callbacks,
		    &sc);
		if (sc.failed)
			return -1;
		if (r.status == CBOR_DECODER_NEDATA)
			goto cut;
		if (r.status != CBOR_DECODER_FINISHED || r.read == 0) {
			scan_fail(&sc, "malformed item");
			return -1;
		}
		off += r.read;
	}
	if (off != len) {
		if (errlen > 0)
			snprintf(err, errlen, "%s: %zu bytes after the pack",
			    lim->what, len - off);
		return -1;
	}
	return 0;
cut:
	if (errlen > 0)
		snprintf(err, errlen, "%s: cut short at byte %zu", lim->what,
		    off);
	return -1;
}
