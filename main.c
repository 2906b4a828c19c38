/*
 * main.c: main. Options, config, the module table, the reactor, signals.
 */
#include <sys/prctl.h>

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "gateway.h"
#include "log.h"
#include "notify.h"
#include "modules/coap/face.h"
#include "modules/firmware/firmware.h"
#include "modules/firmware/fwtool.h"
#include "modules/device/models.h"
#include "modules/health/alarm.h"
#include "modules/health/history.h"
#include "store/store.h"
#include "proxy/http.h"

/* In start order; stopped in reverse. */
static const struct gw_module *const modules[] = {
	&models_module,		/* first: a broken object file stops the start */
	&store_module,
	&firmware_module,	/* before coap: it serves the images */
	&registry_module,
	&queue_module,
	&devlog_module,		/* after queue: it listens to it */
	&bootstrap_module,	/* before coap: its runs end with the sessions */
	&cache_module,
	&observe_module,
	&webhook_module,
	&stream_module,
	&coap_module,
	&http_module,
	&forward_module,	/* the proxy's groups of identical GETs */
	&campaign_module,	/* after queue and firmware: it uses both */
	&history_module,	/* after cache and observe: it listens */
	&job_module,		/* after queue, observe and firmware */
	&alarm_module,		/* after cache, observe, queue and jobs */
	&cloud_module,		/* last: it hears every event, and asks the
				   HTTP face's internal server */
};
#define NMODULES (sizeof(modules) / sizeof(modules[0]))

/*
 * The event base. epoll's changelist folds the interest changes one loop
 * turn makes on an fd into one epoll_ctl: evhttp turns reading off and
 * writing on and back for every request on a keep-alive connection.
 */
static struct event_base *
gateway_base(void)
{
	struct event_config *ec;
	struct event_base *base;

	if ((ec = event_config_new()) == NULL)
		return NULL;
	event_config_set_flag(ec, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	base = event_base_new_with_config(ec);
	event_config_free(ec);
	return base;
}

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: outpost [-nv] [-c file]\n"
	    "       outpost keygen PREFIX\n"
	    "       outpost sign --key PREFIX.key --vendor V --class C "
	    "--version X --seq N IMAGE\n"
	    "  -c, --config FILE  read FILE (default gateway.ini)\n"
	    "  -n, --check        check the configuration and exit\n"
	    "  -v, --verbose      log debug messages\n"
	    "  -V, --version      print the version and exit\n"
	    "  -h, --help         print this help and exit\n"
	    "Signals: SIGHUP reloads the configuration; SIGTERM or SIGINT "
	    "stop.\n");
}

/* SIGHUP: parse into a fresh config, validate, swap; keep the old one if
 * the file is bad. */
static void
gateway_reload(evutil_socket_t sig, short what, void *arg)
{
	struct gateway *gw = arg;
	struct gw_config fresh, old;
	char err[8192];
	size_t i;
	int refused = 0;

	(void)sig;
	(void)what;
	notify_reloading();
	if (config_load(&fresh, gw->config_path, err, sizeof(err)) == -1) {
		log_lines(LOG_LEVEL_WARN, "reload failed, keeping the running "
		    "configuration: ", err);
		notify_send("READY=1\nSTATUS=reload failed, running on the "
		    "previous configuration");
		return;
	}
	for (i = 0; i < NMODULES; i++)
		if (modules[i]->check != NULL &&
		    modules[i]->check(gw, &fresh, err, sizeof(err)) == -1) {
			log_warnx("reload refused, keeping the running "
			    "configuration: %s: %s", gw->config_path, err);
			refused = 1;	/* each reason is said */
		}
	if (refused) {
		explicit_bzero(&fresh, sizeof(fresh));
		notify_send("READY=1\nSTATUS=reload refused, running on the "
		    "previous configuration");
		return;
	}
	config_keep_restart_keys(&fresh, &gw->cfg);
	old = gw->cfg;
	gw->cfg = fresh;
	log_set_level((enum log_level)gw->cfg.log_level);
	for (i = 0; i < NMODULES; i++)
		if (modules[i]->reload != NULL)
			modules[i]->reload(gw, &old);
	explicit_bzero(&old, sizeof(old));	/* its tokens */
	explicit_bzero(&fresh, sizeof(fresh));
	log_info("configuration reloaded from %s", gw->config_path);
	notify_send("READY=1\nSTATUS=configuration reloaded");
}

static void
gateway_stop_cb(evutil_socket_t sig, short what, void *arg)
{
	struct gateway *gw = arg;

	(void)what;
	log_info("signal %d: stopping", (int)sig);
	notify_send("STOPPING=1");
	event_base_loopbreak(gw->base);
}

