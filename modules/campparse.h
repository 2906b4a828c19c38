/*
 * campparse.h: what a campaign reads from a device: LwM2M Firmware Update
 * State (/5/0/3) and Update Result (/5/0/5) out of a SenML JSON read of
 * /5/0. A pure function over untrusted input (the device's answer).
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

#endif /* OUTPOST_CAMPPARSE_H */
