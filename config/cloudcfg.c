/*
 * cloudcfg.c: the [cloud] keys' parsers (cloudcfg.h).
 */
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "config/cloudcfg.h"

int
cloudcfg_broker(const char *uri, struct cloud_broker *b, char *err,
    size_t errlen)
{
	const char *p, *end, *colon = NULL;
	size_t hlen;
	char *e;
	long port;

	memset(b, 0, sizeof(*b));
	if (strncmp(uri, "mqtts://", 8) == 0) {
		b->tls = 1;
		p = uri + 8;
	} else if (strncmp(uri, "mqtt://", 7) == 0)
		p = uri + 7;
	else {
		snprintf(err, errlen, "'%s' is not mqtts://HOST[:PORT] or "
		    "mqtt://HOST[:PORT]", uri);
		return -1;
	}
	if (*p == '[') {
		if ((end = strchr(p, ']')) == NULL) {
			snprintf(err, errlen, "'%s': no ']' after the IPv6 "
			    "address", uri);
			return -1;
		}
		hlen = (size_t)(end - p - 1);
		p++;
		if (end[1] == ':')
			colon = end + 1;
		else if (end[1] != '\0' && strcmp(end + 1, "/") != 0) {
			snprintf(err, errlen, "'%s': unexpected text after "
			    "the address", uri);
			return -1;
		}
	} else {
		end = p + strcspn(p, ":/");
		hlen = (size_t)(end - p);
		if (*end == ':')
			colon = end;
		else if (*end == '/' && end[1] != '\0') {
			snprintf(err, errlen, "'%s': a broker URI has no path",
			    uri);
			return -1;
		}
	}
	if (hlen == 0 || hlen >= sizeof(b->host)) {
		snprintf(err, errlen, "'%s': no host, or too long a host", uri);
		return -1;
	}
	memcpy(b->host, p, hlen);
	for (size_t i = 0; i < hlen; i++)
		if (!isalnum((unsigned char)b->host[i]) &&
		    strchr(".-_:", b->host[i]) == NULL) {
			snprintf(err, errlen, "'%s': bad character in the "
			    "host", uri);
			return -1;
		}
	b->port = b->tls ? 8883 : 1883;
	if (colon != NULL) {
		/* digits only: strtol would take a sign and spaces */
		port = strtol(colon + 1, &e, 10);
		if (!isdigit((unsigned char)colon[1]) ||
		    (*e != '\0' && strcmp(e, "/") != 0) ||
		    port < 1 || port > 65535) {
			snprintf(err, errlen, "'%s': bad port", uri);
			return -1;
		}
		b->port = (int)port;
	}
	return 0;
}

/* Addresses, not names that look like them: "127.example.net" is
 * anywhere. */
int
cloudcfg_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (strcmp(host, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, host, &a6) == 1 &&
	    IN6_IS_ADDR_LOOPBACK(&a6);
}

static int
cloudcfg_name_char(int c)
{
	return isalnum(c) || c == '_' || c == '-';
}

int
cloudcfg_requests(const char *s, struct cloud_reqtopic *out, size_t max,
    char *err, size_t errlen)
{
	static const char *const roles[] = { "read", "operate", "admin" };
	const char *p = s, *name, *role;
	size_t n = 0, nlen, rlen, i, j;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		name = p;
		while (cloudcfg_name_char((unsigned char)*p))
			p++;
		nlen = (size_t)(p - name);
		if (nlen == 0 || nlen > CLOUD_REQ_NAME_MAX || *p != ':') {
			snprintf(err, errlen, "'%s': expected NAME:ROLE, with "
			    "NAME of letters, digits, '_' and '-' (at most %d)",
			    s, CLOUD_REQ_NAME_MAX);
			return -1;
		}
		role = ++p;
		while (isalpha((unsigned char)*p))
			p++;
		rlen = (size_t)(p - role);
		for (i = 0; i < 3; i++)
			if (strlen(roles[i]) == rlen &&
			    strncmp(roles[i], role, rlen) == 0)
				break;
		if (i == 3) {
			snprintf(err, errlen, "'%.*s': a role is read, operate "
			    "or admin", (int)(p - name), name);
			return -1;
		}
		for (j = 0; j < n; j++)
			if (strlen(out[j].name) == nlen &&
			    strncmp(out[j].name, name, nlen) == 0) {
				snprintf(err, errlen, "request topic '%.*s' is "
				    "named twice", (int)nlen, name);
				return -1;
			}
		if (n == max) {
			snprintf(err, errlen, "more than %zu request topics",
			    max);
			return -1;
		}
		memcpy(out[n].name, name, nlen);
		out[n].name[nlen] = '\0';
		out[n].role = roles[i];
		n++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == ',')
			p++;
		else if (*p != '\0') {
			snprintf(err, errlen, "'%s': expected ',' between "
			    "topics", s);
			return -1;
		}
	}
	return (int)n;
}

