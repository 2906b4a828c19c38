// fuzz-sources: config/config.c config/inifile.c config/cloudcfg.c log.c
// fuzz-libs: -linih
/*
 * fuzz_config.c: libFuzzer target for gateway.ini. The input is written to
 * a file in a private temporary directory and read with config_load, as the
 * gateway reads its configuration at start and on SIGHUP. Besides ASan and
 * UBSan, it checks the promises of config.h and aborts on a broken one: a
 * failed load leaves cfg untouched and names the file; a good one holds
 * only values inside the table's ranges.
 */
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char	fuzz_dir[64];
static char	fuzz_path[96];

static void
fuzz_cleanup(void)
{
	unlink(fuzz_path);
	rmdir(fuzz_dir);
}

static int
fuzz_setup(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/fuzz_config.XXXXXX",
	    tmp != NULL && strlen(tmp) < 32 ? tmp : "/tmp");
	if (mkdtemp(fuzz_dir) == NULL)
		return -1;
	snprintf(fuzz_path, sizeof(fuzz_path), "%s/gateway.ini", fuzz_dir);
	atexit(fuzz_cleanup);
	return 0;
}

static int
fuzz_write(const uint8_t *data, size_t size)
{
	ssize_t n;
	int fd;

	if ((fd = open(fuzz_path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		return -1;
	while (size > 0) {
		if ((n = write(fd, data, size)) <= 0) {
			close(fd);
			return -1;
		}
		data += n;
		size -= (size_t)n;
	}
	return close(fd);
}

/* Every value of a loaded config lies inside its key's range. */
static void
fuzz_check_config(const struct gw_config *cfg)
{
	const struct config_key *keys;
	struct gw_hostport hp;
	size_t i, n;
	int v;

	keys = config_keys(&n);
	for (i = 0; i < n; i++) {
		const char *field = (const char *)cfg + keys[i].offset;

		switch (keys[i].type) {
		case CONFIG_INT:
			memcpy(&v, field, sizeof(v));
			if (v < keys[i].min || v > keys[i].max)
				abort();
			break;
		case CONFIG_LOGLEVEL:
			memcpy(&v, field, sizeof(v));
			if (v < 0 || v > 3)
				abort();
			break;
		case CONFIG_STRING:
			/* Empty only where empty is the default ("off"). */
			if ((field[0] == '\0' && keys[i].def[0] != '\0') ||
			    memchr(field, '\0', keys[i].size) == NULL)
				abort();
			break;
		case CONFIG_HOSTPORT:
			memcpy(&hp, field, sizeof(hp));
			if (hp.port == 0 || hp.host[0] == '\0' ||
			    memchr(hp.host, '\0', sizeof(hp.host)) == NULL)
				abort();
			break;
		}
	}
	if (cfg->reg_min_lifetime > cfg->reg_default_lifetime ||
	    cfg->reg_default_lifetime > cfg->reg_max_lifetime)
		abort();
	if (strcmp(cfg->source, fuzz_path) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct gw_config cfg, before;
	char err[512];
	int rc;

	if (!ready) {
		if (fuzz_setup() == -1)
			abort();
		ready = 1;
	}
	if (fuzz_write(data, size) == -1)
		abort();
	memset(&cfg, 0xa5, sizeof(cfg));
	before = cfg;
	memset(err, 'E', sizeof(err));
	rc = config_load(&cfg, fuzz_path, err, sizeof(err));
	if (rc == 0) {
		fuzz_check_config(&cfg);
		return 0;
	}
	if (rc != -1 || memcmp(&cfg, &before, sizeof(cfg)) != 0)
		abort();
	if (memchr(err, '\0', sizeof(err)) == NULL ||
	    strncmp(err, fuzz_path, strlen(fuzz_path)) != 0)
		abort();
	return 0;
}
