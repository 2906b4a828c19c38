/*
 * test_node_watch.c: unit test for session.c's watch of a libcoap context.
 * libcoap 4.3.1 may leave its timerfd disarmed while a retransmission is
 * due; the watch's reactor timer must bring that retransmission anyway.
 * Here libcoap's epoll fd is not on the reactor at all, so only the watch
 * can run the context's I/O: a confirmable request to a UDP socket that
 * never answers must be sent again (ACK_TIMEOUT, 2 s to 3 s), and a
 * context with nothing due must arm no timer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "node/coap.h"
#include "tests/unit/testutil.h"

struct fixture {
	struct event_base	*base;
	coap_context_t		*ctx;
	struct event		*io_ev;		/* on a pipe that stays quiet */
	int			 pipefd[2];
	int			 silent;	/* the peer: reads, never answers */
	int			 runs;		/* the I/O event ran */
};

static void
io_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fixture *f = arg;

	(void)fd;
	(void)what;
	f->runs++;
	coap_io_process(f->ctx, COAP_IO_NO_WAIT);
}

static int
setup(void **state)
{
	static struct fixture f;

	memset(&f, 0, sizeof(f));
	coap_startup();
	coap_set_log_level(LOG_EMERG);
	assert_non_null(f.base = event_base_new());
	assert_non_null(f.ctx = coap_new_context(NULL));
	assert_int_equal(pipe(f.pipefd), 0);
	assert_non_null(f.io_ev = event_new(f.base, f.pipefd[0],
	    EV_READ | EV_PERSIST, io_cb, &f));
	assert_int_equal(event_add(f.io_ev, NULL), 0);
	assert_int_equal(session_watch(f.base, f.ctx, f.io_ev), 0);
	*state = &f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	session_unwatch(f->ctx);
	coap_free_context(f->ctx);
	event_free(f->io_ev);
	event_base_free(f->base);
	close(f->pipefd[0]);
	close(f->pipefd[1]);
	if (f->silent > 0)
		close(f->silent);
	return 0;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Datagrams the silent peer got within ms, the reactor running. */
static int
heard(struct fixture *f, int want, int ms)
{
	struct pollfd p = { f->silent, POLLIN, 0 };
	int64_t end = now_ms() + ms;
	uint8_t buf[256];
	int n = 0;

	while (n < want && now_ms() < end) {
		event_base_loop(f->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		if (poll(&p, 1, 10) == 1 && recv(f->silent, buf, sizeof(buf),
		    0) > 0)
			n++;
	}
	return n;
}

static void
test_due_retransmission_runs(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_in sin;
	coap_address_t dst;
	coap_session_t *s;
	coap_pdu_t *pdu;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_not_equal(f->silent = socket(AF_INET, SOCK_DGRAM, 0), -1);
	assert_int_equal(bind(f->silent, (struct sockaddr *)&sin,
	    sizeof(sin)), 0);
	coap_address_init(&dst);
	dst.size = sizeof(dst.addr.sin);
	assert_int_equal(getsockname(f->silent, &dst.addr.sa, &dst.size), 0);

	/* Nothing due: no timer, nothing runs. */
	coap_io_process(f->ctx, COAP_IO_NO_WAIT);
	f->runs = 0;
	assert_int_equal(heard(f, 1, 300), 0);
	assert_int_equal(f->runs, 0);

	assert_non_null(s = coap_new_client_session(f->ctx, NULL, &dst,
	    COAP_PROTO_UDP));
	assert_non_null(pdu = coap_new_pdu(COAP_MESSAGE_CON,
	    COAP_REQUEST_CODE_GET, s));
	assert_int_not_equal(coap_send(s, pdu), COAP_INVALID_MID);
	coap_io_process(f->ctx, COAP_IO_NO_WAIT);	/* the walk: armed */
	assert_int_equal(heard(f, 1, 1000), 1);		/* the first */
	/* Sent again by the watch's timer alone (ACK_TIMEOUT * 1.5 at
	 * most, and a margin). */
	assert_int_equal(heard(f, 1, 5000), 1);
	assert_true(f->runs >= 1);
	coap_session_release(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_due_retransmission_runs,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
