# Outpost: the gateway (./outpost) and, later, the node agent (./outpost-node).
# Plain GNU make. Objects go under $(B)/ so that the sanitizer build sits beside
# the normal one: `make check-asan` builds into build-asan/.

VERSION  := 0.1.0
# CROSS=aarch64-linux-gnu: Debian's cross compiler and the arm64 libraries
# through multiarch (scripts/install-cross-deps.sh); objects in build-arm64/.
ifneq ($(CROSS),)
CROSS_ARCH := $(subst aarch64,arm64,$(firstword $(subst -, ,$(CROSS))))
B        ?= build-$(CROSS_ARCH)
CC       := $(CROSS)-gcc
PKG_CONFIG := PKG_CONFIG_LIBDIR=/usr/local/lib/outpost-cross/$(CROSS)/usr/lib/$(CROSS)/pkgconfig:/usr/lib/$(CROSS)/pkgconfig:/usr/share/pkgconfig pkg-config
endif
B        ?= build
CC       ?= cc
PKG_CONFIG ?= pkg-config
PKGS     := libevent_core libevent_extra libcoap-3-gnutls wolfssl lmdb inih libcjson libcbor libxml-2.0 libmosquitto
# The gateway alone links libxml2 (lwm2m/ddf.c reads operator object
# definitions) and libmosquitto (the cloud link, cloud/); the node agent
# links the rest.
NODE_PKGS := $(filter-out libxml-2.0 libmosquitto,$(PKGS))
WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wpointer-arith -Wformat=2 -Wno-format-nonliteral
CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 -D_GNU_SOURCE -DOUTPOST_VERSION='"$(VERSION)"' -I. $(WARN)
ifneq ($(WERROR),)
CFLAGS   += -Werror
endif
ifneq ($(SAN),)
CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=address,undefined
endif

# Plain make only builds: the packages come from `make deps` (or make run,
# make test, which call it). A missing one is named here, not installed.
ifeq ($(filter deps clean,$(MAKECMDGOALS)),)
ifneq ($(shell $(PKG_CONFIG) --exists $(PKGS) 2>/dev/null && echo yes),yes)
$(warning missing development packages: run `make deps` (scripts/install-deps.sh))
endif
endif
CFLAGS   += $(shell $(PKG_CONFIG) --cflags $(PKGS))
LIBS     := $(shell $(PKG_CONFIG) --libs $(PKGS)) -lpthread -lm
NODE_LIBS := $(shell $(PKG_CONFIG) --libs $(NODE_PKGS)) -lpthread

# Everything but main(); unit tests link these too. By layer, from the
# ground up (doc/architecture.md): calls run down this list, never up.
BASE_SRC := log.c hex.c base64.c parse.c tz.c notify.c gateway.c config/config.c config/inifile.c \
            config/cloudcfg.c
LWM2M_SRC := lwm2m/lwm2m.c lwm2m/senml.c lwm2m/senml_typed.c lwm2m/senml_tlv.c \
            lwm2m/senml_cbor.c lwm2m/senml_dec.c \
            lwm2m/senml_encfmt.c lwm2m/senml_enc.c \
            lwm2m/cborscan.c \
            lwm2m/manifest.c lwm2m/campparse.c lwm2m/coapmap.c lwm2m/tagparse.c \
            lwm2m/block1.c \
            lwm2m/objmodel.c lwm2m/ddf.c lwm2m/dmparse.c lwm2m/bsmsg.c \
            lwm2m/senml_split.c lwm2m/numvals.c \
            lwm2m/jobparse.c lwm2m/jobjson.c lwm2m/jobreq.c lwm2m/jobstep.c \
            lwm2m/jobbody.c lwm2m/jobprint.c lwm2m/jobrisk.c \
            lwm2m/alarmparse.c lwm2m/devlog.c
STORE_SRC := store/store.c
CACHE_SRC := cache/cache.c cache/events.c cache/observe.c cache/outbox.c
DEVICE_SRC := modules/device/registry.c modules/device/queue.c \
            modules/device/cred.c modules/device/credparse.c \
            modules/device/tags.c modules/device/models.c \
            modules/device/bootstrap.c modules/device/bsparse.c \
            modules/device/guard.c modules/device/regformat.c \
            modules/device/devlog.c
FIRMWARE_SRC := modules/firmware/firmware.c modules/firmware/campaign.c \
            modules/firmware/campstore.c modules/firmware/camptarget.c
HEALTH_SRC := modules/health/history.c modules/health/histsweep.c \
            modules/health/histrec.c \
            modules/health/histquery.c modules/health/alarm.c \
            modules/health/alarmrec.c modules/health/alarmpush.c \
            modules/health/alarmrule.c
