/* store.h - one simulated device's object store: which object instances exist and the value of
 * every resource (instance), checked against the object model. */
#ifndef SIM_STORE_H
#define SIM_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwm2m/model.h"
#include "lwm2m/path.h"
#include "lwm2m/value.h"

/* One resource value (depth 3), one resource instance (depth 4), an executable resource
 * (depth 3, type NONE) or an empty multi-instance resource (depth 3, type MULTIPLE). */
typedef struct sim_entry {
    uint16_t obj, inst, res, ri;
    uint8_t depth;
    lwm2m_value_t value; /* string/opaque bytes owned by the store */
} sim_entry_t;

typedef struct sim_instance_id {
    uint16_t obj, inst;
} sim_instance_id_t;

typedef struct sim_store {
    sim_instance_id_t *instances; /* sorted */
    size_t instance_count, instance_cap;
    sim_entry_t *entries; /* sorted by obj, inst, res, then ri (depth 3 first) */
    size_t count, cap;
    size_t bytes;     /* string/opaque bytes held */
    size_t max_bytes; /* bound on bytes */
} sim_store_t;

#define SIM_STORE_MAX_ENTRIES 4096
#define SIM_STORE_MAX_INSTANCES 256

void sim_store_init(sim_store_t *store, size_t max_bytes);
void sim_store_clear(sim_store_t *store);  /* frees everything; reusable */
void sim_store_shrink(sim_store_t *store); /* gives back unused capacity */

bool sim_store_has_object(const sim_store_t *store, uint16_t obj);
bool sim_store_has_instance(const sim_store_t *store, uint16_t obj, uint16_t inst);
bool sim_store_has_resource(const sim_store_t *store, uint16_t obj, uint16_t inst, uint16_t res);
/* Lowest free instance id of an object, or -1 when none is left. */
int sim_store_free_instance(const sim_store_t *store, uint16_t obj);

/* Adds an (empty) instance. Returns 0, -400 if it exists, -413 at the bound, -500. */
int sim_store_add_instance(sim_store_t *store, uint16_t obj, uint16_t inst);
/* Removes an instance and all its values. -404 when it does not exist. */
int sim_store_remove_instance(sim_store_t *store, uint16_t obj, uint16_t inst);
/* Removes a resource with all its instances (no error when absent). */
void sim_store_remove_resource(sim_store_t *store, uint16_t obj, uint16_t inst, uint16_t res);

/* Sets the value at a depth-3 or depth-4 path, creating it (the instance must exist). Copies
 * the value's bytes. Setting a resource instance drops an "empty multiple" marker; setting type
 * MULTIPLE at depth 3 marks an empty multi-instance resource. Returns 0, -404, -413, -500. */
int sim_store_set(sim_store_t *store, const lwm2m_path_t *path, const lwm2m_value_t *value);
/* The value at a depth-3 (single) or depth-4 path, or NULL. */
const lwm2m_value_t *sim_store_get(const sim_store_t *store, const lwm2m_path_t *path);

/* Appends the readable values under `path` (object, instance, resource or resource instance)
 * to `out`; an existing instance or multi resource with no readable value gives a marker.
 * Returns 0, -404 when nothing exists there, -405 when the path names a resource that is not
 * readable, or the list's -413. */
int sim_store_read(const sim_store_t *store, const lwm2m_model_t *model, const lwm2m_path_t *path,
                   lwm2m_nodes_t *out);

/* Calls fn for each entry under path (any depth), in order. Stops when fn returns non-zero. */
typedef int (*sim_store_visit_fn)(void *ctx, const sim_entry_t *entry);
int sim_store_visit(const sim_store_t *store, const lwm2m_path_t *path, sim_store_visit_fn fn,
                    void *ctx);

lwm2m_path_t sim_entry_path(const sim_entry_t *entry);

/* Converts a decoded value to the model's type when that loses nothing (23.0 -> integer 23,
 * 5 -> float 5.0, integer <-> unsigned in range, integer -> time, string -> corelnk).
 * The result points at the input's bytes. Returns 0 or -400. */
int sim_value_coerce(const lwm2m_value_t *in, lwm2m_type_t want, lwm2m_value_t *ret);
/* Checks a value against a DDF range ("0..100": numeric range, or string length for strings
 * and opaque). Unparsable ranges pass. Returns 0 or -400. */
int sim_value_check_range(const lwm2m_value_t *value, const char *range);
/* Parses control-channel text as `type`: numbers, true/false/1/0, "oid:iid", hex for opaque
 * ("0x..." or plain hex), anything for strings. Opaque/string bytes are written to scratch
 * (size bytes). Returns 0 or -400. */
int sim_value_from_text(lwm2m_type_t type, const char *text, uint8_t *scratch, size_t size,
                        lwm2m_value_t *ret);
bool sim_value_numeric(const lwm2m_value_t *value, double *ret);

#endif
