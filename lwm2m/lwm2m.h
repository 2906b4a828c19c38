/*
 * lwm2m.h: parsers for the peer input of the LwM2M registration interface:
 * the Uri-Query parameters of register/update (ep, lt, lwm2m, b, Q, sms) and
 * the CoRE link-format body (RFC 6690) that lists a client's objects.
 *
 * Pure functions: no allocation, no I/O, no libcoap. Every length comes from
 * the caller and is never trusted beyond it. Hostile input gets -1 and a
 * NUL-terminated reason in the caller's err buffer, never a crash.
 */
#ifndef OUTPOST_LWM2M_H
#define OUTPOST_LWM2M_H

#include <stddef.h>
#include <stdint.h>

#define LWM2M_EP_MAX       63   /* longest endpoint name we accept */
#define LWM2M_VERSION_MAX  7    /* "1.1", "1.0", "1.2" */
#define LWM2M_BINDING_MAX  7    /* letters from "UTSNQ" */
#define LWM2M_LIFETIME_MAX 0x7fffffffu
#define LWM2M_LINK_ATTRS   16   /* attributes kept per link; more is an error */

/* The parameters of one register or update request. */
struct lwm2m_params {
	char		ep[LWM2M_EP_MAX + 1];
	char		version[LWM2M_VERSION_MAX + 1];
	char		binding[LWM2M_BINDING_MAX + 1];
	uint32_t	lifetime;
	unsigned	has_ep:1;
	unsigned	has_lifetime:1;
	unsigned	has_version:1;
	unsigned	has_binding:1;
	unsigned	queue_mode:1;	/* "Q" parameter, or 'Q' in b= */
};

/*
 * Applies one Uri-Query option value ("ep=node-1", "lt=300", "Q", ...) to p.
 * Known keys: ep (1..LWM2M_EP_MAX bytes of UTF-8 text without controls,
 * without a space at either end, and without '/', '?', '#', '%', '"' or
 * '\\', so that "urn:imei:35..." and any name a person gives work, and the
 * name stays one segment of an HTTP path once percent-encoded), lt
 * (decimal 1..LWM2M_LIFETIME_MAX, no sign, no leading '+', no overflow;
 * leading zeros are harmless), lwm2m (digits '.' digits, e.g. "1.1"),
 * b (letters from "UTSNQ", each at most once; 'Q' sets queue_mode),
 * Q (no value; sets queue_mode), sms and pid (accepted with or without a
 * value, ignored). Keys are case-sensitive.
 * A repeated key, an unknown key, an empty value where one is required, a
 * value for Q, or an embedded NUL is an error. Q, sms and pid leave no trace
 * in p, so repeating them is accepted.
 * The caller zeroes p before the first option of a request; on error p is
 * left unchanged. Returns 0 (err set to ""), or -1 with a reason in err that
 * names the key: "lt: not a number", "unknown parameter 'foo'".
 */
int	lwm2m_parse_query(struct lwm2m_params *p, const uint8_t *opt, size_t len,
	    char *err, size_t errlen);

/*
 * Whether ep (NUL-terminated) is an endpoint name a device could register
 * with: the rules of ep in lwm2m_parse_query, the one definition of them.
 * Returns 0 (err set to ""), or -1 with a reason in err (when err is not
 * NULL and errlen > 0): "ep must be 1..63 characters",
 * "ep: bad character 0x20".
 */
int	lwm2m_check_ep(const char *ep, char *err, size_t errlen);

/* One attribute of a link: name=value, value may be absent (value == NULL). */
struct lwm2m_attr {
	const char	*name;
	size_t		 name_len;
	const char	*value;		/* without surrounding quotes */
	size_t		 value_len;
};

/* One link of a link-format body; pointers point into the parsed buffer. */
struct lwm2m_link {
	const char		*uri;	/* between '<' and '>' */
	size_t			 uri_len;
	struct lwm2m_attr	 attrs[LWM2M_LINK_ATTRS];
	size_t			 nattrs;
};

/* Called once per link, in order; a non-zero return stops the walk and is
 * returned by lwm2m_parse_links. */
typedef int (*lwm2m_link_cb)(const struct lwm2m_link *link, void *arg);

/*
 * Walks a link-format body (RFC 6690 §2: link *("," link), link = "<" URI ">"
 * *(";" attr), attr = name ["=" (token | quoted-string)]). Every URI must be
 * an absolute path ("/" followed by RFC 3986 path characters, '/' and %XX;
 * no query, no fragment); quoted strings may contain "\"" escapes and commas;
 * whitespace is not allowed except inside quotes. In detail:
 *   name		RFC 6690 parmname: [A-Za-z0-9] and "!#$&+-.^_`|~", and '*'
 *   token		1 or more printable ASCII bytes except ',', ';', '"', space
 *   quoted-string	'"' *(printable ASCII | UTF-8 | '\' printable ASCII) '"'
 * An attribute's value points inside the quotes, with any backslash escapes
 * left in place (the caller unescapes if it needs the text); an empty quoted
 * string gives a non-NULL value of length 0.
 * An empty body is valid and yields no links. The body is validated
 * completely before the first callback, so a malformed body calls cb never;
 * cb may be NULL to validate only. buf may be NULL only when len is 0.
 * Returns 0, the callback's non-zero value (err set to ""), or -1 with a
 * reason in err that names the 0-based byte offset ("offset 12: expected
 * '>'").
 */
int	lwm2m_parse_links(const char *buf, size_t len, lwm2m_link_cb cb,
	    void *arg, char *err, size_t errlen);

/*
 * Classifies a link URI from a registration body. Returns 1 for an object or
 * object-instance path ("/3", "/3/0": one or two decimal segments, each
 * 0..65535, no leading zeros beyond "0"), 0 for anything else (the root "/",
 * an alternate path such as "/lwm2m", deeper paths, or a NULL or empty uri).
 * A caller that saw an alternate path strips it first.
 */
int	lwm2m_is_object_path(const char *uri, size_t len);

/*
 * Whether a client's registration body (links[0..len), link-format) says
 * it reads Content-Format cf: the "ct" attribute of its root link ("</>",
 * or the one with rt="oma.lwm2m", LwM2M 1.1 Core 6.2.1) lists it, as
 * ct=112, ct="60 112" or one of several ct attributes. A body that does
 * not parse, or says nothing of formats, gives 0.
 */
int	lwm2m_root_reads(const char *links, size_t len, int cf);

#endif /* OUTPOST_LWM2M_H */