JOBS_SRC := modules/jobs/job.c modules/jobs/jobdev.c modules/jobs/jobstore.c \
            modules/jobs/jobtarget.c
COAP_SRC := modules/coap/coap.c modules/coap/rd.c modules/coap/send.c \
            modules/coap/fwserve.c modules/coap/devreq.c modules/coap/dtls.c \
            modules/coap/face.c modules/coap/bsserve.c \
            modules/coap/rng.c modules/coap/rdblock.c
PROXY_SRC := proxy/http.c proxy/conn.c proxy/router.c proxy/api.c proxy/auth.c proxy/tokens.c \
            proxy/tls.c proxy/forward.c proxy/ops.c proxy/provision.c \
            proxy/tagapi.c proxy/bsapi.c proxy/fwapi.c proxy/crange.c proxy/campapi.c \
            proxy/objapi.c proxy/jobapi.c proxy/alarmapi.c proxy/logapi.c \
            proxy/histapi.c proxy/histparam.c \
            proxy/stream.c proxy/obsapi.c proxy/metrics.c proxy/webhook.c proxy/whparse.c proxy/headscan.c \
            proxy/uiapi.c
CLOUD_SRC := cloud/cloud.c cloud/link.c cloud/envelope.c
CORE_SRC := $(BASE_SRC) $(LWM2M_SRC) $(STORE_SRC) $(CACHE_SRC) $(DEVICE_SRC) \
            $(FIRMWARE_SRC) $(HEALTH_SRC) $(JOBS_SRC) $(COAP_SRC) $(PROXY_SRC) \
            $(CLOUD_SRC)
# The domain and what it stands on, without either face: the domain's
# unit tests (tests/unit/test_dom_*.c) link these alone.
DOMAIN_SRC := $(BASE_SRC) $(LWM2M_SRC) $(STORE_SRC) $(CACHE_SRC) \
            $(DEVICE_SRC) $(FIRMWARE_SRC) $(HEALTH_SRC) $(JOBS_SRC)
