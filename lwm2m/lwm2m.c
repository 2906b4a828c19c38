/*
 * lwm2m.c: parsers for the peer input of the LwM2M registration interface.
 *
 * Everything here reads caller-owned bytes up to the caller's length and
 * nothing beyond it: no NUL terminator is assumed, no allocation is made and
 * the only libc used is string and formatting. See lwm2m.h for the contract.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lwm2m.h"
#include "parse.h"

#define LWM2M_KEY_SHOW	32	/* bytes of an unknown key quoted in err */

struct lwm2m_query_key {
	const char	*name;
	int		 value;		/* LWM2M_VALUE_* */
	int		(*apply)(struct lwm2m_params *, const uint8_t *, size_t,
			    char *, size_t);
};

#define LWM2M_VALUE_NONE	0	/* "Q": a value is an error */
#define LWM2M_VALUE_REQUIRED	1	/* "ep=x": no value is an error */
#define LWM2M_VALUE_ANY		2	/* "sms", "sms=x", "sms=" */

static void	lwm2m_error(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	lwm2m_query_ep(struct lwm2m_params *, const uint8_t *, size_t,
		    char *, size_t);
static int	lwm2m_query_lt(struct lwm2m_params *, const uint8_t *, size_t,
		    char *, size_t);
static int	lwm2m_query_version(struct lwm2m_params *, const uint8_t *,
		    size_t, char *, size_t);
static int	lwm2m_query_binding(struct lwm2m_params *, const uint8_t *,
		    size_t, char *, size_t);
static int	lwm2m_query_queue(struct lwm2m_params *, const uint8_t *,
		    size_t, char *, size_t);
static int	lwm2m_query_ignore(struct lwm2m_params *, const uint8_t *,
		    size_t, char *, size_t);

static const struct lwm2m_query_key lwm2m_query_keys[] = {
	{ "ep",    LWM2M_VALUE_REQUIRED, lwm2m_query_ep },
	{ "lt",    LWM2M_VALUE_REQUIRED, lwm2m_query_lt },
	{ "lwm2m", LWM2M_VALUE_REQUIRED, lwm2m_query_version },
	{ "b",     LWM2M_VALUE_REQUIRED, lwm2m_query_binding },
	{ "Q",     LWM2M_VALUE_NONE,     lwm2m_query_queue },
	{ "sms",   LWM2M_VALUE_ANY,      lwm2m_query_ignore },
	{ "pid",   LWM2M_VALUE_ANY,      lwm2m_query_ignore },
};

/* Writes a formatted reason into err, if the caller gave room for one. */
static void
lwm2m_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL || errlen == 0)
		return;
	err[0] = '\0';
	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	err[errlen - 1] = '\0';
}

/* Character classes, by byte value and independent of the locale. */
static int
lwm2m_is_digit(uint8_t c)
{
	return (c >= '0' && c <= '9');
}

static int
lwm2m_is_hex(uint8_t c)
{
	return (lwm2m_is_digit(c) || (c >= 'A' && c <= 'F') ||
	    (c >= 'a' && c <= 'f'));
}

static int
lwm2m_in_set(uint8_t c, const char *set)
{
	return (c != '\0' && strchr(set, c) != NULL);
}

/* Character classes that every byte of a body is tested against, as bits
 * of one table: a test is a load, not a strchr. */
#define LWM2M_C_PATH	0x01	/* RFC 3986 pchar without pct-encoded, '/' */
#define LWM2M_C_NAME	0x02	/* RFC 6690 parmname, plus '*' */

#define LWM2M_C_ALL	(LWM2M_C_PATH | LWM2M_C_NAME)

/* Letters and digits are in every class; the rest as RFC 3986 and RFC
 * 6690 allow. */
