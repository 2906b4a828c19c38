// fuzz-sources: node/swstate.c
// fuzz-libs: -lcjson
/*
 * fuzz_node_swstate.c: libFuzzer target for the parser of the state file
 * of /9/0 Software Management (sw_state_parse), which a crash, a full disk
 * or an editor may have left in any shape. Besides ASan and UBSan, it
 * checks swstate.h's promise: a refused file leaves the object untouched
 * and gives a reason; an accepted one holds a state the file may hold and
 * writes back to a file that parses to the same object.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "node/swstate.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sw s, back, was;
	char err[200], *text;

	memset(&s, 0x5a, sizeof(s));
	was = s;
	memset(err, 'E', sizeof(err));
	if (sw_state_parse((const char *)data, size, &s, err, sizeof(err)) ==
	    -1) {
		if (memcmp(&s, &was, sizeof(s)) != 0 ||
		    memchr(err, '\0', sizeof(err)) == NULL || err[0] == '\0')
			abort();
		return 0;
	}
	if ((s.state != SW_INITIAL && s.state != SW_DELIVERED &&
	    s.state != SW_INSTALLED) || s.active > 1 || s.op != SW_OP_NONE ||
	    s.result != 0 || s.uri[0] != '\0' ||
	    memchr(s.pkg_name, '\0', sizeof(s.pkg_name)) == NULL ||
	    memchr(s.pkg_version, '\0', sizeof(s.pkg_version)) == NULL)
		abort();
	if ((text = sw_state_json(&s)) == NULL)
		abort();
	memset(&back, 0, sizeof(back));
	if (sw_state_parse(text, strlen(text), &back, err, sizeof(err)) != 0 ||
	    back.state != s.state || back.active != s.active ||
	    strcmp(back.pkg_name, s.pkg_name) != 0 ||
	    strcmp(back.pkg_version, s.pkg_version) != 0)
		abort();
	free(text);
	return 0;
}
