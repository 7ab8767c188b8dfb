/* model.c - the object model container: objects sorted by id, built-in or loaded. */
#include "lwm2m/model.h"

#include <stdlib.h>
#include <string.h>

#include "lwm2m/error.h"

typedef struct model_entry {
    const lwm2m_object_def_t *object;
    lwm2m_object_def_t *owned; /* non-NULL when the model frees it */
} model_entry_t;

struct lwm2m_model {
    model_entry_t *entries; /* sorted by object id */
    size_t count;
    size_t capacity;
};

lwm2m_model_t *lwm2m_model_new(void)
{
    return calloc(1, sizeof(lwm2m_model_t));
}

lwm2m_model_t *lwm2m_model_new_builtin(void)
{
    lwm2m_model_t *model = lwm2m_model_new();
    if (!model)
        return NULL;
    for (size_t i = 0; i < lwm2m_builtin_object_count; i++) {
        if (lwm2m_model_add_static(model, lwm2m_builtin_objects[i]) < 0) {
            lwm2m_model_free(model);
            return NULL;
        }
    }
    return model;
}

void lwm2m_model_free(lwm2m_model_t *model)
{
    if (!model)
        return;
    for (size_t i = 0; i < model->count; i++)
        lwm2m_object_def_free(model->entries[i].owned);
    free(model->entries);
    free(model);
}

void lwm2m_object_def_free(lwm2m_object_def_t *object)
{
    if (!object)
        return;
    for (size_t i = 0; i < object->resource_count; i++) {
        lwm2m_resource_def_t *r = (lwm2m_resource_def_t *)&object->resources[i];
        free((char *)r->name);
        free((char *)r->units);
        free((char *)r->range);
    }
    free((void *)object->resources);
    free((char *)object->name);
    free((char *)object->version);
    free((char *)object->urn);
    free(object);
}

/* Index of the first entry with id >= object_id. */
static size_t model_lower_bound(const lwm2m_model_t *model, uint16_t object_id)
{
    size_t lo = 0, hi = model->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (model->entries[mid].object->id < object_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int model_insert(lwm2m_model_t *model, const lwm2m_object_def_t *object,
                        lwm2m_object_def_t *owned)
{
    size_t pos = model_lower_bound(model, object->id);
    if (pos < model->count && model->entries[pos].object->id == object->id) {
        /* Adding the very definition the model already owns must not free it. */
        if (model->entries[pos].owned != owned)
            lwm2m_object_def_free(model->entries[pos].owned);
        model->entries[pos].object = object;
        model->entries[pos].owned = owned;
        return 0;
    }
    if (model->count == model->capacity) {
        size_t cap = model->capacity ? model->capacity * 2 : 64;
        model_entry_t *e = realloc(model->entries, cap * sizeof(*e));
        if (!e)
            return LWM2M_ERR_INTERNAL;
        model->entries = e;
        model->capacity = cap;
    }
    memmove(&model->entries[pos + 1], &model->entries[pos],
            (model->count - pos) * sizeof(model->entries[0]));
    model->entries[pos].object = object;
    model->entries[pos].owned = owned;
    model->count++;
    return 0;
}

int lwm2m_model_add_static(lwm2m_model_t *model, const lwm2m_object_def_t *object)
{
    if (!model || !object)
        return LWM2M_ERR_INTERNAL;
    return model_insert(model, object, NULL);
}

int lwm2m_model_add_owned(lwm2m_model_t *model, lwm2m_object_def_t *object)
{
    if (!object)
        return LWM2M_ERR_INTERNAL;
    int rc = model ? model_insert(model, object, object) : LWM2M_ERR_INTERNAL;
    if (rc < 0)
        lwm2m_object_def_free(object);
    return rc;
}

size_t lwm2m_model_count(const lwm2m_model_t *model)
{
    return model ? model->count : 0;
}

const lwm2m_object_def_t *lwm2m_model_object(const lwm2m_model_t *model, uint16_t object_id)
{
    if (!model)
        return NULL;
    size_t pos = model_lower_bound(model, object_id);
    if (pos < model->count && model->entries[pos].object->id == object_id)
        return model->entries[pos].object;
    return NULL;
}

const lwm2m_resource_def_t *lwm2m_model_resource(const lwm2m_model_t *model, uint16_t object_id,
                                                 uint16_t resource_id)
{
    const lwm2m_object_def_t *o = lwm2m_model_object(model, object_id);
    if (!o)
        return NULL;
    size_t lo = 0, hi = o->resource_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (o->resources[mid].id < resource_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < o->resource_count && o->resources[lo].id == resource_id)
        return &o->resources[lo];
    return NULL;
}

lwm2m_type_t lwm2m_model_type(const lwm2m_model_t *model, const lwm2m_path_t *path)
{
    if (!path || path->depth < 3)
        return LWM2M_TYPE_UNKNOWN;
    const lwm2m_resource_def_t *r = lwm2m_model_resource(model, path->id[0], path->id[2]);
    return r ? r->type : LWM2M_TYPE_UNKNOWN;
}

int lwm2m_model_is_multiple(const lwm2m_model_t *model, uint16_t object_id, uint16_t resource_id)
{
    const lwm2m_resource_def_t *r = lwm2m_model_resource(model, object_id, resource_id);
    if (!r)
        return LWM2M_ERR_NOT_FOUND;
    return r->multiple ? 1 : 0;
}