static const uint8_t lwm2m_class[256] = {
	['0' ... '9'] = LWM2M_C_ALL,
	['A' ... 'Z'] = LWM2M_C_ALL,
	['a' ... 'z'] = LWM2M_C_ALL,
	['!'] = LWM2M_C_PATH | LWM2M_C_NAME,
	['#'] = LWM2M_C_NAME,
	['$'] = LWM2M_C_PATH | LWM2M_C_NAME,
	['&'] = LWM2M_C_PATH | LWM2M_C_NAME,
	['\''] = LWM2M_C_PATH,
	['('] = LWM2M_C_PATH,
	[')'] = LWM2M_C_PATH,
	['*'] = LWM2M_C_PATH | LWM2M_C_NAME,
	['+'] = LWM2M_C_PATH | LWM2M_C_NAME,
	[','] = LWM2M_C_PATH,
	['-'] = LWM2M_C_PATH | LWM2M_C_NAME,
	['.'] = LWM2M_C_PATH | LWM2M_C_NAME,
	['/'] = LWM2M_C_PATH,
	[':'] = LWM2M_C_PATH,
	[';'] = LWM2M_C_PATH,
	['='] = LWM2M_C_PATH,
	['@'] = LWM2M_C_PATH,
	['^'] = LWM2M_C_NAME,
	['_'] = LWM2M_C_PATH | LWM2M_C_NAME,
	['`'] = LWM2M_C_NAME,
	['|'] = LWM2M_C_NAME,
	['~'] = LWM2M_C_PATH | LWM2M_C_NAME,
};

static int
lwm2m_is_class(uint8_t c, uint8_t bit)
{
	return (lwm2m_class[c] & bit) != 0;
}

static int
lwm2m_is_path_char(uint8_t c)
{
	return lwm2m_is_class(c, LWM2M_C_PATH);
}

static int
lwm2m_is_name_char(uint8_t c)
{
	return lwm2m_is_class(c, LWM2M_C_NAME);
}

/* Unquoted value: printable ASCII except ',', ';', '"' and space. */
static int
lwm2m_is_token_char(uint8_t c)
{
	return (c > 0x20 && c < 0x7f && c != ',' && c != ';' && c != '"');
}

/*
 * Copies a key into out (outlen > 4) for an error message: bytes that are not
 * printable ASCII become '?', and a long key is cut and ends in "...".
 */
static void
lwm2m_key_show(const uint8_t *key, size_t klen, char *out, size_t outlen)
{
	size_t	i, n;

	n = klen < outlen - 4 ? klen : outlen - 4;
	for (i = 0; i < n; i++)
		out[i] = (key[i] >= 0x20 && key[i] < 0x7f) ? (char)key[i] : '?';
	if (n < klen) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}

/*
 * ep: 1..LWM2M_EP_MAX bytes of UTF-8 text, as LwM2M allows any name: no
 * control characters, no space at either end, and none of the characters
 * that would split or end a path or a query where the name goes (the HTTP
 * API's /v1/devices/{ep}, topics, store keys): '/', '?', '#', '%', and the
 * quote and backslash that JSON and shells quote with.
 */
static int
lwm2m_query_ep(struct lwm2m_params *p, const uint8_t *v, size_t len,
    char *err, size_t errlen)
{
	size_t	i;

	if (p->has_ep) {
		lwm2m_error(err, errlen, "ep: repeated");
		return (-1);
	}
	if (len > LWM2M_EP_MAX) {
		lwm2m_error(err, errlen, "ep: too long (max %d)", LWM2M_EP_MAX);
		return (-1);
	}
	for (i = 0; i < len; i++) {
		if (v[i] < 0x20 || v[i] == 0x7f || strchr("/?#%\"\\", v[i])
		    != NULL) {
			lwm2m_error(err, errlen, "ep: bad character 0x%02x",
			    v[i]);
			return (-1);
		}
	}
	if (!parse_utf8(v, len, 1)) {
		lwm2m_error(err, errlen, "ep: not UTF-8 text");
		return (-1);
	}
	if (len > 0 && (v[0] == ' ' || v[len - 1] == ' ')) {
		lwm2m_error(err, errlen, "ep: begins or ends with a space");
		return (-1);
	}
	memcpy(p->ep, v, len);
	p->ep[len] = '\0';
	p->has_ep = 1;
	return (0);
}

