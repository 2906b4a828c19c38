/*
 * fwtool.h: the firmware subcommands of the outpost binary (keygen, sign).
 */
#ifndef OUTPOST_FWTOOL_H
#define OUTPOST_FWTOOL_H

/* Runs the subcommand named by argv[0] and returns its exit status, or
 * -1 when argv[0] names none (the caller goes on as the gateway). */
int	fwtool_main(int argc, char *argv[]);

#endif /* OUTPOST_FWTOOL_H */
