// fuzz-sources: lwm2m/lwm2m.c parse.c
// fuzz-libs: -lcjson
/*
 * fuzz_lwm2m.c: libFuzzer target for the registration parsers. The input is
 * parsed as a link-format body, then split at '&' into Uri-Query options
 * that are applied in turn to one lwm2m_params, as a register request would.
 * Besides ASan and UBSan, it checks the promises of lwm2m.h and aborts on a
 * broken one.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/lwm2m.h"

struct fuzz_walk {
	const char	*buf;
	size_t		 len;
	size_t		 nlinks;
	unsigned	 sum;
};

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Reads every byte of a span and checks that it lies inside the input. */
static void
fuzz_touch(struct fuzz_walk *w, const char *p, size_t n)
{
	size_t	i;

	if (p < w->buf || n > w->len || (size_t)(p - w->buf) > w->len - n)
		abort();
	for (i = 0; i < n; i++)
		w->sum += (unsigned char)p[i];
}

static int
fuzz_link(const struct lwm2m_link *link, void *arg)
{
	struct fuzz_walk	*w = arg;
	size_t			 i;

	w->nlinks++;
	if (link->uri_len == 0 || link->uri[0] != '/')
		abort();
	if (link->nattrs > LWM2M_LINK_ATTRS)
		abort();
	fuzz_touch(w, link->uri, link->uri_len);
	w->sum += (unsigned)lwm2m_is_object_path(link->uri, link->uri_len);
	for (i = 0; i < link->nattrs; i++) {
		if (link->attrs[i].name_len == 0)
			abort();
		fuzz_touch(w, link->attrs[i].name, link->attrs[i].name_len);
		if (link->attrs[i].value != NULL)
			fuzz_touch(w, link->attrs[i].value,
			    link->attrs[i].value_len);
		else if (link->attrs[i].value_len != 0)
			abort();
	}
	return (0);
}

static void
fuzz_links(const uint8_t *data, size_t size)
{
	struct fuzz_walk	w;
	char			err[96];
	int			rc;

	memset(&w, 0, sizeof w);
	w.buf = (const char *)data;
	w.len = size;
	memset(err, 'x', sizeof err);
	rc = lwm2m_parse_links(w.buf, size, fuzz_link, &w, err, sizeof err);
	if (memchr(err, '\0', sizeof err) == NULL)
		abort();
	if (rc == 0) {
		if (err[0] != '\0' || (size == 0 && w.nlinks != 0) ||
		    (size != 0 && w.nlinks == 0))
			abort();
	} else if (rc != -1 || w.nlinks != 0 ||
	    strncmp(err, "offset ", 7) != 0 ||
	    strtoul(err + 7, NULL, 10) > size)
		abort();

	/* Validation alone must agree with the walk. */
	if (lwm2m_parse_links(w.buf, size, NULL, NULL, NULL, 0) != rc)
		abort();
	/* A body that does not parse lists no format. */
	if (rc == -1 && (lwm2m_root_reads(w.buf, size, 112) ||
	    lwm2m_root_reads(w.buf, size, 11542)))
		abort();
}

static void
fuzz_query(const uint8_t *data, size_t size)
{
	struct lwm2m_params	p, before;
	const uint8_t		*opt, *end;
	char			 err[64];
	size_t			 len;

	memset(&p, 0, sizeof p);
	for (opt = data;; opt = end + 1) {
		end = memchr(opt, '&', (size_t)(data + size - opt));
		if (end == NULL)
			end = data + size;
		len = (size_t)(end - opt);
		before = p;
		memset(err, 'x', sizeof err);
		if (lwm2m_parse_query(&p, opt, len, err, sizeof err) == 0) {
			if (err[0] != '\0')
				abort();
		} else if (err[0] == '\0' ||
		    memchr(err, '\0', sizeof err) == NULL ||
		    memcmp(&before, &p, sizeof p) != 0)
			abort();
		if (end == data + size)
			break;
	}
	if ((p.has_ep && (p.ep[0] == '\0' || strlen(p.ep) > LWM2M_EP_MAX)) ||
	    (p.has_lifetime && (p.lifetime == 0 ||
	    p.lifetime > LWM2M_LIFETIME_MAX)) ||
	    strlen(p.version) > LWM2M_VERSION_MAX ||
	    strlen(p.binding) > LWM2M_BINDING_MAX)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_links(data, size);
	fuzz_query(data, size);
	return (0);
}