/* lt: plain decimal 1..LWM2M_LIFETIME_MAX, any number of digits. */
static int
lwm2m_query_lt(struct lwm2m_params *p, const uint8_t *v, size_t len,
    char *err, size_t errlen)
{
	uint64_t	n = 0;
	size_t		i;

	if (p->has_lifetime) {
		lwm2m_error(err, errlen, "lt: repeated");
		return (-1);
	}
	for (i = 0; i < len; i++) {
		if (!lwm2m_is_digit(v[i])) {
			lwm2m_error(err, errlen, "lt: not a number");
			return (-1);
		}
	}
	for (i = 0; i < len && n <= LWM2M_LIFETIME_MAX; i++)
		n = n * 10 + (uint64_t)(v[i] - '0');
	if (n < 1 || n > LWM2M_LIFETIME_MAX) {
		lwm2m_error(err, errlen, "lt: out of range (1..%u)",
		    LWM2M_LIFETIME_MAX);
		return (-1);
	}
	p->lifetime = (uint32_t)n;
	p->has_lifetime = 1;
	return (0);
}

/* lwm2m: digits '.' digits, at most LWM2M_VERSION_MAX bytes. */
static int
lwm2m_query_version(struct lwm2m_params *p, const uint8_t *v, size_t len,
    char *err, size_t errlen)
{
	size_t	i, dot = 0, ndots = 0;

	if (p->has_version) {
		lwm2m_error(err, errlen, "lwm2m: repeated");
		return (-1);
	}
	if (len > LWM2M_VERSION_MAX) {
		lwm2m_error(err, errlen, "lwm2m: too long (max %d)",
		    LWM2M_VERSION_MAX);
		return (-1);
	}
	for (i = 0; i < len; i++) {
		if (v[i] == '.') {
			dot = i;
			ndots++;
		} else if (!lwm2m_is_digit(v[i]))
			break;
	}
	if (i != len || ndots != 1 || dot == 0 || dot == len - 1) {
		lwm2m_error(err, errlen, "lwm2m: not a version (like 1.1)");
		return (-1);
	}
	memcpy(p->version, v, len);
	p->version[len] = '\0';
	p->has_version = 1;
	return (0);
}

/* b: letters from "UTSNQ", each at most once; 'Q' means queue mode. */
static int
lwm2m_query_binding(struct lwm2m_params *p, const uint8_t *v, size_t len,
    char *err, size_t errlen)
{
	static const char	 letters[] = "UTSNQ";
	const char		*at;
	unsigned		 seen = 0, bit;
	size_t			 i;

	if (p->has_binding) {
		lwm2m_error(err, errlen, "b: repeated");
		return (-1);
	}
	for (i = 0; i < len; i++) {
		if (!lwm2m_in_set(v[i], letters)) {
			lwm2m_error(err, errlen, "b: bad binding 0x%02x", v[i]);
			return (-1);
		}
		at = strchr(letters, v[i]);
		bit = 1u << (unsigned)(at - letters);
		if (seen & bit) {
			lwm2m_error(err, errlen, "b: repeated letter '%c'",
			    v[i]);
			return (-1);
		}
		seen |= bit;
	}
	/* Five distinct letters at most, so len fits LWM2M_BINDING_MAX. */
	memcpy(p->binding, v, len);
	p->binding[len] = '\0';
	p->has_binding = 1;
	if (seen & (1u << 4))
		p->queue_mode = 1;
	return (0);
}

/* Q: queue mode; takes no value and may repeat harmlessly. */
static int
lwm2m_query_queue(struct lwm2m_params *p, const uint8_t *v, size_t len,
    char *err, size_t errlen)
{
	(void)v;
	(void)len;
	(void)err;
	(void)errlen;
	p->queue_mode = 1;
	return (0);
}

/* sms, pid: known parameters that the gateway does not use. */
static int
lwm2m_query_ignore(struct lwm2m_params *p, const uint8_t *v, size_t len,
    char *err, size_t errlen)
{
	(void)p;
	(void)v;
	(void)len;
	(void)err;
	(void)errlen;
	return (0);
}

/*
 * Applies one Uri-Query option to p. Checks the shape common to all keys
 * (name, NUL bytes, value present or not), then hands the value to the key's
 * own function, which leaves p untouched unless the value is good.
 */
