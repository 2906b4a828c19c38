/*
 * alarmbench.c: the cost of judging one value against the alarm rules
 * (modules/health/), on the reactor's thread as the cache's listener
 * calls it, over a real store with BENCH_ALARM_DEVICES (1000) devices
 * registered: a value of a path no rule watches; one a threshold rule of
 * every device judges (inside its limit, the common case); one a rule
 * selecting by tag judges (a read of the store's tag index); one a rate
 * rule judges over its window; a raise and a clear (each an alarm record
 * into the store's batch and an "alarm" event); and one device of the
 * sweep that finds silence and expiry. Built and run by
 * tests/bench/alarm.sh; it prints, and never fails on a time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway.h"
#include "log.h"
#include "lwm2m/alarmparse.h"
#include "modules/device/tags.h"
#include "modules/health/alarm.h"
#include "tests/unit/domutil.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
rule(struct dom *d, const char *body)
{
	struct alarm_rule_def def;
	char field[ALARM_FIELD_MAX], err[256];
	uint64_t id;
	int status;

	if (alarmparse_rule(body, strlen(body), &def, field, sizeof(field),
	    err, sizeof(err)) == -1 || alarm_rule_add(&d->gw, &def, &id,
	    &status, err, sizeof(err)) == -1) {
		fprintf(stderr, "alarmbench: %s: %s\n", body, err);
		exit(1);
	}
	store_commit(d->gw.store);
}

/* ns per alarm_number of path over the devices, n calls. */
static double
judge(struct dom *d, char eps[][24], int ndev, const char *path, long n,
    double base)
{
	double t0 = now_s();
	long i;

	for (i = 0; i < n; i++)
		alarm_number(&d->gw, eps[i % ndev], path, base + (double)(i %
		    7), 1000000000000LL + i * 1000);
	return (now_s() - t0) * 1e9 / (double)n;
}

int
main(void)
{
	const char *env = getenv("BENCH_ALARM_DEVICES");
	int ndev = env != NULL ? atoi(env) : 1000, i;
	long n = 1000000, cycles = 20000;
	char (*eps)[24], tags[1][TAG_LEN_MAX + 1] = { "site-a" };
	struct dom *d;
	double t0, per;
	cJSON *l;
	int more;

	log_init("alarmbench", LOG_LEVEL_ERROR);
	if (ndev < 1 || (eps = calloc((size_t)ndev, sizeof(*eps))) == NULL ||
	    (d = dom_new()) == NULL)
		return 1;
	d->gw.cfg.alarm_push = 0;
	d->gw.cfg.store_map_size_mb = 1024;
	if (dom_start(d) == -1 || alarm_module.init(&d->gw) == -1 ||
	    alarm_module.start(&d->gw) == -1)
		return 1;
	for (i = 0; i < ndev; i++) {
		snprintf(eps[i], sizeof(eps[i]), "bench-%05d", i);
		if (dom_register(d, eps[i], "</3/0>") == -1 ||
		    (i % 2 == 0 && tags_set(&d->gw, eps[i], tags, 1) == -1))
			return 1;
	}
	store_commit(d->gw.store);
	rule(d, "{\"kind\":\"threshold\",\"path\":\"health/cpu\","
	    "\"above\":90,\"hysteresis\":5,\"hold_s\":30}");
	rule(d, "{\"kind\":\"threshold\",\"path\":\"health/disk\","
	    "\"above\":90,\"tag\":\"site-a\"}");
	rule(d, "{\"kind\":\"rate\",\"path\":\"health/mem\",\"above\":1e9,"
	    "\"window\":8}");
	rule(d, "{\"kind\":\"silence\",\"path\":\"health/cpu\","
	    "\"for_s\":600}");
	rule(d, "{\"kind\":\"silence\",\"for_s\":600}");
	rule(d, "{\"kind\":\"offline\",\"state\":\"asleep\"}");
	rule(d, "{\"kind\":\"threshold\",\"path\":\"health/temp\","
	    "\"above\":50}");

	printf("alarm evaluation (%d devices, 7 rules, one reactor thread):\n",
	    ndev);
	judge(d, eps, ndev, "health/cpu", ndev, 10);	/* the tracks made */
	printf("  a value no rule watches:             %8.0f ns\n",
	    judge(d, eps, ndev, "3/0/13", n, 10));
	printf("  a threshold of every device, inside: %8.0f ns\n",
	    judge(d, eps, ndev, "health/cpu", n, 10));
	printf("  a threshold by tag (store read):     %8.0f ns\n",
	    judge(d, eps, ndev, "health/disk", n / 4, 10));
	printf("  a rate over 8 values:                %8.0f ns\n",
	    judge(d, eps, ndev, "health/mem", n, 10));

	t0 = now_s();
	for (i = 0; i < cycles; i++) {
		alarm_number(&d->gw, eps[i % ndev], "health/temp", 99, 0);
		alarm_number(&d->gw, eps[i % ndev], "health/temp", 1, 0);
		if (i % 1000 == 999)
			store_commit(d->gw.store);
	}
	per = (now_s() - t0) * 1e9 / (double)cycles / 2;
	printf("  a raise or a clear (record, event):  %8.0f ns "
	    "(group commit not counted)\n", per);
	if ((l = alarm_list_json(&d->gw, ALARM_ST_CLEARED, NULL, -1, 0, 1,
	    &more)) == NULL || cJSON_GetArraySize(l) != 1) {
		fprintf(stderr, "alarmbench: no alarm was raised\n");
		return 1;
	}
	cJSON_Delete(l);
	alarm_sweep_now(&d->gw);	/* the cleared past keep_cleared go */
	store_commit(d->gw.store);

	t0 = now_s();
	for (i = 0; i < 20; i++)
		alarm_sweep_now(&d->gw);
	printf("  one device of the sweep (3 rules):   %8.0f ns\n",
	    (now_s() - t0) * 1e9 / 20 / ndev);
	alarm_module.stop(&d->gw);
	dom_free(d);
	free(eps);
	return 0;
}
