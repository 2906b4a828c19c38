/*
 * campparse.h: what a campaign reads from a device: LwM2M Firmware Update
 * State (/5/0/3) and Update Result (/5/0/5) out of a SenML JSON read of
 * /5/0, or out of one notification of either. Pure functions over
 * untrusted input (the device's answer).
 */
#ifndef OUTPOST_CAMPPARSE_H
#define OUTPOST_CAMPPARSE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Reads the pack body[0..len) (no NUL needed). A record counts when its
 * resolved name (bn + n) ends in "/5/0/3" or "/5/0/5" ("3" or "5" under a
 * base name "/5/0/") and its "v" is a whole number in 0..255. Returns 0
 * with *state (and *result, -1 when absent), or -1 when no State is there.
 */
int	campparse_fw(const uint8_t *body, size_t len, int *state, int *result);

/*
 * One observed value: path is "5/0/3" (State) or "5/0/5" (Update Result),
 * body its value in Content-Format cf as a device notifies it: text/plain
 * (0, or -1 when the device named none: a decimal 0..255 and nothing
 * else), SenML JSON (110), SenML CBOR (112) or LwM2M TLV (11542). Sets the
 * one the body holds, and -1 for the other. Returns 0, or -1 when the body
 * holds neither (any other path or format, or a malformed body).
 */
int	campparse_value(const char *path, int cf, const uint8_t *body,
	    size_t len, int *state, int *result);

#endif /* OUTPOST_CAMPPARSE_H */