int
lwm2m_parse_query(struct lwm2m_params *p, const uint8_t *opt, size_t len,
    char *err, size_t errlen)
{
	const struct lwm2m_query_key	*k;
	const uint8_t			*val = NULL;
	char				 show[LWM2M_KEY_SHOW + 4];
	size_t				 i, klen, vlen = 0, n;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (len == 0 || opt == NULL) {
		lwm2m_error(err, errlen, "empty parameter");
		return (-1);
	}
	for (klen = 0; klen < len && opt[klen] != '='; klen++)
		;
	if (klen < len) {
		val = opt + klen + 1;
		vlen = len - klen - 1;
	}
	if (klen == 0) {
		lwm2m_error(err, errlen, "empty parameter name");
		return (-1);
	}
	for (i = 0; i < len; i++) {
		if (opt[i] == '\0') {
			lwm2m_key_show(opt, klen, show, sizeof show);
			lwm2m_error(err, errlen, "%s: embedded NUL", show);
			return (-1);
		}
	}

	n = sizeof lwm2m_query_keys / sizeof lwm2m_query_keys[0];
	for (i = 0; i < n; i++) {
		k = &lwm2m_query_keys[i];
		if (strlen(k->name) == klen && memcmp(k->name, opt, klen) == 0)
			break;
	}
	if (i == n) {
		lwm2m_key_show(opt, klen, show, sizeof show);
		lwm2m_error(err, errlen, "unknown parameter '%s'", show);
		return (-1);
	}
	if (k->value == LWM2M_VALUE_REQUIRED && vlen == 0) {
		lwm2m_error(err, errlen, "%s: missing value", k->name);
		return (-1);
	}
	if (k->value == LWM2M_VALUE_NONE && val != NULL) {
		lwm2m_error(err, errlen, "%s: takes no value", k->name);
		return (-1);
	}
	return (k->apply(p, val, vlen, err, errlen));
}

int
lwm2m_check_ep(const char *ep, char *err, size_t errlen)
{
	struct lwm2m_params	 p;
	size_t			 len = strlen(ep);

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (len == 0 || len > LWM2M_EP_MAX) {
		lwm2m_error(err, errlen, "ep must be 1..%d characters",
		    LWM2M_EP_MAX);
		return (-1);
	}
	memset(&p, 0, sizeof p);
	return (lwm2m_query_ep(&p, (const uint8_t *)ep, len, err, errlen));
}

/*
 * Returns the length of the well-formed UTF-8 sequence (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF) that starts at s
 * and fits in avail bytes, or 0 if there is none.
 */
static size_t
lwm2m_utf8_len(const uint8_t *s, size_t avail)
{
	uint32_t	cp, min;
	size_t		n, i;

	if (s[0] < 0x80)
		return (1);
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
		min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
		min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
		min = 0x10000;
	} else
		return (0);
	if (avail < n)
		return (0);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return (0);
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return (0);
	return (n);
}

/*
 * Parses "<" URI ">" at *pos into link. The URI is '/' then path characters
 * and %XX escapes. On success *pos is just past the '>'.
 */
static int
lwm2m_parse_uri(const uint8_t *b, size_t len, size_t *pos,
    struct lwm2m_link *link, char *err, size_t errlen)
{
	size_t	i = *pos, start;

	if (i >= len || b[i] != '<') {
		lwm2m_error(err, errlen, "offset %zu: expected '<'", i);
		return (-1);
	}
	i++;
	if (i >= len || b[i] != '/') {
		lwm2m_error(err, errlen, "offset %zu: expected '/' (URI must "
		    "be an absolute path)", i);
		return (-1);
	}
	start = i;
	while (i < len && b[i] != '>') {
		if (b[i] == '%') {
			if (len - i < 3 || !lwm2m_is_hex(b[i + 1]) ||
			    !lwm2m_is_hex(b[i + 2])) {
				lwm2m_error(err, errlen, "offset %zu: bad "
				    "percent-encoding in URI", i);
				return (-1);
			}
			i += 3;
			continue;
		}
		if (!lwm2m_is_path_char(b[i])) {
			lwm2m_error(err, errlen, "offset %zu: bad byte 0x%02x "
			    "in URI", i, b[i]);
			return (-1);
		}
		i++;
	}
	if (i >= len) {
		lwm2m_error(err, errlen, "offset %zu: expected '>'", i);
		return (-1);
	}
	link->uri = (const char *)(b + start);
	link->uri_len = i - start;
	*pos = i + 1;
	return (0);
}

