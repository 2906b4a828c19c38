/*
 * testutil.h: what the unit tests that make a temporary store share.
 */
#ifndef OUTPOST_TESTUTIL_H
#define OUTPOST_TESTUTIL_H

#include <sys/socket.h>
#include <netinet/in.h>

#include <arpa/inet.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int
testutil_rm_entry(const char *path, const struct stat *sb, int flag,
    struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Removes dir and everything under it: 0, or -1. */
static inline int
rm_tree(const char *dir)
{
	return nftw(dir, testutil_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Makes the temporary dir /tmp/outpost-test-NAME.XXXXXX in dir (64 bytes)
 * and names the ini file a test writes there, dir/t.ini, in ini (96
 * bytes): 0, or -1. */
static inline int
tmp_ini_dir(const char *name, char dir[64], char ini[96])
{
	snprintf(dir, 64, "/tmp/outpost-test-%s.XXXXXX", name);
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(ini, 96, "%s/t.ini", dir);
	return 0;
}

/* A port on 127.0.0.1 of type (SOCK_DGRAM, SOCK_STREAM) that was free a
 * moment ago (never 0: config_parse_hostport refuses it); 0 when none. */
static inline uint16_t
free_loopback_port(int type)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, type, 0)) == -1)
		return 0;
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1)
		sin.sin_port = 0;
	close(fd);
	return ntohs(sin.sin_port);
}

#endif /* OUTPOST_TESTUTIL_H */