/* Calls each word of the list s in turn; stops at a non-zero return. */
static int
cloudcfg_words(const char *s, int (*cb)(const char *, size_t, void *),
    void *arg)
{
	const char *p = s, *w;
	int rc;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			return 0;
		w = p;
		while (*p != '\0' && *p != ',' && *p != ' ' && *p != '\t')
			p++;
		if ((rc = cb(w, (size_t)(p - w), arg)) != 0)
			return rc;
	}
}

static int
cloudcfg_match(const char *w, size_t len, void *arg)
{
	const char *type = arg;

	if (len > 0 && w[len - 1] == '*')
		return strncmp(type, w, len - 1) == 0;
	return strlen(type) == len && strncmp(type, w, len) == 0;
}

int
cloudcfg_event_on(const char *s, const char *type)
{
	const char *p = s;

	while (*p == ' ' || *p == '\t' || *p == ',')
		p++;
	if (*p == '\0')
		return 1;
	return cloudcfg_words(s, cloudcfg_match, (void *)(uintptr_t)type) == 1;
}

static int
cloudcfg_word_ok(const char *w, size_t len, void *arg)
{
	size_t i;

	(void)arg;
	for (i = 0; i < len; i++)
		if (!(islower((unsigned char)w[i]) || w[i] == '_' ||
		    (w[i] == '*' && i == len - 1)))
			return -1;
	return 0;
}

int
cloudcfg_events(const char *s, char *err, size_t errlen)
{
	if (cloudcfg_words(s, cloudcfg_word_ok, NULL) != 0) {
		snprintf(err, errlen, "'%s': expected event types (a-z, '_', "
		    "and '*' last), separated by commas", s);
		return -1;
	}
	return 0;
}

int
cloudcfg_prefix(const char *s, char *err, size_t errlen)
{
	size_t len = strlen(s);

	if (len == 0 || s[0] == '$' || s[0] == '/' || s[len - 1] == '/' ||
	    strstr(s, "//") != NULL || strpbrk(s, "+#") != NULL) {
		snprintf(err, errlen, "'%s': a prefix is one or more topic "
		    "levels, without '+', '#', a leading '$' or an empty level",
		    s);
		return -1;
	}
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f) {
			snprintf(err, errlen, "a prefix has no control "
			    "characters");
			return -1;
		}
	return 0;
}

int
cloudcfg_id_ok(const char *s)
{
	size_t len = strlen(s), i;

	if (len == 0 || len > CONFIG_ID_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && strchr("._-", s[i]) ==
		    NULL)
			return 0;
	return 1;
}

void
cloudcfg_gateway_id(const struct gw_config *cfg, char *buf, size_t len)
{
	char host[256];
	size_t i;

	if (cfg->gateway_id[0] != '\0') {
		snprintf(buf, len, "%s", cfg->gateway_id);
		return;
	}
	if (gethostname(host, sizeof(host)) == -1 || host[0] == '\0') {
		snprintf(buf, len, "outpost");
		return;
	}
	host[sizeof(host) - 1] = '\0';
	host[CONFIG_ID_MAX] = '\0';
	for (i = 0; host[i] != '\0'; i++)
		if (!isalnum((unsigned char)host[i]) &&
		    strchr("._-", host[i]) == NULL)
			host[i] = '-';
	snprintf(buf, len, "%s", host);
}
