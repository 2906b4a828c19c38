/*
 * health.h: the machine's figures for /health and the Device object: CPU
 * share from /proc/stat deltas, memory from /proc/meminfo, free disk from
 * statvfs, load from /proc/loadavg, uptime from /proc/uptime, temperature
 * from the first thermal zone, battery from /sys/class/power_supply.
 *
 * A sample is cached for a second: a fleet answering thousands of reads
 * reads /proc once per second at most. The parsers take a buffer and its
 * length, trust nothing in it and are tested with hostile input.
 */
#ifndef OUTPOST_NODE_HEALTH_H
#define OUTPOST_NODE_HEALTH_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cJSON.h>

#include "node/nconf.h"

struct health_figures {
	double	cpu_pct;	/* busy share since the previous sample */
	long	mem_free_kb;	/* MemAvailable (MemFree on old kernels) */
	long	mem_total_kb;
	long	disk_free_kb;	/* statvfs f_bavail of [health] disk_path */
	double	load1;
	long	uptime_s;
	double	temp_c;
	int	has_temp;	/* a thermal zone exists */
	int	disk_ok;	/* disk_free_kb was read */
};

struct health {
	const struct node_config *cfg;	/* not owned */
	char	proc[64];		/* "/proc", or a test's directory */
	char	sys[64];		/* "/sys" */
	char	battery_path[PATH_MAX];	/* capacity file, "" if none */
	int64_t	sampled_ms;		/* monotonic time of cur, 0: never */
	struct health_figures cur;
	unsigned long long busy, total;	/* /proc/stat at the previous read */
	int	have_stat;
};

/* Sets h up over cfg, reading under proc and sys (NULL: the real ones),
 * and takes a first /proc/stat reading. */
void	health_init(struct health *h, const struct node_config *cfg,
	    const char *proc, const char *sys);

/* The figures at now_ms (monotonic): a fresh sample when the cached one is
 * a second old or more. Figures that cannot be read are 0. */
const struct health_figures *health_sample(struct health *h, int64_t now_ms);

/* /health as a JSON object; the caller owns it. NULL when out of memory. */
cJSON	*health_json(const struct health_figures *f);

/* Whether cur moved past a [health] *_delta from base. */
int	health_moved(const struct node_config *cfg,
	    const struct health_figures *base, const struct health_figures *cur);

/* /3/0/11 Error Codes (LwM2M 1.1 object 3) the node gives. */
#define HEALTH_ERR_BATTERY	1	/* low battery power */
#define HEALTH_ERR_MEMORY	5	/* out of memory */
#define HEALTH_ERR_IP		7	/* IP connectivity failure */
#define HEALTH_ERR_DISK		16	/* device-specific: disk nearly full */

/*
 * The Error Codes of figures f, battery level battery and a gateway that
 * has not answered for silent_s seconds (-1: it answers), against cfg's
 * [errors] thresholds (0: never), as a mask: bit c for code c. 0: none.
 * Figures that could not be read (0 total memory) raise nothing.
 */
uint64_t health_errors(const struct node_config *cfg,
	    const struct health_figures *f, int battery, int64_t silent_s);

/* Battery level 0..100: [device] battery, or the power supply's capacity
 * (100 when there is none). */
int	health_battery(struct health *h);

/* Reads up to size - 1 bytes of path into buf, NUL-terminated. Returns
 * the length or -1. */
ssize_t	health_read(const char *path, char *buf, size_t size);

/*
 * Parsers, each over len bytes (no NUL needed). Each returns 0, or -1 when
 * the text does not hold what it should.
 *   meminfo: "MemTotal:  N kB" and "MemAvailable: N kB" (or MemFree)
 *   stat:    the first "cpu " line: busy = all - idle - iowait
 *   loadavg: the first field
 *   uptime:  the first field, whole seconds
 *   number:  one integer (thermal millidegrees, capacity percent)
 */
int	health_parse_meminfo(const char *buf, size_t len, long *total,
	    long *avail);
int	health_parse_stat(const char *buf, size_t len, unsigned long long *busy,
	    unsigned long long *total);
int	health_parse_loadavg(const char *buf, size_t len, double *load1);
int	health_parse_uptime(const char *buf, size_t len, long *uptime);
int	health_parse_number(const char *buf, size_t len, long *n);

#endif /* OUTPOST_NODE_HEALTH_H */
