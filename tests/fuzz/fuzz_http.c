// fuzz-sources: @CORE_SRC@
// fuzz-libs: -levent_core -levent_extra -lcoap-3-gnutls -lwolfssl -llmdb -linih -lcjson -lcbor -lxml2 -lmosquitto -lm -lpthread
/*
 * fuzz_http.c: libFuzzer target for the HTTP API as a client reaches it.
 * A real gateway runs in the fuzzer's process, built as main.c builds one
 * (config defaults, a store in a temporary directory, the module table)
 * but without the CoAP face: no sockets for devices and no multicast
 * announcements; with gw->hooks empty every device counts as unreachable.
 * Two devices are registered directly in the registry (one in queue mode)
 * so that the device routes find someone; a DELETE that decommissions one
 * is undone before the next input.
 *
 * Each input is the raw bytes a client sends (request line, headers,
 * body, perhaps several pipelined requests): they are written to a TCP
 * connection to the gateway's evhttp listener on loopback, and the
 * reactor runs in non-blocking turns until the gateway closes the
 * connection or nothing happens for a few turns (the store's group commit
 * is forced on an idle turn, so replies that wait for durability go out).
 * The answer is read and dropped, and the client resets the connection:
 * an orderly close would leave a TIME_WAIT socket per input on the host,
 * so the gateway sees a client that goes away (ECONNRESET) rather than
 * one that shuts its side (EOF). Auth is on: three tokens without rate
 * limits; the seeds carry the admin one. Firmware manifests are trusted
 * when FUZZ_TRUSTED_KEY signed them, as it did the seeds' (an image of the
 * one byte "A"), so that uploads complete and campaigns start.
 *
 * State persists across inputs (the store, tags, firmware, campaigns);
 * every FUZZ_RESET_EVERY inputs the gateway is stopped as main.c stops it
 * and started afresh on an empty store, which also bounds what the store
 * grows to. At exit it is stopped too, so that LeakSanitizer sees what the
 * modules' stop functions forget to free. FUZZ_HTTP_VERBOSE=1 in the
 * environment prints the gateway's log and its answers.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "gateway.h"
#include "log.h"
#include "modules/device/registry.h"
#include "store/store.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_ADMIN_TOKEN	"fuzz-admin-token"
#define FUZZ_OPERATE_TOKEN	"fuzz-operate-token"
#define FUZZ_READ_TOKEN		"fuzz-reader-token"
/* The key that signed the seeds' manifests (outpost sign, an image "A"). */
#define FUZZ_TRUSTED_KEY \
	"79f8a3d53e34dd7e60dff1d47f7b735b2b8cd637a3d19bd098929e4c4e51e319"
#define FUZZ_RESET_EVERY	4096	/* inputs between fresh gateways */
#define FUZZ_MAX_TURNS		256	/* reactor turns per input */
#define FUZZ_IDLE_TURNS		4	/* turns without news: done */

/* main.c's table without the CoAP face, in start order. */
static const struct gw_module *const fuzz_modules[] = {
	&store_module,
	&firmware_module,
	&registry_module,
	&queue_module,
	&cache_module,
	&observe_module,
	&webhook_module,
	&stream_module,
	&http_module,
	&forward_module,
	&campaign_module,
};
#define FUZZ_NMODULES (sizeof(fuzz_modules) / sizeof(fuzz_modules[0]))

static struct gateway	fuzz_gw;
static int		fuzz_running;
static char		fuzz_dir[64];
static unsigned		fuzz_inputs;
static unsigned		fuzz_unconnected;	/* inputs that never got in */
static int		fuzz_verbose;	/* FUZZ_HTTP_VERBOSE: print answers */

/* A free TCP port on loopback: bound to port 0, read back, closed. */
static uint16_t
fuzz_free_port(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd;
	uint16_t port = 0;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return 0;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin, &len) == 0)
		port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

