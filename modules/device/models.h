/*
 * models.h: the gateway's object model (gw->models, lwm2m/objmodel.h): the
 * built-in objects under the operator's DDF files from [lwm2m] models_dir.
 *
 * models_module reads the directory at start (a broken file stops the
 * gateway with exit 78, as a config error) and again on SIGHUP (a broken
 * file there keeps the running model, and says so). gw->models is NULL
 * while no directory is set: the built-in objects alone. It is replaced
 * whole on reload: hold no pointer into it past the current callback.
 */
#ifndef OUTPOST_MODELS_H
#define OUTPOST_MODELS_H

#include <stddef.h>

struct gw_config;
struct lwm2m_model;

#define MODELS_FILES_MAX	1024	/* *.xml files read from the directory */

/*
 * Reads every regular file named *.xml in dir (not starting with '.'), in
 * name order, into a fresh model. Returns it (the caller frees it with
 * lwm2m_model_free), or NULL with a reason in err that names the file and,
 * where it is known, the line: "models/3303.xml:12: Type 'Flaot' is none
 * of ...".
 */
struct lwm2m_model *models_load(const char *dir, char *err, size_t errlen);

/* What `outpost -n` checks: that cfg's models_dir (if set) loads. */
int	models_check_config(const struct gw_config *cfg, char *err,
	    size_t errlen);

#endif /* OUTPOST_MODELS_H */
