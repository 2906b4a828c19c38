/*
 * fwtool.c: the operator's firmware subcommands of the outpost binary:
 *
 *   outpost keygen PREFIX
 *	writes PREFIX.key (the private seed, 64 hex characters, mode 0600)
 *	and PREFIX.pub (the public key, 64 hex characters); refuses to
 *	overwrite either.
 *   outpost sign --key PREFIX.key --vendor V --class C --version X --seq N
 *	[--severity low|normal|critical] [--uri URI] IMAGE
 *	hashes IMAGE and writes the signed manifest to IMAGE.manifest. The
 *	URI defaults to "/fw/ID", the path the gateway serves the image at.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hex.h"
#include "modules/firmware/fwtool.h"
#include "lwm2m/manifest.h"

/* Writes text to path, created with mode, failing if it exists. */
static int
fwtool_write_new(const char *path, const char *text, mode_t mode)
{
	size_t len = strlen(text);
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode)) == -1) {
		fprintf(stderr, "outpost: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) == -1) {
		fprintf(stderr, "outpost: %s: %s\n", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	return close(fd);
}

static int
fwtool_keygen(int argc, char *argv[])
{
	uint8_t seed[FW_KEY_LEN], pub[FW_KEY_LEN];
	char hex[2 * FW_KEY_LEN + 2], path[4096];

	if (argc != 2) {
		fprintf(stderr, "usage: outpost keygen PREFIX\n");
		return 1;
	}
	if (fw_keypair_new(seed, pub) == -1) {
		fprintf(stderr, "outpost: keygen: cannot create a key\n");
		return 1;
	}
	hex_encode(seed, FW_KEY_LEN, hex);
	strcat(hex, "\n");
	snprintf(path, sizeof(path), "%s.key", argv[1]);
	if (fwtool_write_new(path, hex, 0600) == -1)
		return 1;
	explicit_bzero(seed, sizeof(seed));
	explicit_bzero(hex, sizeof(hex));
	hex_encode(pub, FW_KEY_LEN, hex);
	strcat(hex, "\n");
	snprintf(path, sizeof(path), "%s.pub", argv[1]);
	if (fwtool_write_new(path, hex, 0644) == -1)
		return 1;
	printf("%s", hex);
	return 0;
}

/* Reads the private seed from a .key file. */
static int
fwtool_read_key(const char *path, uint8_t seed[FW_KEY_LEN])
{
	char buf[2 * FW_KEY_LEN + 8];
	size_t n;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL) {
		fprintf(stderr, "outpost: %s: %s\n", path, strerror(errno));
		return -1;
	}
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	if (fw_hex_decode(buf, n, seed, FW_KEY_LEN) == -1) {
		fprintf(stderr, "outpost: %s: not a key written by outpost "
		    "keygen\n", path);
		return -1;
	}
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

/* SHA-256 and size of the file at path, read in pieces. */
static int
fwtool_hash_file(const char *path, uint8_t digest[FW_DIGEST_LEN],
    uint64_t *size)
{
	struct fw_sha256 h;
	uint8_t buf[65536];
	size_t n;
	FILE *fp;

	if ((fp = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "outpost: %s: %s\n", path, strerror(errno));
		return -1;
	}
	*size = 0;
	fw_sha256_init(&h);
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0) {
		fw_sha256_update(&h, buf, n);
		*size += n;
	}
	if (ferror(fp)) {
		fprintf(stderr, "outpost: %s: read error\n", path);
		fclose(fp);
		return -1;
	}
	fclose(fp);
	return fw_sha256_final(&h, digest);
}

/* Copies an option's value into a manifest string field. */
static int
fwtool_field(char *dst, size_t max, const char *opt, const char *v)
{
	size_t i, len = strlen(v);

	for (i = 0; i < len; i++)
		if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] > 0x7e)
			break;
	if (len == 0 || len > max || i != len) {
		fprintf(stderr, "outpost: sign: --%s must be 1..%zu printable "
		    "ASCII characters\n", opt, max);
		return -1;
	}
	memcpy(dst, v, len + 1);
	return 0;
}

static void
fwtool_sign_usage(void)
{
	fprintf(stderr, "usage: outpost sign --key PREFIX.key --vendor V "
	    "--class C --version X --seq N\n"
	    "           [--severity low|normal|critical] [--uri URI] IMAGE\n");
}

