/*
 * reply.c: what the CoAP handlers of a device's resources share (res.c,
 * bsres.c, compres.c): a request's body and its uint options, a reply's
 * code from a result (the one place results become CoAP codes) or its
 * content, and the wake a request gives a device in queue mode.
 */
#include <stdlib.h>
#include <string.h>

#include "node/coap.h"

/* Sets a response's code and, for errors, the reason as a diagnostic
 * payload (RFC 7252 5.5.2). The one place results become codes. */
void
reply_result(coap_pdu_t *resp, enum node_result res, const char *diag)
{
	static const coap_pdu_code_t codes[] = {
		[NODE_OK] = COAP_RESPONSE_CODE_CHANGED,
		[NODE_BAD_REQUEST] = COAP_RESPONSE_CODE_BAD_REQUEST,
		[NODE_UNAUTHORIZED] = COAP_RESPONSE_CODE_UNAUTHORIZED,
		[NODE_NOT_FOUND] = COAP_RESPONSE_CODE_NOT_FOUND,
		[NODE_NOT_ALLOWED] = COAP_RESPONSE_CODE_NOT_ALLOWED,
		[NODE_NOT_ACCEPTABLE] = COAP_RESPONSE_CODE_NOT_ACCEPTABLE,
		[NODE_TOO_LARGE] = COAP_RESPONSE_CODE_REQUEST_TOO_LARGE,
		[NODE_BAD_FORMAT] =
		    COAP_RESPONSE_CODE_UNSUPPORTED_CONTENT_FORMAT,
		[NODE_INTERNAL] = COAP_RESPONSE_CODE_INTERNAL_ERROR,
		[NODE_UNAVAILABLE] = COAP_RESPONSE_CODE_SERVICE_UNAVAILABLE,
	};

	coap_pdu_set_code(resp, codes[res]);
	if (res != NODE_OK && diag != NULL && diag[0] != '\0')
		coap_add_data(resp, strlen(diag), (const uint8_t *)diag);
}

/* The value of a uint option of req, or -1 when absent. */
int
reply_uint_option(const coap_pdu_t *req, coap_option_num_t number)
{
	coap_opt_iterator_t it;
	coap_opt_t *opt;

	if ((opt = coap_check_option(req, number, &it)) == NULL)
		return -1;
	if (coap_opt_length(opt) > 2)
		return 0x10000;		/* no format of ours */
	return (int)coap_decode_var_bytes(coap_opt_value(opt),
	    coap_opt_length(opt));
}

static void
reply_release(coap_session_t *s, void *data)
{
	(void)s;
	free(data);
}

/* Answers 2.05 with text (malloc'd, taken over) in content format cf. */
void
reply_content(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
    coap_pdu_t *resp, const coap_string_t *query, uint16_t cf, char *text)
{
	if (text == NULL) {
		reply_result(resp, NODE_INTERNAL, "out of memory");
		return;
	}
	coap_pdu_set_code(resp, COAP_RESPONSE_CODE_CONTENT);
	/* libcoap leaves out a format of 0 */
	if (cf == COAP_MEDIATYPE_TEXT_PLAIN)
		coap_add_option(resp, COAP_OPTION_CONTENT_FORMAT, 0, NULL);
	coap_add_data_large_response(r, s, req, resp, query, cf, -1, 0,
	    strlen(text), (const uint8_t *)text, reply_release, text);
}

/* A request was answered: queue mode stays awake a while longer. */
void
reply_activity(struct node_dev *d)
{
	if (d->node->params.queue)
		reg_activity(&d->reg, node_now_ms());
}

/* The whole body of a request (libcoap assembles block-wise ones). */
void
reply_body(const coap_pdu_t *req, const uint8_t **data, size_t *len)
{
	size_t offset, total;

	if (!coap_get_data_large(req, len, data, &offset, &total)) {
		*data = (const uint8_t *)"";
		*len = 0;
	}
}

int
reply_attrs(const coap_pdu_t *req, struct attr *a, char *err, size_t errlen)
{
	coap_opt_iterator_t it;
	coap_opt_t *opt;

	memset(a, 0, sizeof(*a));
	coap_option_iterator_init(req, &it, COAP_OPT_ALL);
	while ((opt = coap_option_next(&it)) != NULL)
		if (it.number == COAP_OPTION_URI_QUERY &&
		    attr_parse(a, coap_opt_value(opt), coap_opt_length(opt),
		    err, errlen) == -1)
			return -1;
	return 0;
}
