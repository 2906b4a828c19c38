// fuzz-sources: node/rconf.c node/nconf.c node/uri.c config/inifile.c log.c hex.c
// fuzz-libs: -lcjson -linih
/*
 * fuzz_node_config.c: libFuzzer target for the node's /config validator
 * (rconf_apply), which checks JSON written by any server. Besides ASan and
 * UBSan, it checks the promises of rconf.h and aborts on a broken one: a
 * rejected document leaves the configuration untouched and gives a reason;
 * an accepted one holds only values inside the key table's ranges, changes
 * only runtime keys, and renders back to a document that applies to the
 * same configuration.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "node/nconf.h"
#include "node/rconf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Every runtime value lies in its key's range; others did not move. */
static void
fuzz_check(const struct node_config *cfg, const struct node_config *before)
{
	const struct nconf_key *keys;
	size_t i, n;
	int v;
	double d;

	keys = nconf_keys(&n);
	for (i = 0; i < n; i++) {
		const char *field = (const char *)cfg + keys[i].offset;
		const char *old = (const char *)before + keys[i].offset;
		size_t size = keys[i].type == NCONF_DOUBLE ? sizeof(double) :
		    keys[i].size != 0 ? keys[i].size : sizeof(int);

		if (!(keys[i].flags & NCONF_RUNTIME)) {
			if (memcmp(field, old, size) != 0)
				abort();
			continue;
		}
		switch (keys[i].type) {
		case NCONF_INT:
			memcpy(&v, field, sizeof(v));
			if (v < keys[i].min || v > keys[i].max)
				abort();
			break;
		case NCONF_DOUBLE:
			memcpy(&d, field, sizeof(d));
			if (!(d >= keys[i].min && d <= keys[i].max))
				abort();
			break;
		case NCONF_LOGLEVEL:
			memcpy(&v, field, sizeof(v));
			if (v < 0 || v > 3)
				abort();
			break;
		case NCONF_BINDING:
			memcpy(&v, field, sizeof(v));
			if (v != 0 && v != 1)
				abort();
			break;
		default:
			if (memchr(field, '\0', keys[i].size) == NULL)
				abort();
			break;
		}
	}
	if (cfg->backoff_min > cfg->backoff_max)
		abort();
}

/* What GET /config shows applies back to the same configuration. */
static void
fuzz_round_trip(const struct node_config *cfg)
{
	struct node_config back;
	char err[512], *text;
	cJSON *doc = rconf_render(cfg);

	if (doc == NULL || (text = cJSON_PrintUnformatted(doc)) == NULL)
		abort();
	nconf_defaults(&back);
	if (rconf_apply(&back, text, strlen(text), NULL, err, sizeof(err)) !=
	    0)
		abort();
	if (back.lifetime != cfg->lifetime || back.queue_mode !=
	    cfg->queue_mode || back.pmax != cfg->pmax ||
	    back.load1_delta != cfg->load1_delta ||
	    back.backoff_max != cfg->backoff_max)
		abort();
	free(text);
	cJSON_Delete(doc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct node_config cfg, before;
	cJSON *doc = NULL;
	char err[512];
	int rc;

	nconf_defaults(&cfg);
	before = cfg;
	memset(err, 'E', sizeof(err));
	rc = rconf_apply(&cfg, (const char *)data, size, &doc, err,
	    sizeof(err));
	if (rc == 0) {
		if (doc == NULL || !cJSON_IsObject(doc))
			abort();
		fuzz_check(&cfg, &before);
		fuzz_round_trip(&cfg);
		cJSON_Delete(doc);
		return 0;
	}
	if (rc != -1 || doc != NULL || memcmp(&cfg, &before, sizeof(cfg)) != 0)
		abort();
	if (memchr(err, '\0', sizeof(err)) == NULL || err[0] == '\0')
		abort();
	return 0;
}
