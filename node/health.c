/*
 * health.c: see health.h.
 */
#include <sys/statvfs.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "node/health.h"

#define HEALTH_CACHE_MS	1000
#define HEALTH_ABS(x)	((x) < 0 ? -(x) : (x))
#define HEALTH_FILE_MAX	4096	/* /proc/meminfo is about 1.5 KiB */

/* x rounded to tenths (x >= 0); libm is not linked. */
static double
health_tenths(double x)
{
	return (double)(long long)(x * 10.0 + 0.5) / 10.0;
}

ssize_t
health_read(const char *path, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while (len + 1 < size && (n = read(fd, buf + len, size - 1 - len)) !=
	    0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			close(fd);
			return -1;
		}
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return (ssize_t)len;
}

static void
health_skip_blanks(const char **p, const char *end)
{
	while (*p < end && (**p == ' ' || **p == '\t'))
		(*p)++;
}

/* An unsigned decimal at *p (after blanks), without overflow. */
static int
health_ull(const char **p, const char *end, unsigned long long *out)
{
	unsigned long long n = 0;
	const char *s;

	health_skip_blanks(p, end);
	for (s = *p; *p < end && **p >= '0' && **p <= '9'; (*p)++) {
		unsigned d = (unsigned)(**p - '0');

		if (n > (~0ULL - d) / 10)
			return -1;
		n = n * 10 + d;
	}
	if (*p == s)
		return -1;
	*out = n;
	return 0;
}

/* A decimal number at the start of buf, as strtod reads it, from a bounded
 * copy. */
static int
health_double(const char *buf, size_t len, double *out)
{
	char tmp[32], *end;
	size_t n = 0;
	double d;

	while (n < len && n < sizeof(tmp) - 1 && buf[n] != ' ' &&
	    buf[n] != '\n' && buf[n] != '\t') {
		if ((buf[n] < '0' || buf[n] > '9') && buf[n] != '.')
			return -1;
		tmp[n] = buf[n];
		n++;
	}
	tmp[n] = '\0';
	if (n == 0)
		return -1;
	errno = 0;
	d = strtod(tmp, &end);
	if (*end != '\0' || errno != 0)
		return -1;
	*out = d;
	return 0;
}

int
health_parse_meminfo(const char *buf, size_t len, long *total, long *avail)
{
	static const char *const keys[] = {
		"MemTotal:", "MemAvailable:", "MemFree:"
	};
	unsigned long long v[3];
	int have[3] = { 0, 0, 0 };
	const char *p = buf, *end = buf + len, *eol;
	size_t k;

	while (p < end) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		for (k = 0; k < 3; k++) {
			size_t kl = strlen(keys[k]);
			const char *q = p + kl;

			if ((size_t)(eol - p) <= kl || memcmp(p, keys[k], kl) !=
			    0 || have[k])
				continue;
			if (health_ull(&q, eol, &v[k]) == 0 &&
			    v[k] <= (unsigned long long)LONG_MAX)
				have[k] = 1;
		}
		p = eol + 1;
	}
	if (!have[0] || (!have[1] && !have[2]))
		return -1;
	*total = (long)v[0];
	*avail = (long)(have[1] ? v[1] : v[2]);
	return 0;
}

int
health_parse_stat(const char *buf, size_t len, unsigned long long *busy,
    unsigned long long *total)
{
	const char *p = buf, *end = buf + len;
	unsigned long long f[8], sum = 0, idle;
	int n;

	if (len < 4 || memcmp(buf, "cpu ", 4) != 0)
		return -1;
	p += 4;
	if ((end = memchr(buf, '\n', len)) == NULL)
		end = buf + len;
	for (n = 0; n < 8; n++) {
		if (health_ull(&p, end, &f[n]) == -1)
			break;
		if (sum > ~0ULL - f[n])
			return -1;
		sum += f[n];
	}
	if (n < 4)
		return -1;
	idle = f[3] + (n > 4 ? f[4] : 0);
	if (idle > sum)
		return -1;
	*busy = sum - idle;
	*total = sum;
	return 0;
}

