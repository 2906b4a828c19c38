/*
 * dtlsdev: a device for the DTLS tests. It registers with the gateway over
 * CoAP/DTLS (PSK, X.509 or RPK), then stays on its session and answers GET
 * /3/0/0 with "dtlsdev:<ep>", as an LwM2M client would, until SIGTERM or
 * until the gateway closes the session.
 *
 *   dtlsdev URI EP [psk ID KEY | pskhex ID HEXKEY | x509 CERT KEY CA |
 *       rpk KEY] [-lt N]
 *
 * pskhex takes the key in hex: a key a bootstrap server issued is random
 * bytes, not text.
 * URI is coaps://HOST:PORT (or coap://HOST:PORT, no credential). Lines on
 * stdout, flushed: "registered rd/<id>", "refused <code>", "no answer",
 * "closed" (the gateway closed the DTLS session), "get" per request served.
 * Exit status: 0 after SIGTERM, 2 refused or no answer, 3 closed.
 *
 * Built by the test that uses it (test_dtls.py) against libcoap-3-gnutls.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <coap3/coap.h>

static volatile sig_atomic_t	quit;
static int			answered, code, closed;
static char			location[64];
static char			ep[128];

static void
on_term(int sig)
{
	(void)sig;
	quit = 1;
}

static coap_response_t
on_response(coap_session_t *s, const coap_pdu_t *sent,
    const coap_pdu_t *rcvd, const coap_mid_t mid)
{
	coap_opt_iterator_t it;
	coap_opt_t *opt;
	size_t n = 0;

	(void)s;
	(void)sent;
	(void)mid;
	code = coap_pdu_get_code(rcvd);
	coap_option_iterator_init(rcvd, &it, COAP_OPT_ALL);
	while ((opt = coap_option_next(&it)) != NULL)
		if (it.number == COAP_OPTION_LOCATION_PATH &&
		    n + coap_opt_length(opt) + 2 < sizeof(location)) {
			if (n > 0)
				location[n++] = '/';
			memcpy(location + n, coap_opt_value(opt),
			    coap_opt_length(opt));
			n += coap_opt_length(opt);
		}
	location[n] = '\0';
	answered = 1;
	return COAP_RESPONSE_OK;
}

static int
on_event(coap_session_t *s, const coap_event_t ev)
{
	(void)s;
	if (ev == COAP_EVENT_DTLS_CLOSED || ev == COAP_EVENT_DTLS_ERROR)
		closed = 1;
	return 0;
}

static void
on_get(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
    const coap_string_t *q, coap_pdu_t *resp)
{
	char body[160];
	uint8_t buf[4];

	(void)r;
	(void)s;
	(void)req;
	(void)q;
	snprintf(body, sizeof(body), "dtlsdev:%s", ep);
	coap_pdu_set_code(resp, COAP_RESPONSE_CODE_CONTENT);
	coap_add_option(resp, COAP_OPTION_CONTENT_FORMAT,
	    coap_encode_var_safe(buf, sizeof(buf), 0), buf);
	coap_add_data(resp, strlen(body), (const uint8_t *)body);
	printf("get\n");
	fflush(stdout);
}

static uint8_t *
read_file(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (fp == NULL || fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) <= 0 ||
	    fseek(fp, 0, SEEK_SET) != 0 || (buf = malloc((size_t)n + 1)) == NULL ||
	    fread(buf, 1, (size_t)n, fp) != (size_t)n) {
		perror(path);
		exit(1);
	}
	fclose(fp);
	buf[n] = '\0';
	*len = (size_t)n + 1;
	return buf;
}

static coap_session_t *
open_session(coap_context_t *ctx, coap_uri_t *uri, int argc, char **argv)
{
	coap_address_t dst;
	coap_dtls_cpsk_t psk;
	coap_dtls_pki_t pki;
	uint8_t *key;
	size_t len;
	char host[64];

	coap_address_init(&dst);
	snprintf(host, sizeof(host), "%.*s", (int)uri->host.length,
	    (const char *)uri->host.s);
	dst.addr.sin.sin_family = AF_INET;
	dst.addr.sin.sin_port = htons(uri->port);
	dst.size = sizeof(dst.addr.sin);
	if (inet_pton(AF_INET, host, &dst.addr.sin.sin_addr) != 1) {
		fprintf(stderr, "dtlsdev: host must be numeric IPv4\n");
		exit(1);
	}
	if (uri->scheme == COAP_URI_SCHEME_COAP)
		return coap_new_client_session(ctx, NULL, &dst, COAP_PROTO_UDP);
	if (argc >= 3 && (strcmp(argv[0], "psk") == 0 ||
	    strcmp(argv[0], "pskhex") == 0)) {
		memset(&psk, 0, sizeof(psk));
		psk.version = COAP_DTLS_CPSK_SETUP_VERSION;
		psk.psk_info.identity.s = (const uint8_t *)argv[1];
		psk.psk_info.identity.length = strlen(argv[1]);
		psk.psk_info.key.s = (const uint8_t *)argv[2];
		psk.psk_info.key.length = strlen(argv[2]);
		if (strcmp(argv[0], "pskhex") == 0) {
			static uint8_t bin[64];
			size_t i, n = strlen(argv[2]) / 2;
			unsigned v;

			for (i = 0; i < n && i < sizeof(bin); i++) {
				if (sscanf(argv[2] + 2 * i, "%2x", &v) != 1)
					exit(1);
				bin[i] = (uint8_t)v;
			}
			psk.psk_info.key.s = bin;
			psk.psk_info.key.length = i;
		}
		return coap_new_client_session_psk2(ctx, NULL, &dst,
		    COAP_PROTO_DTLS, &psk);
	}
	memset(&pki, 0, sizeof(pki));
	pki.version = COAP_DTLS_PKI_SETUP_VERSION;
	if (argc >= 4 && strcmp(argv[0], "x509") == 0) {
		pki.verify_peer_cert = 1;
		pki.check_common_ca = 1;
		pki.cert_chain_validation = 1;
		pki.cert_chain_verify_depth = 3;
		pki.pki_key.key_type = COAP_PKI_KEY_PEM;
		pki.pki_key.key.pem.public_cert = argv[1];
		pki.pki_key.key.pem.private_key = argv[2];
		pki.pki_key.key.pem.ca_file = argv[3];
	} else if (argc >= 2 && strcmp(argv[0], "rpk") == 0) {
		key = read_file(argv[1], &len);
		pki.is_rpk_not_cert = 1;
		pki.pki_key.key_type = COAP_PKI_KEY_PEM_BUF;
		pki.pki_key.key.pem_buf.public_cert = key;
		pki.pki_key.key.pem_buf.public_cert_len = len;
		pki.pki_key.key.pem_buf.private_key = key;
		pki.pki_key.key.pem_buf.private_key_len = len;
	} else {
		fprintf(stderr, "dtlsdev: coaps needs psk, x509 or rpk\n");
		exit(1);
	}
	return coap_new_client_session_pki(ctx, NULL, &dst, COAP_PROTO_DTLS,
	    &pki);
}

static int
do_register(coap_context_t *ctx, coap_session_t *s, const char *lt)
{
	coap_pdu_t *pdu;
	char q[200];
	uint8_t buf[4];
	static const char links[] = "</3/0>";
	int ms;

	if ((pdu = coap_new_pdu(COAP_MESSAGE_CON, COAP_REQUEST_CODE_POST,
	    s)) == NULL)
		return -1;
	coap_add_token(pdu, 2, (const uint8_t *)"rg");
	coap_add_option(pdu, COAP_OPTION_URI_PATH, 2, (const uint8_t *)"rd");
	coap_add_option(pdu, COAP_OPTION_CONTENT_FORMAT,
	    coap_encode_var_safe(buf, sizeof(buf), 40), buf);
	snprintf(q, sizeof(q), "ep=%s", ep);
	coap_add_option(pdu, COAP_OPTION_URI_QUERY, strlen(q),
	    (const uint8_t *)q);
	snprintf(q, sizeof(q), "lt=%s", lt);
	coap_add_option(pdu, COAP_OPTION_URI_QUERY, strlen(q),
	    (const uint8_t *)q);
	coap_add_option(pdu, COAP_OPTION_URI_QUERY, 9,
	    (const uint8_t *)"lwm2m=1.1");
	coap_add_data(pdu, sizeof(links) - 1, (const uint8_t *)links);
	if (coap_send(s, pdu) == COAP_INVALID_MID)
		return -1;
	for (ms = 0; !answered && !closed && !quit && ms < 10000; )
		ms += (int)coap_io_process(ctx, 200);
	return answered ? 0 : -1;
}

int
main(int argc, char **argv)
{
	coap_context_t *ctx;
	coap_session_t *s;
	coap_resource_t *r;
	coap_uri_t uri;
	const char *lt = "300";

	if (argc < 3) {
		fprintf(stderr, "usage: dtlsdev URI EP [psk ID KEY | x509 CERT "
		    "KEY CA | rpk KEY] [-lt N]\n");
		return 1;
	}
	if (argc >= 5 && strcmp(argv[argc - 2], "-lt") == 0) {
		lt = argv[argc - 1];
		argc -= 2;
	}
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	coap_startup();
	coap_set_log_level(LOG_WARNING);
	snprintf(ep, sizeof(ep), "%s", argv[2]);
	if (coap_split_uri((const uint8_t *)argv[1], strlen(argv[1]), &uri) ==
	    -1 || (ctx = coap_new_context(NULL)) == NULL)
		return 1;
	coap_context_set_block_mode(ctx, COAP_BLOCK_USE_LIBCOAP);
	coap_register_response_handler(ctx, on_response);
	coap_register_event_handler(ctx, on_event);
	r = coap_resource_init(coap_make_str_const("3/0/0"), 0);
	coap_register_request_handler(r, COAP_REQUEST_GET, on_get);
	coap_add_resource(ctx, r);
	if ((s = open_session(ctx, &uri, argc - 3, argv + 3)) == NULL) {
		fprintf(stderr, "dtlsdev: cannot open a session\n");
		return 1;
	}
	if (do_register(ctx, s, lt) == -1) {
		printf(closed ? "closed\n" : "no answer\n");
		return closed ? 3 : 2;
	}
	if (code != COAP_RESPONSE_CODE_CREATED) {
		printf("refused %d.%02d\n", code >> 5, code & 0x1f);
		return 2;
	}
	printf("registered %s\n", location);
	fflush(stdout);
	while (!quit && !closed)
		coap_io_process(ctx, 200);
	if (closed) {
		printf("closed\n");
		fflush(stdout);
	}
	coap_session_release(s);
	coap_free_context(ctx);
	coap_cleanup();
	return closed ? 3 : 0;
}
