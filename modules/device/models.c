/*
 * models.c: the object model of the gateway (models.h): the operator's DDF
 * files read from [lwm2m] models_dir at start and on reload. Parsing is
 * lwm2m/ddf.c; this file finds and reads the files.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway.h"
#include "log.h"
#include "lwm2m/objmodel.h"
#include "modules/device/models.h"

static int
models_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of the *.xml files of dir, sorted; NULL with err. */
static char **
models_list(const char *dir, size_t *count, char *err, size_t errlen)
{
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, len;
	DIR *dp;

	if ((dp = opendir(dir)) == NULL) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return NULL;
	}
	if ((names = calloc(MODELS_FILES_MAX, sizeof(*names))) == NULL)
		goto oom;
	while ((de = readdir(dp)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len < 5 ||
		    strcmp(de->d_name + len - 4, ".xml") != 0)
			continue;
		if (n == MODELS_FILES_MAX) {
			snprintf(err, errlen, "%s: more than %d .xml files",
			    dir, MODELS_FILES_MAX);
			goto fail;
		}
		if ((names[n++] = strdup(de->d_name)) == NULL)
			goto oom;
	}
	closedir(dp);
	qsort(names, n, sizeof(*names), models_name_cmp);
	*count = n;
	return names;
oom:
	snprintf(err, errlen, "%s: out of memory", dir);
fail:
	closedir(dp);
	while (names != NULL && n > 0)
		free(names[--n]);
	free(names);
	return NULL;
}

/* The whole of a regular file of at most LWM2M_DDF_MAX bytes, in a buffer
 * the caller frees; NULL with err. */
static char *
models_read(const char *path, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto fail;
	}
	if (st.st_size > LWM2M_DDF_MAX) {
		snprintf(err, errlen, "%s: %lld bytes, more than %d", path,
		    (long long)st.st_size, LWM2M_DDF_MAX);
		goto fail;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	/* One byte past the size it had: a file that grows is noticed. */
	while (got <= (size_t)st.st_size && (r = read(fd, buf + got,
	    (size_t)st.st_size + 1 - got)) != 0) {
		if (r == -1) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
		got += (size_t)r;
	}
	if (got > (size_t)st.st_size) {
		snprintf(err, errlen, "%s: changed while it was read", path);
		goto fail;
	}
	close(fd);
	*len = got;
	return buf;
fail:
	free(buf);
	close(fd);
	return NULL;
}

struct lwm2m_model *
models_load(const char *dir, char *err, size_t errlen)
{
	struct lwm2m_model *m;
	char **names, path[4096], *doc = NULL;
	size_t n = 0, i, len;

	if ((names = models_list(dir, &n, err, errlen)) == NULL)
		return NULL;
	if ((m = lwm2m_model_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (i = 0; i < n; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		    names[i]) >= sizeof(path)) {
			snprintf(err, errlen, "%s/%s: path too long", dir,
			    names[i]);
			goto fail;
		}
		if ((doc = models_read(path, &len, err, errlen)) == NULL ||
		    lwm2m_ddf_parse(m, doc, len, path, err, errlen) == -1)
			goto fail;
		free(doc);
		doc = NULL;
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return m;
fail:
	free(doc);
	lwm2m_model_free(m);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return NULL;
}

int
models_check_config(const struct gw_config *cfg, char *err, size_t errlen)
{
	struct lwm2m_model *m;
	char why[1024];

	if (cfg->lwm2m_models_dir[0] == '\0')
		return 0;
	if ((m = models_load(cfg->lwm2m_models_dir, why, sizeof(why))) ==
	    NULL) {
		snprintf(err, errlen, "[lwm2m] models_dir: %s", why);
		return -1;
	}
	lwm2m_model_free(m);
	return 0;
}

/* Says which objects the files gave, and which built-in ones they
 * replace. */
static int
models_tell(const struct lwm2m_obj *o, void *arg)
{
	(void)arg;
	if (o->source == NULL)
		return 0;
	if (lwm2m_model_builtin(o->id))
		log_info("models: object %u (%s) from %s replaces the built-in "
		    "definition", (unsigned)o->id, o->name, o->source);
	else
		log_info("models: object %u (%s) from %s", (unsigned)o->id,
		    o->name, o->source);
	return 0;
}

/* The model of cfg's directory into *out (NULL: none set); -1 with err. */
static int
models_build(const struct gw_config *cfg, struct lwm2m_model **out,
    char *err, size_t errlen)
{
	*out = NULL;
	if (cfg->lwm2m_models_dir[0] == '\0')
		return 0;
	if ((*out = models_load(cfg->lwm2m_models_dir, err, errlen)) == NULL)
		return -1;
	lwm2m_model_walk(*out, models_tell, NULL);
	return 0;
}

static int
models_module_init(struct gateway *gw)
{
	char err[1024];

	if (models_build(&gw->cfg, &gw->models, err, sizeof(err)) == -1) {
		log_errx("%s: [lwm2m] models_dir: %s", gw->config_path, err);
		return GW_EX_CONFIG;
	}
	return 0;
}

/* SIGHUP: the directory is read again (files may have changed while the
 * key did not); a broken file keeps the running model. */
static void
models_module_reload(struct gateway *gw, const struct gw_config *old)
{
	struct lwm2m_model *m;
	char err[1024];

	(void)old;
	if (models_build(&gw->cfg, &m, err, sizeof(err)) == -1) {
		log_warnx("models: reload: [lwm2m] models_dir: %s; keeping the "
		    "running object model", err);
		return;
	}
	lwm2m_model_free(gw->models);
	gw->models = m;
	log_info("models: %zu objects from files", lwm2m_model_file_objects(m));
}

static void
models_module_stop(struct gateway *gw)
{
	lwm2m_model_free(gw->models);
	gw->models = NULL;
}

const struct gw_module models_module = {
	.name = "models",
	.init = models_module_init,
	.reload = models_module_reload,
	.stop = models_module_stop,
};