/*
 * Parses a quoted string whose opening '"' is at *pos: printable ASCII,
 * well-formed UTF-8 and backslash escapes of printable ASCII. On success
 * attr->value is the text between the quotes, escapes left in place, and
 * *pos is just past the closing '"'.
 */
static int
lwm2m_parse_quoted(const uint8_t *b, size_t len, size_t *pos,
    struct lwm2m_attr *attr, char *err, size_t errlen)
{
	size_t	q = *pos, i = *pos + 1, n;

	for (;;) {
		if (i >= len || (b[i] == '\\' && len - i < 2)) {
			lwm2m_error(err, errlen, "offset %zu: unterminated "
			    "quoted string", q);
			return (-1);
		}
		if (b[i] == '"')
			break;
		if (b[i] == '\\') {
			if (b[i + 1] < 0x20 || b[i + 1] >= 0x7f) {
				lwm2m_error(err, errlen, "offset %zu: bad byte "
				    "0x%02x in quoted string", i + 1, b[i + 1]);
				return (-1);
			}
			i += 2;
			continue;
		}
		if (b[i] < 0x20 || b[i] == 0x7f) {
			lwm2m_error(err, errlen, "offset %zu: bad byte 0x%02x "
			    "in quoted string", i, b[i]);
			return (-1);
		}
		if ((n = lwm2m_utf8_len(b + i, len - i)) == 0) {
			lwm2m_error(err, errlen, "offset %zu: bad UTF-8 in "
			    "quoted string", i);
			return (-1);
		}
		i += n;
	}
	attr->value = (const char *)(b + q + 1);
	attr->value_len = i - q - 1;
	*pos = i + 1;
	return (0);
}

/*
 * Parses one attribute at *pos, just after its ';': a name, then optionally
 * '=' and a token or a quoted string. On success *pos is just past it.
 */
static int
lwm2m_parse_attr(const uint8_t *b, size_t len, size_t *pos,
    struct lwm2m_attr *attr, char *err, size_t errlen)
{
	size_t	i = *pos, start;

	for (start = i; i < len && lwm2m_is_name_char(b[i]); i++)
		;
	if (i == start) {
		lwm2m_error(err, errlen, "offset %zu: expected attribute name",
		    i);
		return (-1);
	}
	attr->name = (const char *)(b + start);
	attr->name_len = i - start;
	attr->value = NULL;
	attr->value_len = 0;
	if (i < len && b[i] == '=') {
		i++;
		if (i < len && b[i] == '"') {
			if (lwm2m_parse_quoted(b, len, &i, attr, err,
			    errlen) != 0)
				return (-1);
		} else {
			for (start = i; i < len && lwm2m_is_token_char(b[i]);
			    i++)
				;
			if (i == start) {
				lwm2m_error(err, errlen, "offset %zu: expected "
				    "attribute value", i);
				return (-1);
			}
			attr->value = (const char *)(b + start);
			attr->value_len = i - start;
		}
	}
	*pos = i;
	return (0);
}

/*
 * Parses one link at *pos into link. On success *pos is at the end of the
 * body or at the ',' that starts the next link.
 */
static int
lwm2m_parse_link(const uint8_t *b, size_t len, size_t *pos,
    struct lwm2m_link *link, char *err, size_t errlen)
{
	size_t	i = *pos;

	memset(link, 0, sizeof *link);
	if (lwm2m_parse_uri(b, len, &i, link, err, errlen) != 0)
		return (-1);
	while (i < len && b[i] == ';') {
		if (link->nattrs == LWM2M_LINK_ATTRS) {
			lwm2m_error(err, errlen, "offset %zu: too many "
			    "attributes (max %d)", i, LWM2M_LINK_ATTRS);
			return (-1);
		}
		i++;
		if (lwm2m_parse_attr(b, len, &i, &link->attrs[link->nattrs],
		    err, errlen) != 0)
			return (-1);
		link->nattrs++;
	}
	if (i < len && b[i] != ',') {
		lwm2m_error(err, errlen, "offset %zu: expected ',' or ';'", i);
		return (-1);
	}
	*pos = i;
	return (0);
}

