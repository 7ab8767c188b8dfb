/* model.h - the LwM2M object model: per object and resource, name, type, operations,
 * multiplicity, mandatory, unit and range. A built-in table covers the core and common IPSO
 * objects; OMA DDF XML files can add more at run time (see ddf.h). */
#ifndef LWM2M_MODEL_H
#define LWM2M_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwm2m/path.h"
#include "lwm2m/value.h"

enum {
    LWM2M_OP_READ = 1u << 0,
    LWM2M_OP_WRITE = 1u << 1,
    LWM2M_OP_EXECUTE = 1u << 2,
};

typedef struct lwm2m_resource_def {
    uint16_t id;
    const char *name;
    lwm2m_type_t type;  /* LWM2M_TYPE_NONE for executable resources */
    uint8_t operations; /* LWM2M_OP_* bits */
    bool multiple;
    bool mandatory;
    const char *units; /* "" when none */
    const char *range; /* DDF RangeEnumeration text, "" when none */
} lwm2m_resource_def_t;

typedef struct lwm2m_object_def {
    uint16_t id;
    const char *name;
    const char *version; /* ObjectVersion, "1.0" when the DDF gives none */
    const char *urn;
    bool multiple;
    bool mandatory;
    const lwm2m_resource_def_t *resources; /* sorted by id */
    size_t resource_count;
} lwm2m_object_def_t;

typedef struct lwm2m_model lwm2m_model_t;

/* An empty model. Returns NULL on allocation failure. Free with lwm2m_model_free. */
lwm2m_model_t *lwm2m_model_new(void);
/* A model holding the built-in table. */
lwm2m_model_t *lwm2m_model_new_builtin(void);
void lwm2m_model_free(lwm2m_model_t *model); /* accepts NULL */

/* Adds a static definition (not copied, never freed). Replaces an object with the same id. */
int lwm2m_model_add_static(lwm2m_model_t *model, const lwm2m_object_def_t *object);
/* Adds a heap definition the model takes ownership of (freed with lwm2m_object_def_free).
 * Replaces an object with the same id. On failure the object is freed. */
int lwm2m_model_add_owned(lwm2m_model_t *model, lwm2m_object_def_t *object);
void lwm2m_object_def_free(lwm2m_object_def_t *object); /* for heap definitions; NULL ok */

size_t lwm2m_model_count(const lwm2m_model_t *model);
const lwm2m_object_def_t *lwm2m_model_object(const lwm2m_model_t *model, uint16_t object_id);
const lwm2m_resource_def_t *lwm2m_model_resource(const lwm2m_model_t *model, uint16_t object_id,
                                                 uint16_t resource_id);
/* Type of the resource a path at depth >= 3 names; LWM2M_TYPE_UNKNOWN when no definition. */
lwm2m_type_t lwm2m_model_type(const lwm2m_model_t *model, const lwm2m_path_t *path);
/* Whether the resource is multi-instance: 1 yes, 0 no, -404 unknown. */
int lwm2m_model_is_multiple(const lwm2m_model_t *model, uint16_t object_id, uint16_t resource_id);

/* The built-in table (generated from the OMA registry, see lwm2m/model/gen_builtin.py). */
extern const lwm2m_object_def_t *const lwm2m_builtin_objects[];
extern const size_t lwm2m_builtin_object_count;

#endif