/* Fills m from sign's options; the image fields come later. */
static int
fwtool_sign_options(int argc, char *argv[], struct fw_manifest *m,
    const char **keypath, const char **uri)
{
	static const struct option longopts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "vendor", required_argument, NULL, 'V' },
		{ "class", required_argument, NULL, 'C' },
		{ "version", required_argument, NULL, 'x' },
		{ "seq", required_argument, NULL, 's' },
		{ "severity", required_argument, NULL, 'S' },
		{ "uri", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 }
	};
	char *end;
	int ch, seen = 0;

	m->severity = FW_SEVERITY_NORMAL;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'k':
			*keypath = optarg;
			seen |= 1;
			break;
		case 'V':
			if (fwtool_field(m->vendor, FW_NAME_MAX, "vendor",
			    optarg) == -1)
				return -1;
			seen |= 2;
			break;
		case 'C':
			if (fwtool_field(m->class, FW_NAME_MAX, "class",
			    optarg) == -1)
				return -1;
			seen |= 4;
			break;
		case 'x':
			if (fwtool_field(m->version, FW_NAME_MAX, "version",
			    optarg) == -1)
				return -1;
			seen |= 8;
			break;
		case 's':
			errno = 0;
			m->seq = strtoull(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end != '\0' ||
			    errno != 0 || m->seq == 0 ||
			    m->seq >= FW_SEQ_MAX) {
				fprintf(stderr, "outpost: sign: --seq must be "
				    "1..%" PRIu64 "\n", FW_SEQ_MAX - 1);
				return -1;
			}
			seen |= 16;
			break;
		case 'S':
			for (m->severity = 0; m->severity <=
			    FW_SEVERITY_CRITICAL; m->severity++)
				if (strcmp(optarg,
				    fw_severity_name(m->severity)) == 0)
					break;
			if (m->severity > FW_SEVERITY_CRITICAL) {
				fprintf(stderr, "outpost: sign: --severity "
				    "must be low, normal or critical\n");
				return -1;
			}
			break;
		case 'u':
			*uri = optarg;
			break;
		default:
			fwtool_sign_usage();
			return -1;
		}
	}
	if (seen != 31 || optind != argc - 1) {
		fwtool_sign_usage();
		return -1;
	}
	return 0;
}

static int
fwtool_sign(int argc, char *argv[])
{
	struct fw_manifest m;
	const char *keypath = NULL, *uri = NULL, *image;
	uint8_t seed[FW_KEY_LEN];
	char id[FW_ID_LEN + 1], path[4096], *text;
	int rc;

	memset(&m, 0, sizeof(m));
	if (fwtool_sign_options(argc, argv, &m, &keypath, &uri) == -1)
		return 1;
	image = argv[optind];
	if (fwtool_hash_file(image, m.digest, &m.size) == -1)
		return 1;
	if (m.size == 0 || m.size > FW_SIZE_MAX) {
		fprintf(stderr, "outpost: %s: an image is 1..%" PRIu64
		    " bytes\n", image, FW_SIZE_MAX);
		return 1;
	}
	fw_manifest_id(&m, id);
	if (uri == NULL)
		snprintf(m.uri, sizeof(m.uri), "/fw/%s", id);
	else if (fwtool_field(m.uri, FW_URI_MAX, "uri", uri) == -1)
		return 1;
	if (fwtool_read_key(keypath, seed) == -1)
		return 1;
	rc = fw_manifest_sign(&m, seed);
	explicit_bzero(seed, sizeof(seed));
	if (rc == -1 || (text = fw_manifest_json(&m)) == NULL) {
		fprintf(stderr, "outpost: sign: cannot sign\n");
		return 1;
	}
	snprintf(path, sizeof(path), "%s.manifest", image);
	unlink(path);	/* a new signature replaces an old one */
	rc = fwtool_write_new(path, text, 0644);
	free(text);
	if (rc == -1)
		return 1;
	printf("%s id %s seq %" PRIu64 " size %" PRIu64 "\n", path, id, m.seq,
	    m.size);
	return 0;
}

int
fwtool_main(int argc, char *argv[])
{
	if (argc >= 1 && strcmp(argv[0], "keygen") == 0)
		return fwtool_keygen(argc, argv);
	if (argc >= 1 && strcmp(argv[0], "sign") == 0)
		return fwtool_sign(argc, argv);
	return -1;
}