/*
 * One pass over the body: parses every link and, if cb is not NULL, hands
 * it to cb. Returns 0, -1 on a malformed body, or cb's non-zero value.
 */
static int
lwm2m_walk_links(const uint8_t *b, size_t len, lwm2m_link_cb cb, void *arg,
    char *err, size_t errlen)
{
	struct lwm2m_link	link;
	size_t			i = 0;
	int			rc;

	if (len == 0)
		return (0);
	for (;;) {
		if (lwm2m_parse_link(b, len, &i, &link, err, errlen) != 0)
			return (-1);
		if (cb != NULL && (rc = cb(&link, arg)) != 0)
			return (rc);
		if (i == len)
			return (0);
		i++;	/* the ',' */
	}
}

/*
 * Validates the whole body, then walks it again to call cb, so that a body
 * with an error at its very end reaches no callback.
 */
int
lwm2m_parse_links(const char *buf, size_t len, lwm2m_link_cb cb, void *arg,
    char *err, size_t errlen)
{
	const uint8_t	*b = (const uint8_t *)buf;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (buf == NULL && len != 0) {
		lwm2m_error(err, errlen, "offset 0: no buffer");
		return (-1);
	}
	if (lwm2m_walk_links(b, len, NULL, NULL, err, errlen) != 0)
		return (-1);
	if (cb == NULL)
		return (0);
	return (lwm2m_walk_links(b, len, cb, arg, err, errlen));
}

/*
 * Returns 1 if uri is "/O" or "/O/I" with decimal segments 0..65535 written
 * without leading zeros, 0 otherwise.
 */
int
lwm2m_is_object_path(const char *uri, size_t len)
{
	const uint8_t	*s = (const uint8_t *)uri;
	uint32_t	 v;
	size_t		 i = 0, start;
	int		 nseg = 0;

	if (uri == NULL || len == 0)
		return (0);
	while (i < len) {
		if (s[i] != '/' || ++nseg > 2)
			return (0);
		v = 0;
		for (start = ++i; i < len && lwm2m_is_digit(s[i]); i++) {
			v = v * 10 + (uint32_t)(s[i] - '0');
			if (v > 65535)
				return (0);
		}
		if (i == start || (s[start] == '0' && i - start > 1))
			return (0);
	}
	return (1);
}

/* The Content-Format asked about, and whether the root lists it. */
struct lwm2m_root_ct {
	int	cf;
};

/* A link of the client's root ("</>", or the link with rt="oma.lwm2m")
 * whose ct lists the format: 1. */
static int
lwm2m_root_link(const struct lwm2m_link *l, void *arg)
{
	const struct lwm2m_root_ct *rc = arg;
	const struct lwm2m_attr *a;
	size_t i, k;
	int root = l->uri_len == 1 && l->uri[0] == '/';
	long v;

	for (i = 0; i < l->nattrs && !root; i++) {
		a = &l->attrs[i];
		root = a->name_len == 2 && memcmp(a->name, "rt", 2) == 0 &&
		    a->value != NULL && a->value_len == 9 &&
		    memcmp(a->value, "oma.lwm2m", 9) == 0;
	}
	for (i = 0; root && i < l->nattrs; i++) {
		a = &l->attrs[i];
		if (a->name_len != 2 || memcmp(a->name, "ct", 2) != 0 ||
		    a->value == NULL)
			continue;
		/* "110", or "60 110 112" (quoted, separated by spaces). */
		for (k = 0; k < a->value_len; ) {
			for (v = 0; k < a->value_len && a->value[k] >= '0' &&
			    a->value[k] <= '9' && v <= 65535; k++)
				v = v * 10 + (a->value[k] - '0');
			if (v == rc->cf && (k == a->value_len ||
			    a->value[k] == ' '))
				return (1);
			while (k < a->value_len && a->value[k] != ' ')
				k++;
			while (k < a->value_len && a->value[k] == ' ')
				k++;
		}
	}
	return (0);
}

int
lwm2m_root_reads(const char *links, size_t len, int cf)
{
	struct lwm2m_root_ct rc = { cf };
	char err[8];

	if (links == NULL || cf < 0)
		return (0);
	return (lwm2m_parse_links(links, len, lwm2m_root_link, &rc, err,
	    sizeof(err)) == 1);
}