DOMAIN_OBJ := $(DOMAIN_SRC:%.c=$(B)/%.o)
GW_SRC   := main.c modules/firmware/fwtool.c $(CORE_SRC)
# The console (proxy/uiapi.c serves it at /ui/): ui/ and Debian's
# Chart.js (libjs-chart.js), built into the binary as $(B)/uifiles.c.
CHARTJS  ?= /usr/share/javascript/chart.js/chart.min.js
UI_FILES := $(wildcard ui/*.html ui/*.js ui/*.css)
CORE_OBJ := $(CORE_SRC:%.c=$(B)/%.o) $(B)/uifiles.o
GW_OBJ   := $(GW_SRC:%.c=$(B)/%.o) $(B)/uifiles.o
OUTPOST  := $(if $(filter build,$(B)),outpost,$(B)/outpost)

# The node agent: node/main.c has its main(); node unit tests link the rest.
NODE_CORE_SRC := $(filter-out node/main.c,$(wildcard node/*.c)) log.c hex.c notify.c tz.c parse.c \
                 config/inifile.c lwm2m/manifest.c lwm2m/cborscan.c
NODE_CORE_OBJ := $(NODE_CORE_SRC:%.c=$(B)/%.o)
NODE     := $(if $(filter build,$(B)),outpost-node,$(B)/outpost-node)
NODE_BIN := $(if $(wildcard node/main.c),$(NODE))

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
# make fuzz FUZZ=http: only tests/fuzz/fuzz_http.c.
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_$(or $(FUZZ),*).c)
FUZZ_TIME ?= 20
PYTEST   := /usr/bin/python3 -m pytest

.PHONY: all run test unit integration check-asan fuzz bench clean deps
all: $(OUTPOST) $(NODE_BIN)

deps:
	@scripts/install-deps.sh

$(OUTPOST): $(GW_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

# The agent links libcoap with GnuTLS for coaps gateways (DTLS PSK): an
# idle agent's RssAnon goes from ~310 to ~720 kB, its RSS from ~3.1 to
# ~5.7 MiB (GnuTLS's shared pages), with or without DTLS in use.

$(NODE): $(B)/node/main.o $(NODE_CORE_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(NODE_LIBS)

$(B)/uifiles.c: scripts/embed.sh $(UI_FILES) $(CHARTJS)
	@mkdir -p $(dir $@)
	scripts/embed.sh $@ $(foreach f,$(UI_FILES),$(notdir $(f))=$(f)) \
	    chart.js=$(CHARTJS)

$(B)/uifiles.o: $(B)/uifiles.c
	$(CC) $(CFLAGS) -c -o $@ $<

# Each object depends on the headers it includes: the compiler writes them
# down (-MMD) beside the object, and the next make reads them.
$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

-include $(shell find $(B) -name '*.d' 2>/dev/null)

$(B)/tests/test_node_%: tests/unit/test_node_%.c $(NODE_CORE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(NODE_LIBS) $(shell pkg-config --libs cmocka)

$(B)/tests/test_dom_%: tests/unit/test_dom_%.c $(DOMAIN_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS) $(shell pkg-config --libs cmocka)

$(B)/bench/alarmbench: tests/bench/alarmbench.c $(DOMAIN_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(B)/tests/test_%: tests/unit/test_%.c $(CORE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS) $(shell pkg-config --libs cmocka)

# run, test and bench install what is missing first (make deps), then
# build in a fresh make that sees the packages.
# make run [PORT=8080] [COAP_PORT=5683]: the example config, on other ports
# when they are taken (COAP_PORT+1 is DTLS), through data/run.ini.
PORT      ?= 8080
COAP_PORT ?= 5683
run: deps
	@$(MAKE) --no-print-directory all
	@mkdir -p data
	@sed -e 's/^listen = 127.0.0.1:8080$$/listen = 127.0.0.1:$(PORT)/' \
	    -e 's/^listen = 127.0.0.1:5683$$/listen = 127.0.0.1:$(COAP_PORT)/' \
	    -e 's/^secure_listen = 127.0.0.1:5684$$/secure_listen = 127.0.0.1:$(shell echo $$(($(COAP_PORT) + 1)))/' \
	    gateway.ini.example > data/run.ini
	./$(OUTPOST) -c data/run.ini

unit: $(UNIT_BIN)
	@fail=0; for t in $(UNIT_BIN); do echo "== $$t"; $$t || fail=1; done; \
	exit $$fail

# The arm64 build (CROSS, objects in $(B)-arm64/) that the integration tests
# run under qemu-user; not under the sanitizers, which do not cross.
ARM_B    := $(B)-arm64
.PHONY: arm64
arm64:
	@scripts/install-deps.sh arm64
	$(MAKE) --no-print-directory CROSS=aarch64-linux-gnu B=$(ARM_B) SAN= all

# The console's browser tests leave a screenshot of each page in
# $(B)/shots (OUTPOST_SHOTS), the run's artifacts.
integration: $(OUTPOST) $(NODE_BIN) $(if $(SAN),,arm64)
	mkdir -p $(B)/shots
	OUTPOST_BIN=$(abspath $(OUTPOST)) NODE_BIN=$(abspath $(NODE)) \
	    OUTPOST_SHOTS=$${OUTPOST_SHOTS:-$(abspath $(B))/shots} \
	    $(if $(SAN),,ARM64_DIR=$(abspath $(ARM_B))) $(PYTEST) -q tests/integration

test: deps
	$(MAKE) unit integration

check-asan:
	$(MAKE) B=build-asan SAN=1 test

# libFuzzer targets: each fuzz_X.c names the sources it needs in a
# "// fuzz-sources:" line (@CORE_SRC@: all of the gateway but main.c)
# and any libraries in a "// fuzz-libs:" line.
fuzz: deps $(B)/uifiles.c
	@mkdir -p $(B)/fuzz
	@for f in $(FUZZ_SRC); do \
	  n=$$(basename $$f .c); srcs=$$(sed -n -e 's|@CORE_SRC@|$(CORE_SRC) $(B)/uifiles.c|' \
	      -e 's|^// fuzz-sources: ||p' $$f); \
	  libs=$$(sed -n 's|^// fuzz-libs: ||p' $$f); \
	  echo "== $$n ($(FUZZ_TIME)s)"; \
	  clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 -D_GNU_SOURCE -I. \
	    -DOUTPOST_VERSION='"$(VERSION)"' $(shell $(PKG_CONFIG) --cflags $(PKGS)) \
	    -o $(B)/fuzz/$$n $$f $$srcs $$libs || exit 1; \
	  mkdir -p $(B)/fuzz/$$n.corpus; \
	  if ! $(B)/fuzz/$$n -max_total_time=$(FUZZ_TIME) -max_len=4096 \
	      -artifact_prefix=$(B)/fuzz/$$n- $(B)/fuzz/$$n.corpus \
	      tests/fuzz/corpus/$$n >$(B)/fuzz/$$n.log 2>&1; then \
	    tail -40 $(B)/fuzz/$$n.log; exit 1; fi; \
	  tail -1 $(B)/fuzz/$$n.log; \
	done

# Each script prints its figures and appends its table rows (lib.sh's
# bench_row) to $(B)/bench/table.tsv; the table is printed at the end.
bench: export BENCH_TABLE = $(abspath $(B))/bench/table.tsv
bench: deps
	@$(MAKE) --no-print-directory all
	@mkdir -p $(B)/bench && : > $(B)/bench/table.tsv
	tests/bench/run.sh $(abspath $(OUTPOST))
	tests/bench/dtls.sh $(abspath $(OUTPOST))
	tests/bench/flat.sh $(abspath $(OUTPOST)) $(abspath $(NODE))
	tests/bench/tls.sh $(abspath $(OUTPOST))
	tests/bench/jobs.sh $(abspath $(OUTPOST)) $(abspath $(NODE))
	tests/bench/history.sh $(abspath $(OUTPOST)) $(abspath $(NODE))
	tests/bench/console.sh $(abspath $(OUTPOST)) $(abspath $(NODE))
	@if [ -x tests/bench/node.sh ]; then \
	    tests/bench/node.sh $(abspath $(NODE)) $(abspath $(OUTPOST)); fi
	@if [ -x tests/bench/proxy.sh ]; then \
	    tests/bench/proxy.sh $(abspath $(OUTPOST)) $(abspath $(NODE)); fi
	@if [ -x tests/bench/cache.sh ]; then \
	    tests/bench/cache.sh $(abspath $(OUTPOST)) $(abspath $(NODE)); fi
	tests/bench/fw.sh $(abspath $(OUTPOST)) $(abspath $(NODE))
	tests/bench/cloud.sh $(abspath $(OUTPOST)) $(abspath $(NODE)) $(abspath $(B))
	@$(MAKE) --no-print-directory $(B)/bench/alarmbench
	tests/bench/alarm.sh $(abspath $(B)/bench/alarmbench)
	$(MAKE) --no-print-directory arm64 && tests/bench/arm64.sh $(abspath $(ARM_B))
	@tests/bench/table.sh $(B)/bench/table.tsv

# make install [PREFIX=/usr/local] [DESTDIR=]: binaries, man pages, examples,
# systemd units and their sysusers.d file. SYSCONFDIR/outpost/gateway.ini and
# node.ini are copied from the examples only when they do not exist yet.
PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
DOCDIR   ?= $(PREFIX)/share/doc/outpost
UNITDIR  ?= $(PREFIX)/lib/systemd/system
USERSDIR ?= $(PREFIX)/lib/sysusers.d
SYSCONFDIR ?= /etc
MAN5     := doc/gateway.ini.5
MAN8     := doc/outpost.8 doc/outpost-node.8
UNITS    := outpost.service outpost-node.service
.PHONY: install uninstall

install: $(OUTPOST) $(NODE_BIN)
	install -d $(addprefix $(DESTDIR),$(BINDIR) $(MANDIR)/man5 \
	    $(MANDIR)/man8 $(DOCDIR)/examples $(UNITDIR) $(USERSDIR) \
	    $(SYSCONFDIR)/outpost)
	install -m 755 $(OUTPOST) $(NODE) $(DESTDIR)$(BINDIR)/
	install -m 644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/
	install -m 644 $(MAN8) $(DESTDIR)$(MANDIR)/man8/
	install -m 644 README.md $(DESTDIR)$(DOCDIR)/
	install -m 644 gateway.ini.example node.ini.example \
	    $(DESTDIR)$(DOCDIR)/examples/
	for u in $(UNITS); do \
	    sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	        scripts/systemd/$$u.in >$(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	    chmod 644 $(DESTDIR)$(UNITDIR)/$$u; done
	install -m 644 scripts/systemd/outpost.sysusers \
	    $(DESTDIR)$(USERSDIR)/outpost.conf
	for f in gateway node; do t=$(DESTDIR)$(SYSCONFDIR)/outpost/$$f.ini; \
	    [ -e $$t ] || install -m 644 $$f.ini.example $$t || exit 1; done

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/outpost $(DESTDIR)$(BINDIR)/outpost-node \
	    $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(MAN5))) \
	    $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(MAN8))) \
	    $(addprefix $(DESTDIR)$(UNITDIR)/,$(UNITS)) \
	    $(DESTDIR)$(USERSDIR)/outpost.conf
	rm -rf $(DESTDIR)$(DOCDIR)

clean:
	rm -rf build build-asan outpost outpost-node
