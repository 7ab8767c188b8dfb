/* ddf.h - loading OMA DDF object definition XML files (expat) into an object model. */
#ifndef LWM2M_DDF_H
#define LWM2M_DDF_H

#include <stddef.h>

#include "lwm2m/error.h"
#include "lwm2m/model.h"

/* Parses one DDF document held in memory and adds its object(s) to the model. Returns 0, or
 * -400 with err->message naming the problem (XML error with line, missing ObjectID, bad
 * Type...). */
int lwm2m_ddf_load_buffer(lwm2m_model_t *model, const char *xml, size_t len, lwm2m_error_t *err);
/* Reads and loads one file. -404 when it can't be read. */
int lwm2m_ddf_load_file(lwm2m_model_t *model, const char *path, lwm2m_error_t *err);

/* Called for each file that failed in lwm2m_ddf_load_dir. */
typedef void (*lwm2m_ddf_error_fn)(void *ctx, const char *path, const lwm2m_error_t *err);
/* Loads every *.xml file in a directory (sorted by name). Returns the number of objects loaded,
 * or -404 when the directory can't be opened; files that fail are reported through on_error
 * (may be NULL) and skipped. */
int lwm2m_ddf_load_dir(lwm2m_model_t *model, const char *dir, lwm2m_ddf_error_fn on_error,
                       void *ctx);

#endif
