/*
 * bsparse.c: the bodies of PUT /v1/bootstrap/{ep} and PUT
 * /v1/bootstrap-tags/{tag} (bootstrap.h). No store: the fuzz target links
 * this file with credparse.c, lwm2m.c and tagparse.c.
 */
#include <stdio.h>
#include <string.h>

#include <cJSON.h>

#include "parse.h"
#include "modules/device/bootstrap.h"

#define BS_BODY_MAX	4096



/* A URI a device can be told: coap:// or coaps://, a host, printable
 * ASCII without spaces, quotes or angle brackets. */
static int
bs_uri(struct bs_config *cfg, const cJSON *v, char *err, size_t errlen)
{
	const char *s;
	size_t len, i, skip;

	if (!cJSON_IsString(v))
		return parse_error(err, errlen, "server_uri must be a string");
	s = v->valuestring;
	len = strlen(s);
	skip = strncmp(s, "coaps://", 8) == 0 ? 8 :
	    strncmp(s, "coap://", 7) == 0 ? 7 : 0;
	if (skip == 0 || len == skip || len > BS_URI_MAX)
		return parse_error(err, errlen, "server_uri must be coap://HOST"
		    "[:PORT] or coaps://HOST[:PORT], at most %d characters",
		    BS_URI_MAX);
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f ||
		    s[i] == '"' || s[i] == '<' || s[i] == '>' || s[i] == '\\')
			return parse_error(err, errlen, "server_uri: only "
			    "printable ASCII without spaces is allowed");
	memcpy(cfg->server_uri, s, len + 1);
	return 0;
}

/* A number within [lo, hi], integral. */
static int
bs_int(const cJSON *v, const char *what, double lo, double hi, int64_t *out,
    char *err, size_t errlen)
{
	if (!cJSON_IsNumber(v) || v->valuedouble < lo || v->valuedouble > hi ||
	    v->valuedouble != (double)(int64_t)v->valuedouble)
		return parse_error(err, errlen, "%s must be a whole number "
		    "%.0f..%.0f", what, lo, hi);
	*out = (int64_t)v->valuedouble;
	return 0;
}

static int
bs_binding(struct bs_config *cfg, const cJSON *v, char *err, size_t errlen)
{
	const char *s;
	size_t i;

	if (!cJSON_IsString(v))
		return parse_error(err, errlen, "binding must be a string");
	s = v->valuestring;
	if (s[0] == '\0' || strlen(s) > LWM2M_BINDING_MAX)
		return parse_error(err, errlen, "binding must be 1..%d letters "
		    "of UTSNQ", LWM2M_BINDING_MAX);
	for (i = 0; s[i] != '\0'; i++)
		if (strchr("UTSNQ", s[i]) == NULL ||
		    strchr(s + i + 1, s[i]) != NULL)
			return parse_error(err, errlen, "binding must be "
			    "letters of UTSNQ, each once");
	memcpy(cfg->binding, s, strlen(s) + 1);
	return 0;
}

/* The DM members of doc into cfg. */
static int
bs_members(const cJSON *doc, struct bs_config *cfg, char *err, size_t errlen)
{
	const cJSON *v;
	int64_t n = 0;

	if ((v = cJSON_GetObjectItemCaseSensitive(doc, "server_uri")) != NULL &&
	    bs_uri(cfg, v, err, errlen) == -1)
		return -1;
	if ((v = cJSON_GetObjectItemCaseSensitive(doc, "security_mode")) !=
	    NULL && (!cJSON_IsString(v) ||
	    (cfg->mode = bs_mode_from_name(v->valuestring)) < 0)) {
		cfg->mode = BS_MODE_UNSET;
		return parse_error(err, errlen, "security_mode must be psk or "
		    "nosec (the gateway issues PSKs; certificates and raw "
		    "public keys it cannot make)");
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(doc, "lifetime")) != NULL) {
		if (bs_int(v, "lifetime", 1, LWM2M_LIFETIME_MAX, &n, err,
		    errlen) == -1)
			return -1;
		cfg->lifetime = n;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(doc, "binding")) != NULL &&
	    bs_binding(cfg, v, err, errlen) == -1)
		return -1;
	if ((v = cJSON_GetObjectItemCaseSensitive(doc, "short_server_id")) !=
	    NULL) {
		if (bs_int(v, "short_server_id", 1, 65534, &n, err,
		    errlen) == -1)
			return -1;
		cfg->ssid = (int)n;
	}
	/* A mode and a scheme that contradict each other would give the
	 * device an account it cannot use. */
	if (cfg->server_uri[0] != '\0' && cfg->mode != BS_MODE_UNSET &&
	    (cfg->mode == BS_MODE_NOSEC) != (strncmp(cfg->server_uri,
	    "coap://", 7) == 0))
		return parse_error(err, errlen, "security_mode %s needs a %s "
		    "server_uri", bs_mode_name(cfg->mode),
		    cfg->mode == BS_MODE_NOSEC ? "coap://" : "coaps://");
	return 0;
}

int
bs_parse_config(const char *body, size_t len, int with_factory,
    struct bs_config *cfg, struct cred *fc, char *err, size_t errlen)
{
	static const char *const known[] = { "server_uri", "security_mode",
	    "lifetime", "binding", "short_server_id", "factory_psk_identity",
	    "factory_psk_key", "factory_rpk", "factory_x509_cn" };
	const size_t nknown = with_factory ? sizeof(known) / sizeof(known[0]) :
	    5;
	cJSON *doc;
	unsigned seen;
	int rc = -1;

	memset(cfg, 0, sizeof(*cfg));
	cfg->mode = BS_MODE_UNSET;
	if (fc != NULL)
		memset(fc, 0, sizeof(*fc));
	if ((doc = parse_json_object(body, len, BS_BODY_MAX, known, nknown,
	    &seen, err, errlen)) == NULL)
		return -1;
	if (bs_members(doc, cfg, err, errlen) == -1)
		goto done;
	if ((seen >> 5) != 0 && cred_parse_kind(fc, doc, "factory_", err,
	    errlen) == -1)
		goto done;
	rc = 0;
done:
	cJSON_Delete(doc);
	if (rc == -1 && fc != NULL)
		explicit_bzero(fc, sizeof(*fc));
	return rc;
}
