/*
 * main.c: outpost-node's main. Options, node.ini, the kept /config writes,
 * the reactor, signals.
 */
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "hex.h"
#include "log.h"
#include "notify.h"
#include "tz.h"
#include "node/coap.h"
#include "node/node.h"
#include "node/rconf.h"
#include "node/uri.h"

/* Options that set a node.ini key: the command line wins over the file. */
static const struct {
	int		 id;
	const char	*name, *section, *key;
} main_keyopts[] = {
	{ 1000, "gateway", "node", "gateway" },
	{ 1001, "ep", "node", "endpoint" },
	{ 1002, "lifetime", "node", "lifetime" },
	{ 1003, "binding", "node", "binding" },
	{ 1004, "sleep", "node", "sleep" },
	{ 1005, "awake", "node", "awake" },
	{ 1006, "listen", "node", "listen" },
	{ 1007, "fleet", "fleet", "devices" },
	{ 1008, "prefix", "fleet", "prefix" },
	{ 1009, "drop", "fleet", "drop" },
	{ 1010, "spread", "fleet", "spread" },
	{ 1011, "bootstrap", "node", "bootstrap" },
};
#define NKEYOPTS (sizeof(main_keyopts) / sizeof(main_keyopts[0]))

struct main_set {
	size_t		 opt;		/* index in main_keyopts */
	const char	*value;
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: outpost-node [-nv] [-c node.ini] [--gateway coap://HOST:PORT]"
	    " [--ep NAME]\n"
	    "           [--bootstrap coap://HOST:PORT]\n"
	    "           [--lifetime S] [--binding U|UQ] [--sleep S] "
	    "[--awake S]\n"
	    "           [--listen HOST:PORT]\n"
	    "       outpost-node --fleet N --prefix NAME --gateway "
	    "coap://HOST:PORT\n"
	    "           [--drop FRACTION] [--spread S] [--lifetime S] "
	    "[--binding U|UQ] ...\n"
	    "  -c, --config FILE  read FILE (default: built-in defaults)\n"
	    "  -n, --check        check the configuration and exit\n"
	    "  -v, --verbose      log debug messages\n"
	    "  -V, --version      print the version and exit\n"
	    "  -h, --help         print this help and exit\n"
	    "Each long option sets the node.ini key of the same meaning and "
	    "wins over it.\n"
	    "Signals: SIGTERM or SIGINT deregister and stop.\n");
}

/*
 * obj_env: the live values of the Device object. The current time is read
 * from CLOCK_REALTIME, the clock observe.c schedules /3/0/13's ticks by:
 * time() reads the kernel's coarse clock, which lags it by up to a timer
 * tick, so a tick just after a second began could still show the old one.
 */