static void
gateway_stop(struct gateway *gw, size_t started)
{
	gw->stopping = 1;
	while (started-- > 0) {
		if (modules[started]->stop != NULL)
			modules[started]->stop(gw);
		if (gw->store != NULL)
			store_commit(gw->store);
	}
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct gateway *gw;
	struct event *ev_hup, *ev_term, *ev_int, *ev_dog;
	char err[8192];
	int ch, check = 0, verbose = 0, rc, exitcode = 1;
	size_t i, inited;

	if (argc > 1 && (ch = fwtool_main(argc - 1, argv + 1)) != -1)
		return ch;	/* outpost keygen | sign */
	/* No core dump, and no ptrace by others of its uid: its memory
	 * holds the API tokens and the devices' pre-shared keys. */
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* All state, tokens and keys of the configuration with it, in
	 * memory left out of core dumps (gateway.c). */
	if ((gw = gw_secret_alloc(sizeof(*gw))) == NULL)
		fatal("cannot allocate the gateway's state");
	gw->config_path = "gateway.ini";
	while ((ch = getopt_long(argc, argv, "c:nvVh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			gw->config_path = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'V':
			printf("outpost %s\n", OUTPOST_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	log_init("outpost", LOG_LEVEL_INFO);
	if (config_load(&gw->cfg, gw->config_path, err, sizeof(err)) == -1) {
		log_lines(LOG_LEVEL_ERROR, "", err);
		return 1;
	}
	if (check) {
		/* What the start would refuse: the listeners, and every file
		 * it reads (certificates, keys, tokens, trusted keys). */
		if (http_check_config(&gw->cfg, err, sizeof(err)) == -1 ||
		    http_check_files(&gw->cfg, err, sizeof(err)) == -1 ||
		    coap_check_config(&gw->cfg, err, sizeof(err)) == -1 ||
		    firmware_check_config(&gw->cfg, err, sizeof(err)) == -1) {
			log_errx("%s: %s", gw->config_path, err);
			return 1;
		}
		/* The object files: exit 78 (EX_CONFIG), as at start. */
		if (models_check_config(&gw->cfg, err, sizeof(err)) == -1) {
			log_errx("%s: %s", gw->config_path, err);
			return GW_EX_CONFIG;
		}
		printf("configuration OK\n");
		return 0;
	}
	log_set_level(verbose ? LOG_LEVEL_DEBUG :
	    (enum log_level)gw->cfg.log_level);
	signal(SIGPIPE, SIG_IGN);

	if ((gw->base = gateway_base()) == NULL)
		fatalx("cannot create the event base");
	gw->started = (time_t)gw_now();
	for (inited = 0; inited < NMODULES; inited++) {
		if (modules[inited]->init != NULL &&
		    (rc = modules[inited]->init(gw)) != 0) {
			log_errx("%s: cannot start", modules[inited]->name);
			exitcode = rc > 0 ? rc : 1;
			inited++;	/* its stop frees what init got */
			goto fail;
		}
	}
	for (i = 0; i < NMODULES; i++) {
		if (modules[i]->start != NULL && modules[i]->start(gw) == -1) {
			log_errx("%s: cannot start", modules[i]->name);
			goto fail;
		}
	}
	ev_hup = evsignal_new(gw->base, SIGHUP, gateway_reload, gw);
	ev_term = evsignal_new(gw->base, SIGTERM, gateway_stop_cb, gw);
	ev_int = evsignal_new(gw->base, SIGINT, gateway_stop_cb, gw);
	if (ev_hup == NULL || ev_term == NULL || ev_int == NULL ||
	    evsignal_add(ev_hup, NULL) == -1 ||
	    evsignal_add(ev_term, NULL) == -1 ||
	    evsignal_add(ev_int, NULL) == -1)
		fatalx("cannot install signal handlers");
	log_info("outpost %s started", OUTPOST_VERSION);
	notify_send("READY=1\nSTATUS=listening");	/* listeners and store up */
	ev_dog = notify_watchdog(gw->base);		/* WatchdogSec= */

	event_base_dispatch(gw->base);

	notify_watchdog_stop(ev_dog);
	event_free(ev_hup);
	event_free(ev_term);
	event_free(ev_int);
	gateway_stop(gw, NMODULES);
	event_base_free(gw->base);
	log_info("stopped");
	gw_secret_free(gw, sizeof(*gw));
	return 0;
fail:
	gateway_stop(gw, inited);
	event_base_free(gw->base);
	return exitcode;
}