int
health_parse_loadavg(const char *buf, size_t len, double *load1)
{
	return health_double(buf, len, load1);
}

int
health_parse_uptime(const char *buf, size_t len, long *uptime)
{
	double d;

	if (health_double(buf, len, &d) == -1 || d > (double)LONG_MAX)
		return -1;
	*uptime = (long)d;
	return 0;
}

int
health_parse_number(const char *buf, size_t len, long *n)
{
	const char *p = buf, *end = buf + len;
	unsigned long long v;
	int neg = 0;

	health_skip_blanks(&p, end);
	if (p < end && *p == '-') {
		neg = 1;
		p++;
	}
	if (health_ull(&p, end, &v) == -1 || v > (unsigned long long)LONG_MAX)
		return -1;
	health_skip_blanks(&p, end);
	if (p < end && *p != '\n')
		return -1;
	*n = neg ? -(long)v : (long)v;
	return 0;
}

/* Finds a power supply of type Battery with a capacity file. */
static void
health_find_battery(struct health *h)
{
	char dir[128], path[PATH_MAX], buf[32];
	struct dirent *de;
	DIR *d;

	h->battery_path[0] = '\0';
	snprintf(dir, sizeof(dir), "%s/class/power_supply", h->sys);
	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s/type", dir,
		    de->d_name) >= (int)sizeof(path) ||
		    health_read(path, buf, sizeof(buf)) < 7 ||
		    strncmp(buf, "Battery", 7) != 0)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s/capacity", dir,
		    de->d_name) < (int)sizeof(path) &&
		    access(path, R_OK) == 0) {
			snprintf(h->battery_path, sizeof(h->battery_path),
			    "%s", path);
			break;
		}
	}
	closedir(d);
}

/* Reads /proc/stat into cur's cpu_pct: the busy share since the previous
 * read, or the last figure when no time has passed. */
static void
health_cpu(struct health *h)
{
	char path[96], buf[512];
	unsigned long long busy, total;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/stat", h->proc);
	if ((n = health_read(path, buf, sizeof(buf))) == -1 ||
	    health_parse_stat(buf, (size_t)n, &busy, &total) == -1)
		return;
	if (h->have_stat && total > h->total && busy >= h->busy)
		h->cur.cpu_pct = health_tenths(100.0 * (double)(busy - h->busy) /
		    (double)(total - h->total));
	h->busy = busy;
	h->total = total;
	h->have_stat = 1;
}

void
health_init(struct health *h, const struct node_config *cfg,
    const char *proc, const char *sys)
{
	memset(h, 0, sizeof(*h));
	h->cfg = cfg;
	snprintf(h->proc, sizeof(h->proc), "%s", proc != NULL ? proc :
	    "/proc");
	snprintf(h->sys, sizeof(h->sys), "%s", sys != NULL ? sys : "/sys");
	health_find_battery(h);
	health_cpu(h);
}

const struct health_figures *
health_sample(struct health *h, int64_t now_ms)
{
	struct health_figures *f = &h->cur;
	char path[PATH_MAX], buf[HEALTH_FILE_MAX];
	struct statvfs sv;
	long milli;
	ssize_t n;

	if (h->sampled_ms != 0 && now_ms - h->sampled_ms < HEALTH_CACHE_MS &&
	    now_ms >= h->sampled_ms)
		return f;
	h->sampled_ms = now_ms;
	health_cpu(h);
	snprintf(path, sizeof(path), "%s/meminfo", h->proc);
	if ((n = health_read(path, buf, sizeof(buf))) == -1 ||
	    health_parse_meminfo(buf, (size_t)n, &f->mem_total_kb,
	    &f->mem_free_kb) == -1)
		f->mem_total_kb = f->mem_free_kb = 0;
	snprintf(path, sizeof(path), "%s/loadavg", h->proc);
	if ((n = health_read(path, buf, sizeof(buf))) == -1 ||
	    health_parse_loadavg(buf, (size_t)n, &f->load1) == -1)
		f->load1 = 0;
	snprintf(path, sizeof(path), "%s/uptime", h->proc);
	if ((n = health_read(path, buf, sizeof(buf))) == -1 ||
	    health_parse_uptime(buf, (size_t)n, &f->uptime_s) == -1)
		f->uptime_s = 0;
	f->disk_ok = statvfs(h->cfg->disk_path, &sv) == 0;
	f->disk_free_kb = f->disk_ok ?
	    (long)((unsigned long long)sv.f_bavail * sv.f_frsize / 1024) : 0;
	snprintf(path, sizeof(path), "%s/class/thermal/thermal_zone0/temp",
	    h->sys);
	f->has_temp = (n = health_read(path, buf, sizeof(buf))) != -1 &&
	    health_parse_number(buf, (size_t)n, &milli) == 0;
	f->temp_c = !f->has_temp ? 0 : milli < 0 ?
	    -health_tenths((double)-milli / 1000.0) :
	    health_tenths((double)milli / 1000.0);
	return f;
}

