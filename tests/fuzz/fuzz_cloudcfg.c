// fuzz-sources: config/cloudcfg.c
/*
 * fuzz_cloudcfg.c: libFuzzer target for the [cloud] keys' parsers
 * (cloudcfg.h): the same input as a broker URI, a list of request topics,
 * a list of event types, a topic prefix and an id; and, split at its first
 * newline, as a list of event types and a type to match against it. Besides
 * ASan and UBSan, it checks what each parser promises and aborts on a
 * broken promise: a broker taken has a host of its allowed characters and
 * a port in 1..65535; request topics are distinct, named by the rules,
 * with a known role; a prefix taken has no wildcard, no empty level, no
 * leading '$' or '/'; and an event matches as a plain reading of the list
 * says it does.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/cloudcfg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_broker(const char *s)
{
	struct cloud_broker b;
	char err[512];
	size_t i;

	if (cloudcfg_broker(s, &b, err, sizeof(err)) == -1) {
		if (err[0] == '\0')
			abort();
		return;
	}
	if (b.tls != (strncmp(s, "mqtts://", 8) == 0) ||
	    (!b.tls && strncmp(s, "mqtt://", 7) != 0) ||
	    b.host[0] == '\0' || strlen(b.host) >= sizeof(b.host) ||
	    b.port < 1 || b.port > 65535 || strstr(s, b.host) == NULL)
		abort();
	for (i = 0; b.host[i] != '\0'; i++)
		if (!isalnum((unsigned char)b.host[i]) &&
		    strchr(".-_:", b.host[i]) == NULL)
			abort();
	(void)cloudcfg_loopback(b.host);
}

static void
fuzz_requests(const char *s)
{
	struct cloud_reqtopic t[CLOUD_REQ_MAX];
	char err[512];
	int n, i, j;
	size_t k, len;

	if ((n = cloudcfg_requests(s, t, CLOUD_REQ_MAX, err,
	    sizeof(err))) == -1) {
		if (err[0] == '\0')
			abort();
		return;
	}
	if (n > CLOUD_REQ_MAX)
		abort();
	for (i = 0; i < n; i++) {
		len = strlen(t[i].name);
		if (len == 0 || len > CLOUD_REQ_NAME_MAX)
			abort();
		for (k = 0; k < len; k++)
			if (!isalnum((unsigned char)t[i].name[k]) &&
			    t[i].name[k] != '_' && t[i].name[k] != '-')
				abort();
		if (t[i].role == NULL || (strcmp(t[i].role, "read") != 0 &&
		    strcmp(t[i].role, "operate") != 0 &&
		    strcmp(t[i].role, "admin") != 0))
			abort();
		for (j = 0; j < i; j++)
			if (strcmp(t[i].name, t[j].name) == 0)
				abort();
	}
}

static void
fuzz_prefix(const char *s)
{
	char err[512];
	size_t len = strlen(s), i;

	if (cloudcfg_prefix(s, err, sizeof(err)) == -1)
		return;
	if (len == 0 || s[0] == '$' || s[0] == '/' || s[len - 1] == '/' ||
	    strstr(s, "//") != NULL || strpbrk(s, "+#") != NULL)
		abort();
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			abort();
}

/* Whether type is on the list, read plainly. */
static int
fuzz_on(const char *list, const char *type)
{
	const char *p = list, *w;
	size_t len;
	int words = 0;

	for (;;) {
		p += strspn(p, " \t,");
		if (*p == '\0')
			return words == 0;
		w = p;
		len = strcspn(p, " \t,");
		p += len;
		words++;
		if (w[len - 1] == '*' ? strncmp(type, w, len - 1) == 0 :
		    strlen(type) == len && strncmp(type, w, len) == 0)
			return 1;
	}
}

static void
fuzz_events(const char *list, const char *type)
{
	char err[512];
	size_t i, len;

	if (cloudcfg_events(list, err, sizeof(err)) == 0) {
		/* words of [a-z_], '*' last */
		for (i = 0; list[i] != '\0'; i += len) {
			i += strspn(list + i, " \t,");
			len = strcspn(list + i, " \t,");
			if (len > 0 && strspn(list + i,
			    "abcdefghijklmnopqrstuvwxyz_") < len - 1)
				abort();
		}
	}
	if (cloudcfg_event_on(list, type) != fuzz_on(list, type))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, *nl;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	fuzz_broker(s);
	fuzz_requests(s);
	fuzz_prefix(s);
	fuzz_events(s, "alarm");
	fuzz_events(s, "bootstrap_done");
	if (cloudcfg_id_ok(s) && (strlen(s) > CONFIG_ID_MAX ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-") != strlen(s)))
		abort();
	(void)cloudcfg_loopback(s);
	if ((nl = strchr(s, '\n')) != NULL) {
		*nl = '\0';
		fuzz_events(s, nl + 1);
	}
	free(s);
	return 0;
}