/* Removes the files of the store directory (LMDB's and the lock). */
static void
fuzz_empty_dir(void)
{
	DIR *d;
	struct dirent *e;
	char path[sizeof(fuzz_dir) + 256];

	if ((d = opendir(fuzz_dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", fuzz_dir, e->d_name);
		unlink(path);
	}
	closedir(d);
}

/* Stops the first started modules in reverse, as main.c's gateway_stop. */
static void
fuzz_gateway_stop(size_t started)
{
	fuzz_gw.stopping = 1;
	while (started-- > 0) {
		if (fuzz_modules[started]->stop != NULL)
			fuzz_modules[started]->stop(&fuzz_gw);
		if (fuzz_gw.store != NULL)
			store_commit(fuzz_gw.store);
	}
	event_base_free(fuzz_gw.base);
	memset(&fuzz_gw, 0, sizeof(fuzz_gw));
	fuzz_running = 0;
}

static void
fuzz_registered(enum registry_result res, uint64_t id, void *arg)
{
	(void)res;
	(void)id;
	(void)arg;
}

/* Registers ep (from 127.0.0.1:5683) unless it is registered. */
static void
fuzz_register(const char *ep, int queue_mode, const char *links)
{
	struct lwm2m_params p;
	struct dev_addr from;

	if (registry_find_by_endpoint(fuzz_gw.registry, ep) != NULL)
		return;
	memset(&p, 0, sizeof(p));
	snprintf(p.ep, sizeof(p.ep), "%s", ep);
	snprintf(p.version, sizeof(p.version), "1.1");
	snprintf(p.binding, sizeof(p.binding), queue_mode ? "UQ" : "U");
	p.lifetime = 86400;
	p.has_ep = p.has_lifetime = p.has_version = p.has_binding = 1;
	p.queue_mode = queue_mode ? 1 : 0;
	memset(&from, 0, sizeof(from));
	from.family = AF_INET;
	from.addr[0] = 127;
	from.addr[3] = 1;
	from.port = 5683;
	(void)registry_register(fuzz_gw.registry, &p, links, strlen(links),
	    &from, 0, fuzz_registered, NULL);
}

/* The devices the seeds name, registered and committed. */
static void
fuzz_devices(void)
{
	fuzz_register("node-1", 0, "</>;rt=\"oma.lwm2m\",</1/0>,</3/0>,"
	    "</5/0>,</3303/0>;ver=1.1");
	fuzz_register("node-2", 1, "</1/0>,</3/0>,</5/0>");
	store_commit(fuzz_gw.store);
}

/* Builds and starts the gateway on an empty store; exits on failure. */
static void
fuzz_gateway_start(void)
{
	struct event_config *ec;
	size_t i, inited;

	memset(&fuzz_gw, 0, sizeof(fuzz_gw));
	config_defaults(&fuzz_gw.cfg);
	fuzz_gw.config_path = "fuzz_http";
	fuzz_gw.cfg.log_level = (int)log_get_level();
	snprintf(fuzz_gw.cfg.http_listen.host,
	    sizeof(fuzz_gw.cfg.http_listen.host), "127.0.0.1");
	if ((fuzz_gw.cfg.http_listen.port = fuzz_free_port()) == 0)
		goto fail;
	snprintf(fuzz_gw.cfg.auth_admin_token,
	    sizeof(fuzz_gw.cfg.auth_admin_token), FUZZ_ADMIN_TOKEN);
	snprintf(fuzz_gw.cfg.auth_operate_token,
	    sizeof(fuzz_gw.cfg.auth_operate_token), FUZZ_OPERATE_TOKEN);
	snprintf(fuzz_gw.cfg.auth_read_token,
	    sizeof(fuzz_gw.cfg.auth_read_token), FUZZ_READ_TOKEN);
	fuzz_gw.cfg.auth_token_rate = 0;
	fuzz_gw.cfg.auth_addr_rate = 0;
	snprintf(fuzz_gw.cfg.fw_trusted_keys,
	    sizeof(fuzz_gw.cfg.fw_trusted_keys), "%s", FUZZ_TRUSTED_KEY);
	fuzz_gw.cfg.store_map_size_mb = 64;
	fuzz_gw.cfg.fw_max_store_mb = 8;
	snprintf(fuzz_gw.cfg.store_path, sizeof(fuzz_gw.cfg.store_path),
	    "%s", fuzz_dir);
	if ((ec = event_config_new()) == NULL)
		goto fail;
	/* As main.c's gateway_base. */
	event_config_set_flag(ec, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	fuzz_gw.base = event_base_new_with_config(ec);
	event_config_free(ec);
	if (fuzz_gw.base == NULL)
		goto fail;
	fuzz_gw.started = (time_t)gw_now();
	for (inited = 0; inited < FUZZ_NMODULES; inited++)
		if (fuzz_modules[inited]->init != NULL &&
		    fuzz_modules[inited]->init(&fuzz_gw) != 0) {
			inited++;
			goto stop;
		}
	for (i = 0; i < FUZZ_NMODULES; i++)
		if (fuzz_modules[i]->start != NULL &&
		    fuzz_modules[i]->start(&fuzz_gw) == -1)
			goto stop;
	fuzz_running = 1;
	fuzz_devices();
	return;
stop:
	fprintf(stderr, "fuzz_http: %s cannot start\n",
	    fuzz_modules[inited > 0 ? inited - 1 : 0]->name);
	fuzz_gateway_stop(inited);
fail:
	fprintf(stderr, "fuzz_http: cannot build the gateway\n");
	exit(1);
}

static void
fuzz_atexit(void)
{
	if (fuzz_unconnected > 0)
		fprintf(stderr, "fuzz_http: %u of %u inputs could not connect\n",
		    fuzz_unconnected, fuzz_inputs);
	if (fuzz_running)
		fuzz_gateway_stop(FUZZ_NMODULES);
	if (fuzz_dir[0] != '\0') {
		fuzz_empty_dir();
		rmdir(fuzz_dir);
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";

	(void)argc;
	(void)argv;
	signal(SIGPIPE, SIG_IGN);
	fuzz_verbose = getenv("FUZZ_HTTP_VERBOSE") != NULL;
	log_init("fuzz_http", fuzz_verbose ? LOG_LEVEL_INFO : LOG_LEVEL_ERROR);
	/* tmpfs when there is one: the store fsyncs every commit. */
	snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/fuzz_http.XXXXXX", tmp);
	if (mkdtemp(fuzz_dir) == NULL) {
		perror("fuzz_http: mkdtemp");
		exit(1);
	}
	atexit(fuzz_atexit);
	fuzz_gateway_start();
	return 0;
}

/* A connected, non-blocking client socket to the API, or -1. */
static int
fuzz_connect(void)
{
	struct sockaddr_in sin;
	int fd;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(fuzz_gw.cfg.http_listen.port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* Loopback: the kernel completes it from the listen backlog. */
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Reads what the gateway sent and drops it: 1 when it closed the
 * connection, 0 when something came, -1 when nothing did. */
static int
fuzz_drain(int fd)
{
	char buf[16384];
	ssize_t n;
	int got = 0;

	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n == 0)
			return 1;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ?
			    (got ? 0 : -1) : 1;
		if (fuzz_verbose)
			fwrite(buf, 1, (size_t)n, stderr);
		got = 1;
	}
}

/* Runs the reactor until the gateway closes fd or stays quiet. */
static void
fuzz_run(int fd, const uint8_t *data, size_t size)
{
	size_t off = 0;
	ssize_t n;
	int turn, idle = 0, rc;

	for (turn = 0; turn < FUZZ_MAX_TURNS; turn++) {
		while (off < size && (n = send(fd, data + off, size - off,
		    MSG_NOSIGNAL)) > 0)
			off += (size_t)n;
		event_base_loop(fuzz_gw.base, EVLOOP_NONBLOCK);
		if ((rc = fuzz_drain(fd)) == 1)
			return;
		if (rc == 0) {
			idle = 0;
			continue;
		}
		/* Nothing came: let the store's batch commit, so that what
		 * waits for durability answers on the next turn. */
		store_commit(fuzz_gw.store);
		if (++idle > FUZZ_IDLE_TURNS && off == size)
			return;
	}
}

/*
 * Closes the client with a reset: neither side keeps the connection in
 * TIME_WAIT (an orderly close from this side, the active closer, left one
 * per input: the kernel's whole table of them within a minute).
 */
static void
fuzz_close(int fd)
{
	struct linger l = { 1, 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd, turn;

	if (!fuzz_running || ++fuzz_inputs % FUZZ_RESET_EVERY == 0) {
		if (fuzz_running)
			fuzz_gateway_stop(FUZZ_NMODULES);
		fuzz_empty_dir();
		fuzz_gateway_start();
	}
	if ((fd = fuzz_connect()) == -1) {
		fuzz_unconnected++;
		return 0;
	}
	fuzz_run(fd, data, size);
	fuzz_close(fd);
	/* The gateway sees the reset (streams, requests still waiting). */
	for (turn = 0; turn < 4; turn++)
		event_base_loop(fuzz_gw.base, EVLOOP_NONBLOCK);
	store_commit(fuzz_gw.store);
	fuzz_devices();
	return 0;
}
