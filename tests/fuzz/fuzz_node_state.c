// fuzz-sources: node/acctfile.c node/acct.c node/obj_security.c node/obj_server.c node/object.c node/tlv.c tz.c parse.c node/obj_device.c node/obj_conn.c node/obj_firmware.c node/obj_software.c node/obj_eventlog.c node/logring.c node/senml.c node/uri.c node/rconf.c node/nconf.c config/inifile.c hex.c log.c
// fuzz-libs: -lcbor -lcjson -linih
/*
 * fuzz_node_state.c: libFuzzer target for the parser of the node's state
 * file (acct_parse), which a crash, a full disk or an editor may have
 * left in any shape. Besides ASan and UBSan, it checks acct.h's promise:
 * a refused file leaves the account untouched and gives a reason; an
 * accepted one is a usable account that renders back to a file that
 * parses to the same account.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "node/acct.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct acct a, back, zero;
	struct acct_dm dm;
	char err[400], *text;

	memset(&a, 0, sizeof(a));
	memset(&zero, 0, sizeof(zero));
	memset(err, 'E', sizeof(err));
	if (acct_parse(&a, (const char *)data, size, "node-1", err,
	    sizeof(err)) == -1) {
		if (memcmp(&a, &zero, sizeof(a)) != 0 ||
		    memchr(err, '\0', sizeof(err)) == NULL || err[0] == '\0')
			abort();
		return 0;
	}
	if (acct_check(&a, &dm, err, sizeof(err)) != 0)
		abort();
	if ((text = acct_render(&a, "node-1")) == NULL)
		abort();
	memset(&back, 0, sizeof(back));
	if (acct_parse(&back, text, strlen(text), "node-1", err,
	    sizeof(err)) != 0 || memcmp(&a, &back, sizeof(a)) != 0)
		abort();
	acct_text_free(text);
	return 0;
}