cJSON *
health_json(const struct health_figures *f)
{
	cJSON *o;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (cJSON_AddNumberToObject(o, "cpu_pct", f->cpu_pct) == NULL ||
	    cJSON_AddNumberToObject(o, "mem_free_kb",
	    (double)f->mem_free_kb) == NULL ||
	    cJSON_AddNumberToObject(o, "mem_total_kb",
	    (double)f->mem_total_kb) == NULL ||
	    cJSON_AddNumberToObject(o, "disk_free_kb",
	    (double)f->disk_free_kb) == NULL ||
	    cJSON_AddNumberToObject(o, "load1", f->load1) == NULL ||
	    cJSON_AddNumberToObject(o, "uptime_s", (double)f->uptime_s) ==
	    NULL ||
	    (f->has_temp && cJSON_AddNumberToObject(o, "temp_c", f->temp_c) ==
	    NULL)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

int
health_moved(const struct node_config *cfg, const struct health_figures *base,
    const struct health_figures *cur)
{
	return HEALTH_ABS(cur->cpu_pct - base->cpu_pct) >= cfg->cpu_pct_delta ||
	    labs(cur->mem_free_kb - base->mem_free_kb) >=
	    cfg->mem_free_kb_delta ||
	    labs(cur->disk_free_kb - base->disk_free_kb) >=
	    cfg->disk_free_kb_delta ||
	    HEALTH_ABS(cur->load1 - base->load1) >= cfg->load1_delta ||
	    cur->has_temp != base->has_temp ||
	    (cur->has_temp && HEALTH_ABS(cur->temp_c - base->temp_c) >=
	    cfg->temp_c_delta);
}

int
health_battery(struct health *h)
{
	char buf[32];
	ssize_t n;
	long v;

	if (h->cfg->battery >= 0)
		return h->cfg->battery;
	if (h->battery_path[0] == '\0' ||
	    (n = health_read(h->battery_path, buf, sizeof(buf))) == -1 ||
	    health_parse_number(buf, (size_t)n, &v) == -1)
		return 100;
	return v < 0 ? 0 : v > 100 ? 100 : (int)v;
}

uint64_t
health_errors(const struct node_config *cfg, const struct health_figures *f,
    int battery, int64_t silent_s)
{
	uint64_t mask = 0;

	if (cfg->err_battery > 0 && battery < cfg->err_battery)
		mask |= 1ULL << HEALTH_ERR_BATTERY;
	if (cfg->err_mem_free_kb > 0 && f->mem_total_kb > 0 &&
	    f->mem_free_kb < cfg->err_mem_free_kb)
		mask |= 1ULL << HEALTH_ERR_MEMORY;
	if (cfg->err_gateway_silence > 0 && silent_s >= 0 &&
	    silent_s >= cfg->err_gateway_silence)
		mask |= 1ULL << HEALTH_ERR_IP;
	if (cfg->err_disk_free_kb > 0 && f->disk_ok &&
	    f->disk_free_kb < cfg->err_disk_free_kb)
		mask |= 1ULL << HEALTH_ERR_DISK;
	return mask;
}