static int64_t
main_now(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

static long
main_mem_free(void *arg)
{
	struct node *n = arg;

	return health_sample(&n->health, node_now_ms())->mem_free_kb;
}

static int
main_battery(void *arg)
{
	struct node *n = arg;

	return health_battery(&n->health);
}

/* obj_env: the /3/0/11 Error Codes from the health figures, and for a
 * single agent a gateway that has not answered. */
static uint64_t
main_errors(void *arg)
{
	struct node *n = arg;
	int64_t now = node_now_ms();
	int64_t silent = n->gw_failing ? (now - n->gw_heard_ms) / 1000 : -1;

	return health_errors(&n->cfg, health_sample(&n->health, now),
	    health_battery(&n->health), silent);
}

/* obj_env: the connectivity of /4/0. */
static const struct conn_info *
main_conn(void *arg)
{
	struct node *n = arg;

	return conn_sample(&n->conn, node_now_ms());
}

/* Applies the options that set keys. Returns 0 or -1 (reported). */
static int
main_apply_opts(struct node_config *cfg, const struct main_set *sets,
    size_t nsets)
{
	const struct nconf_key *k;
	char err[320];
	size_t i;

	for (i = 0; i < nsets; i++) {
		k = nconf_find(main_keyopts[sets[i].opt].section,
		    main_keyopts[sets[i].opt].key);
		if (nconf_set(cfg, k, sets[i].value, err, sizeof(err)) == -1) {
			log_warnx("--%s: %s", main_keyopts[sets[i].opt].name,
			    err);
			return -1;
		}
	}
	if (nconf_validate(cfg, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		return -1;
	}
	return 0;
}

/* An empty [node] endpoint: this machine's host name. */
static int
main_default_endpoint(struct node_config *cfg)
{
	char host[256] = "";

	if (cfg->fleet > 0 || cfg->endpoint[0] != '\0')
		return 0;
	if (gethostname(host, sizeof(host)) == -1 ||
	    !uri_is_endpoint(host, strnlen(host, sizeof(host)))) {
		log_warnx("no endpoint name: set [node] endpoint or --ep "
		    "(the host name is not a valid one)");
		return -1;
	}
	memcpy(cfg->endpoint, host, strlen(host) + 1);	/* <= 63 bytes */
	return 0;
}

/* Resolves the gateway, or the bootstrap server when there is one, before
 * the loop runs, and the listen address. */
static int
main_addresses(struct node *n)
{
	struct addrinfo hints, *res;
	char host[URI_HOST_MAX], port[8], err[160];
	uint16_t p;
	struct sockaddr_in *sin = (struct sockaddr_in *)&n->local;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&n->local;
	const char *what = n->cfg.bootstrap[0] != '\0' ? "bootstrap" :
	    "gateway";
	int rc, secure;

	/* With a bootstrap server, gateway is not used: the DM server is
	 * the account's. */
	if (uri_parse_gateway(what[0] == 'b' ? n->cfg.bootstrap :
	    n->cfg.gateway, host, &p, &secure, err, sizeof(err)) == -1) {
		log_warnx("%s: %s", what, err);
		return -1;
	}
	snprintf(port, sizeof(port), "%u", p);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		log_warnx("%s %s: %s", what, host, gai_strerror(rc));
		return -1;
	}
	if (what[0] == 'b') {
		memcpy(&n->bs_addr, res->ai_addr, res->ai_addrlen);
		n->bs_len = res->ai_addrlen;
		n->bs_secure = secure;
		n->gateway = n->bs_addr;	/* its family, for listen */
	} else {
		memcpy(&n->gateway, res->ai_addr, res->ai_addrlen);
		n->gateway_len = res->ai_addrlen;
		n->secure = secure;
	}
	freeaddrinfo(res);
	if (n->cfg.listen[0] == '\0')
		return 0;
	if (uri_parse_hostport(n->cfg.listen, host, &p, err, sizeof(err)) ==
	    -1) {
		log_warnx("listen: %s", err);
		return -1;
	}
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(p);
		n->local_len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(p);
		n->local_len = sizeof(*sin6);
	}
	if (n->local.ss_family != n->gateway.ss_family) {
		log_warnx("listen %s and the %s are not of the same "
		    "address family", n->cfg.listen, what);
		return -1;
	}
	return 0;
}

/*
 * A PSK from the hex of key ([node] NAME) or the file key_file (read
 * here, at start, so that it may be readable to the agent only) into out.
 * Returns its length, or -1 (reported).
 */
static int
main_read_psk(const char *name, const char *key, const char *key_file,
    const char *uri, uint8_t out[NCONF_PSK_KEY_MAX])
{
	char buf[2 * NCONF_PSK_KEY_MAX + 64], from[64];
	const char *src = from, *hex = key;
	size_t len;
	FILE *fp;
	int k;

	snprintf(from, sizeof(from), "[node] %s", name);
	if (key_file[0] != '\0') {
		src = key_file;
		if ((fp = fopen(key_file, "re")) == NULL) {
			log_warn("[node] %s_file %s", name, key_file);
			return -1;
		}
		len = fread(buf, 1, sizeof(buf) - 1, fp);
		fclose(fp);
		buf[len] = '\0';
		hex = buf;
	} else if (hex[0] == '\0') {
		log_warnx("%s is coaps: it needs [node] %s or %s_file", uri,
		    name, name);
		return -1;
	}
	k = nconf_psk_key(hex, strlen(hex), out);
	explicit_bzero(buf, sizeof(buf));
	if (k == -1) {
		log_warnx("%s: the PSK must be %d..%d bytes in hex", src,
		    NCONF_PSK_KEY_MIN, NCONF_PSK_KEY_MAX);
		return -1;
	}
	return k;
}

/* The PSK of a coaps gateway, or the factory PSK of a coaps bootstrap
 * server, and where a single agent keeps its account. Returns 0 or -1
 * (reported). */
