/*
 * auth.c: bearer tokens with roles, checked per route, and token-bucket
 * rate limits per token and per client address.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "proxy/auth.h"

#define AUTH_ADDR_SLOTS		4096	/* client addresses tracked */
#define AUTH_ADDR_PROBE		8
#define AUTH_REALM		"Bearer realm=\"outpost\""

/* One client address's bucket; key is family + address bytes (IPv4) or
 * the /64 prefix (IPv6). */
struct auth_addr {
	unsigned char		key[AUTH_ADDR_KEY_LEN];
	int			used;
	struct auth_bucket	bucket;
};

struct auth {
	struct auth_token	*tokens;
	size_t			 ntokens;
	size_t			 cap;		/* entries of tokens */
	int			 token_rate, token_burst;
	int			 addr_rate, addr_burst;
	struct auth_addr	 addrs[AUTH_ADDR_SLOTS];
};

/* Reads the token file into a malloc'd buffer; warns when other users
 * may read it. */
static char *
auth_read_file(const char *path, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	ssize_t n;
	size_t got = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		snprintf(err, errlen, "[auth] token_file %s: %s", path,
		    strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > AUTH_FILE_MAX) {
		snprintf(err, errlen, "[auth] token_file %s: not a regular "
		    "file of at most %d bytes", path, AUTH_FILE_MAX);
		goto fail;
	}
	if (st.st_mode & (S_IROTH | S_IWOTH | S_IWGRP))
		log_warnx("auth: token file %s may be read or written by "
		    "other users (mode %04o)", path,
		    (unsigned)(st.st_mode & 07777));
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	while (got < (size_t)st.st_size &&
	    (n = read(fd, buf + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)n;
	close(fd);
	*len = got;
	return buf;
fail:
	if (fd != -1)
		close(fd);
	free(buf);
	return NULL;
}

/* The tokens of cfg into a fresh array of *cap entries, sized by the
 * file's lines. Returns the count, or -1. */
static int
auth_load(const struct gw_config *cfg, struct auth_token **out, size_t *cap,
    char *err, size_t errlen)
{
	const struct {
		const char	*token;
		const char	*key;
		int		 role;
	} ini[] = {
		{ cfg->auth_admin_token, "admin_token", AUTH_ADMIN },
		{ cfg->auth_operate_token, "operate_token", AUTH_OPERATE },
		{ cfg->auth_read_token, "read_token", AUTH_READ },
	};
	struct auth_token *t = NULL;
	char why[192], *text = NULL;
	size_t i, n = 0, len = 0, lines = 0;
	int nf;

	*cap = sizeof(ini) / sizeof(ini[0]);
	if (cfg->auth_token_file[0] != '\0') {
		if ((text = auth_read_file(cfg->auth_token_file, &len, err,
		    errlen)) == NULL)
			return -1;
		for (i = 0, lines = 1; i < len && lines <= AUTH_TOKENS_MAX; i++)
			lines += text[i] == '\n';
		*cap += lines;
	}
	if ((t = calloc(*cap, sizeof(*t))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (i = 0; i < sizeof(ini) / sizeof(ini[0]); i++) {
		if (ini[i].token[0] == '\0')
			continue;
		if (auth_token_add(t, &n, *cap, ini[i].token,
		    strlen(ini[i].token), ini[i].role, why,
		    sizeof(why)) == -1) {
			snprintf(err, errlen, "[auth] %s: %s", ini[i].key, why);
			goto fail;
		}
	}
	if (text != NULL) {
		/* One token a line at most: room for all, up to the cap. */
		if ((nf = auth_parse_tokens(text, len, t + n,
		    lines > AUTH_TOKENS_MAX ? AUTH_TOKENS_MAX : *cap - n, why,
		    sizeof(why))) == -1) {
			snprintf(err, errlen, "[auth] token_file %s: %s",
			    cfg->auth_token_file, why);
			goto fail;
		}
		for (i = 0; i < n; i++) {
			size_t j;

			for (j = n; j < n + (size_t)nf; j++)
				if (auth_token_equal(&t[j], t[i].digest)) {
					snprintf(err, errlen, "[auth] "
					    "token_file %s: a token of the ini "
					    "appears again", cfg->auth_token_file);
					goto fail;
				}
		}
		n += (size_t)nf;
		explicit_bzero(text, len);
		free(text);
		text = NULL;
	}
	*out = t;
	return (int)n;
fail:
	if (text != NULL) {
		explicit_bzero(text, len);
		free(text);
	}
	if (t != NULL) {
		explicit_bzero(t, *cap * sizeof(*t));
		free(t);
	}
	return -1;
}

static void
auth_tokens_free(struct auth_token *t, size_t n)
{
	if (t == NULL)
		return;
	explicit_bzero(t, n * sizeof(*t));
	free(t);
}

void
auth_set_limits(struct auth *a, const struct gw_config *cfg)
{
	a->token_rate = cfg->auth_token_rate;
	a->token_burst = cfg->auth_token_burst;
	a->addr_rate = cfg->auth_addr_rate;
	a->addr_burst = cfg->auth_addr_burst;
}

struct auth *
auth_new(const struct gw_config *cfg, char *err, size_t errlen)
{
	struct auth *a;

	if ((a = calloc(1, sizeof(*a))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (auth_reload(a, cfg, err, errlen) == -1) {
		free(a);
		return NULL;
	}
	return a;
}

int
auth_reload(struct auth *a, const struct gw_config *cfg, char *err,
    size_t errlen)
{
	struct auth_token *t;
	size_t cap;
	int n;

	if ((n = auth_load(cfg, &t, &cap, err, errlen)) == -1)
		return -1;
	auth_tokens_free(a->tokens, a->cap);
	a->tokens = t;
	a->cap = cap;
	a->ntokens = (size_t)n;
	auth_set_limits(a, cfg);
	return 0;
}

void
auth_free(struct auth *a)
{
	if (a == NULL)
		return;
	auth_tokens_free(a->tokens, a->cap);
	free(a);
}

size_t
auth_count(const struct auth *a)
{
	return a != NULL ? a->ntokens : 0;
}

static uint64_t
auth_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The bucket of the request's client address: its slot, a free one, one
 * whose bucket has refilled (it holds nothing worth keeping), or the
 * stalest of its probe window. */
static struct auth_bucket *
auth_addr_bucket(struct auth *a, const struct sockaddr *sa, uint64_t now)
{
	unsigned char key[AUTH_ADDR_KEY_LEN];
	struct auth_addr *s, *victim = NULL;
	uint32_t h = 2166136261u;
	size_t i;

	memset(key, 0, sizeof(key));
	auth_addr_key(sa, key);
	for (i = 0; i < sizeof(key); i++)
		h = (h ^ key[i]) * 16777619u;
	for (i = 0; i < AUTH_ADDR_PROBE; i++) {
		s = &a->addrs[(h + i) % AUTH_ADDR_SLOTS];
		if (s->used && memcmp(s->key, key, sizeof(key)) == 0)
			return &s->bucket;
		if (!s->used || s->bucket.level + (double)(now -
		    s->bucket.last_ms) * a->addr_rate / 1000.0 >=
		    a->addr_burst) {
			victim = s;
			break;
		}
		if (victim == NULL ||
		    s->bucket.last_ms < victim->bucket.last_ms)
			victim = s;
	}
	memset(victim, 0, sizeof(*victim));
	memcpy(victim->key, key, sizeof(key));
	victim->used = 1;
	return &victim->bucket;
}

/* A refusal: status, the JSON error's code and detail, and the header
 * that goes with it. */
static int
auth_refuse(struct auth_verdict *v, int status, const char *code,
    const char *header, const char *value, const char *detail)
{
	v->status = status;
	v->code = code;
	v->header = header;
	snprintf(v->value, sizeof(v->value), "%s", value);
	snprintf(v->detail, sizeof(v->detail), "%s", detail);
	return -1;
}

static int
auth_too_many(struct auth_verdict *v, int retry, const char *what)
{
	char buf[16], detail[64];

	snprintf(buf, sizeof(buf), "%d", retry);
	snprintf(detail, sizeof(detail), "rate limit of this %s; retry in "
	    "%d s", what, retry);
	return auth_refuse(v, 429, "too_many_requests", "Retry-After", buf,
	    detail);
}

/* The token of "Authorization: Bearer TOKEN" (h), or NULL. */
static const char *
auth_bearer(const char *h, size_t *len)
{
	const char *e;

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return NULL;
	for (h += 7; *h == ' '; h++)
		;
	for (e = h + strlen(h); e > h && (e[-1] == ' ' || e[-1] == '\t'); e--)
		;
	*len = (size_t)(e - h);
	return *len > 0 ? h : NULL;
}

/* The token presented, its SHA-256 compared with every known one (no
 * early exit). */
static struct auth_token *
auth_lookup(struct auth *a, const char *tok, size_t len)
{
	unsigned char digest[AUTH_DIGEST_LEN];
	struct auth_token *found = NULL;
	size_t i;

	if (len > CONFIG_TOKEN_MAX || auth_token_digest(tok, len, digest) == -1)
		return NULL;
	for (i = 0; i < a->ntokens; i++)
		if (auth_token_equal(&a->tokens[i], digest))
			found = &a->tokens[i];
	explicit_bzero(digest, sizeof(digest));
	return found;
}

int
auth_limit(struct auth *a, const struct sockaddr *peer,
    struct auth_verdict *v)
{
	uint64_t now;
	int retry = 0;

	if (a == NULL || a->ntokens == 0 || a->addr_rate <= 0)
		return 0;
	now = auth_now_ms();
	if (!auth_bucket_take(auth_addr_bucket(a, peer, now), a->addr_rate,
	    a->addr_burst, now, &retry))
		return auth_too_many(v, retry, "client address");
	return 0;
}

int
auth_check(struct auth *a, const char *authorization,
    const struct sockaddr *peer, enum auth_role need,
    struct auth_verdict *v)
{
	struct auth_token *t;
	const char *tok;
	char challenge[128];
	size_t len = 0;
	int retry = 0;

	if (need == AUTH_UNSET)
		need = AUTH_ADMIN;
	v->role = a == NULL || a->ntokens == 0 ? AUTH_ADMIN : need;
	if (need == AUTH_PUBLIC || a == NULL || a->ntokens == 0)
		return 0;
	if (auth_limit(a, peer, v) == -1)
		return -1;
	if (authorization == NULL ||
	    (tok = auth_bearer(authorization, &len)) == NULL)
		return auth_refuse(v, 401, "unauthorized", "WWW-Authenticate",
		    AUTH_REALM, "this route needs Authorization: Bearer TOKEN");
	if ((t = auth_lookup(a, tok, len)) == NULL)
		return auth_refuse(v, 401, "unauthorized", "WWW-Authenticate",
		    AUTH_REALM ", error=\"invalid_token\"", "unknown token");
	if (t->role < need) {
		snprintf(challenge, sizeof(challenge), "%s, error="
		    "\"insufficient_scope\", scope=\"%s\"", AUTH_REALM,
		    auth_role_name(need));
		return auth_refuse(v, 403, "forbidden", "WWW-Authenticate",
		    challenge, need == AUTH_ADMIN ? "this route needs the admin role" :
		    need == AUTH_OPERATE ? "this route needs the operate role" :
		    "this route needs the read role");
	}
	if (!auth_bucket_take(&t->bucket, a->token_rate, a->token_burst,
	    auth_now_ms(), &retry))
		return auth_too_many(v, retry, "token");
	v->role = t->role;
	return 0;
}