static int
main_psk(struct node *n)
{
	const struct node_config *cfg = &n->cfg;
	int k;

	if (n->bs_len > 0) {
		if (cfg->fleet == 0 && (mkdir(cfg->state_dir, 0700) == -1 &&
		    errno != EEXIST)) {
			log_warn("[node] state_dir %s", cfg->state_dir);
			return -1;
		}
		if (cfg->fleet == 0 && snprintf(n->acct_path,
		    sizeof(n->acct_path), "%s/account.json", cfg->state_dir) >=
		    (int)sizeof(n->acct_path)) {
			log_warnx("[node] state_dir: path too long");
			return -1;
		}
		if (!n->bs_secure)
			return 0;
		if ((k = main_read_psk("bootstrap_psk_key", cfg->bs_psk_key,
		    cfg->bs_psk_key_file, cfg->bootstrap, n->bs_psk)) == -1)
			return -1;
		n->bs_psk_len = (size_t)k;
		return 0;
	}
	if (!n->secure || nconf_pki(cfg))
		return 0;	/* not coaps, or a certificate or raw key */
	if ((k = main_read_psk("psk_key", cfg->psk_key, cfg->psk_key_file,
	    cfg->gateway, n->psk)) == -1)
		return -1;
	n->psk_len = (size_t)k;
	return 0;
}

/*
 * Reads the PEM file path of [node] key into a NUL-terminated buffer
 * (*len counts the NUL). Returns it, or NULL (reported): a start that
 * cannot read its credential fails at once, not at the first handshake.
 */
static uint8_t *
main_pem(const char *key, const char *path, size_t *len)
{
	FILE *fp;
	uint8_t *buf = NULL;
	long size;

	if ((fp = fopen(path, "re")) == NULL) {
		log_warn("[node] %s %s", key, path);
		return NULL;
	}
	if (fseek(fp, 0, SEEK_END) == 0 && (size = ftell(fp)) > 0 &&
	    size < (1 << 20) && fseek(fp, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)size + 1)) != NULL &&
	    fread(buf, 1, (size_t)size, fp) == (size_t)size) {
		buf[size] = '\0';
		*len = (size_t)size + 1;
		if (strstr((char *)buf, "-----BEGIN ") == NULL) {
			log_warnx("[node] %s %s: not PEM", key, path);
			explicit_bzero(buf, (size_t)size);
			free(buf);
			buf = NULL;
		}
	} else {
		log_warnx("[node] %s %s: cannot read", key, path);
		free(buf);
		buf = NULL;
	}
	fclose(fp);
	return buf;
}

/*
 * The gateway's raw public key, [node] server_public_key: DER in hex, or
 * a file of the DER (a path, with a /). Returns 0 or -1 (reported).
 */
static int
main_server_key(struct node *n)
{
	const char *v = n->cfg.server_public_key;
	FILE *fp;
	size_t len;
	int k;

	if (strchr(v, '/') == NULL) {
		if ((k = hex_decode(v, strlen(v), n->server_key,
		    sizeof(n->server_key))) <= 0) {
			log_warnx("[node] server_public_key: not a key in hex");
			return -1;
		}
		n->server_key_len = (size_t)k;
		return 0;
	}
	if ((fp = fopen(v, "re")) == NULL) {
		log_warn("[node] server_public_key %s", v);
		return -1;
	}
	len = fread(n->server_key, 1, sizeof(n->server_key), fp);
	k = fgetc(fp);
	fclose(fp);
	/* DER starts with a SEQUENCE (0x30); PEM would start "-----". */
	if (len == 0 || k != EOF || n->server_key[0] != 0x30) {
		log_warnx("[node] server_public_key %s: not a DER public key "
		    "(openssl pkey -pubout -outform DER)", v);
		return -1;
	}
	n->server_key_len = len;
	return 0;
}

/*
 * The certificate, key and CA of [node] cert_file, key_file and ca_file,
 * or the raw key of key_file and the gateway's of server_public_key
 * (rpk). Returns 0 (also when none is set) or -1 (reported).
 */
static int
main_pki(struct node *n)
{
	const struct node_config *cfg = &n->cfg;

	if (!nconf_pki(cfg))
		return 0;
	if ((n->pem_key = main_pem("key_file", cfg->key_file,
	    &n->pem_key_len)) == NULL)
		return -1;
	if (cfg->rpk)
		return main_server_key(n);
	if ((n->pem_cert = main_pem("cert_file", cfg->cert_file,
	    &n->pem_cert_len)) == NULL ||
	    (n->pem_ca = main_pem("ca_file", cfg->ca_file,
	    &n->pem_ca_len)) == NULL)
		return -1;
	return 0;
}

/* Forgets what main_pki read, the private key wiped. */
static void
main_pki_free(struct node *n)
{
	if (n->pem_key != NULL)
		explicit_bzero(n->pem_key, n->pem_key_len);
	free(n->pem_key);
	free(n->pem_cert);
	free(n->pem_ca);
	n->pem_key = n->pem_cert = n->pem_ca = NULL;
}

/* A fleet needs a socket per device: the soft limit goes to the hard one. */
static int
main_files(struct node *n)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)n->cfg.fleet + 64 + 2 * ((rlim_t)n->cfg.fleet /
	    (rlim_t)n->cfg.shard + 1);

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return 0;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (n->cfg.fleet > 0 && rl.rlim_cur < need) {
		log_warnx("fleet: %d devices need %lu descriptors; the limit "
		    "is %lu (raise ulimit -Hn)", n->cfg.fleet,
		    (unsigned long)need, (unsigned long)rl.rlim_cur);
		return -1;
	}
	return 0;
}

static void
main_stop_cb(evutil_socket_t sig, short what, void *arg)
{
	struct node *n = arg;

	(void)what;
	if (n->stopping) {
		log_info("signal %d again: stopping at once", (int)sig);
		event_base_loopbreak(n->base);
		return;
	}
	log_info("signal %d: deregistering and stopping", (int)sig);
	notify_send("STOPPING=1");
	shard_stop(n);
}

static void
main_hup_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	(void)arg;
	log_info("SIGHUP: node.ini is read at start only; restart to apply "
	    "it (runtime keys change through /config)");
}

/* Reads the configuration: defaults, node.ini, kept /config writes, the
 * command line. Returns 0 or -1 (reported). */
static int
main_config(struct node *n, const struct main_set *sets, size_t nsets,
    int check)
{
	char err[512];

	if (n->ini_path == NULL)
		nconf_defaults(&n->cfg);
	else if (nconf_load(&n->cfg, n->ini_path, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		return -1;
	}
	/* Options first, to know whether this is a fleet; again last. */
	if (main_apply_opts(&n->cfg, sets, nsets) == -1)
		return -1;
	if (n->cfg.fleet == 0 && rconf_load(&n->cfg, n->cfg.config_path,
	    &n->overrides, err, sizeof(err)) == -1) {
		if (check) {
			log_warnx("%s", err);
			return -1;
		}
		log_warnx("%s; ignored", err);
	}
	if (n->overrides == NULL && (n->overrides = cJSON_CreateObject()) ==
	    NULL)
		return -1;
	if (main_apply_opts(&n->cfg, sets, nsets) == -1)
		return -1;
	return main_default_endpoint(&n->cfg);
}

/* /3/0/14 and /3/0/15 as the system has them now (a fleet's devices
 * read these until they are written). */
static void
main_clock(struct obj_clock *c)
{
	time_t now = time(NULL);
	struct tm tm;

	obj_clock_system(c, localtime_r(&now, &tm) != NULL ? tm.tm_gmtoff : 0,
	    getenv("TZ"), "/etc/timezone", "/etc/localtime", TZ_DIR);
}

/* Sets up everything the loop needs. Returns 0 or -1 (reported). */
static int
main_setup(struct node *n)
{
	struct obj_env env = { main_now, main_mem_free, main_battery, n };
	double drop = n->cfg.drop * 4294967296.0;

	if (main_addresses(n) == -1 || main_psk(n) == -1 ||
	    main_pki(n) == -1 || main_files(n) == -1)
		return -1;
	if (getrandom(&n->rng, sizeof(n->rng), 0) != sizeof(n->rng) ||
	    n->rng == 0)
		n->rng = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ULL + 1;
	n->drop = drop >= 4294967295.0 ? 0xffffffffu : (uint32_t)drop;
	node_params(&n->params, &n->cfg);
	health_init(&n->health, &n->cfg, NULL, NULL);
	conn_init(&n->conn, &n->cfg, NULL, NULL);
	n->gw_heard_ms = node_now_ms();
	obj_init(&n->obj, &n->cfg, &env);
	main_clock(&n->obj.clock);
	n->obj.errors = main_errors;
	n->obj.conn = main_conn;
	n->obj.changed = res_obj_changed;
	n->obj.changed_arg = n;
	if (nlog_init(n) == -1) {
		log_warnx("cannot make the event log (/20/0): out of memory");
		return -1;
	}
	if ((n->base = event_base_new()) == NULL) {
		log_warnx("cannot create the event base");
		return -1;
	}
	if (exec_init(n) == -1 || shard_init(n) == -1 || nfw_init(n) == -1 ||
	    nsw_init(n) == -1) {
		log_warnx("cannot start");
		return -1;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	static struct option longopts[NKEYOPTS + 6] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
	};
	struct main_set sets[64];
	struct node n;
	struct event *ev_term = NULL, *ev_int = NULL, *ev_hup = NULL, *ev_dog;
	size_t nsets = 0, i;
	int ch, check = 0, verbose = 0, rc = 1;

	for (i = 0; i < NKEYOPTS; i++) {
		longopts[5 + i].name = main_keyopts[i].name;
		longopts[5 + i].has_arg = required_argument;
		longopts[5 + i].val = main_keyopts[i].id;
	}
	memset(&n, 0, sizeof(n));
	while ((ch = getopt_long(argc, argv, "c:nvVh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			n.ini_path = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'V':
			printf("outpost-node %s\n", OUTPOST_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			if (ch >= 1000 && ch < 1000 + (int)NKEYOPTS &&
			    nsets < sizeof(sets) / sizeof(sets[0])) {
				sets[nsets].opt = (size_t)(ch - 1000);
				sets[nsets++].value = optarg;
				break;
			}
			usage(stderr);
			return 1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 1;
	}
	log_init("outpost-node", LOG_LEVEL_INFO);
	/* No core dump: its memory holds the pre-shared key. */
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (main_config(&n, sets, nsets, check) == -1)
		goto out;
	if (check) {
		/* The credential files too, as the start would read them. */
		if (main_pki(&n) == -1)
			goto out;
		printf("configuration OK\n");
		rc = 0;
		goto out;
	}
	log_set_level(verbose ? LOG_LEVEL_DEBUG :
	    (enum log_level)n.cfg.log_level);
	signal(SIGPIPE, SIG_IGN);
	if (main_setup(&n) == -1)
		goto out;
	ev_term = evsignal_new(n.base, SIGTERM, main_stop_cb, &n);
	ev_int = evsignal_new(n.base, SIGINT, main_stop_cb, &n);
	ev_hup = evsignal_new(n.base, SIGHUP, main_hup_cb, &n);
	if (ev_term == NULL || ev_int == NULL || ev_hup == NULL ||
	    evsignal_add(ev_term, NULL) == -1 ||
	    evsignal_add(ev_int, NULL) == -1 ||
	    evsignal_add(ev_hup, NULL) == -1)
		fatalx("cannot install signal handlers");
	if (n.cfg.fleet == 0)
		log_info("outpost-node %s started: endpoint %s, %s %s%s%s",
		    OUTPOST_VERSION, n.cfg.endpoint, n.bs_len > 0 ?
		    "bootstrap" : "gateway", n.bs_len > 0 ? n.cfg.bootstrap :
		    n.cfg.gateway, n.cfg.listen[0] != '\0' ?
		    ", listening on " : "", n.cfg.listen);
	else
		log_info("outpost-node %s started: fleet of %d (%s0..), "
		    "%s %s", OUTPOST_VERSION, n.cfg.fleet, n.cfg.prefix,
		    n.bs_len > 0 ? "bootstrap" : "gateway", n.bs_len > 0 ?
		    n.cfg.bootstrap : n.cfg.gateway);
	shard_start(&n);
	notify_send("READY=1");
	ev_dog = notify_watchdog(n.base);		/* WatchdogSec= */
	event_base_dispatch(n.base);
	notify_watchdog_stop(ev_dog);
	log_info("stopped");
	rc = 0;
out:
	if (ev_term != NULL)
		event_free(ev_term);
	if (ev_int != NULL)
		event_free(ev_int);
	if (ev_hup != NULL)
		event_free(ev_hup);
	if (n.base != NULL) {
		nsw_free(&n);
		nfw_free(&n);
		nlog_free(&n);
		shard_free(&n);
		exec_free(&n);
		event_base_free(n.base);
	}
	cJSON_Delete(n.overrides);
	main_pki_free(&n);
	return rc;
}
