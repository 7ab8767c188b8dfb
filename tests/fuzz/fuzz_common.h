/* fuzz_common.h - what the codec fuzz targets share: a model with a test object holding one
 * resource of every type (object 30000) on top of the built-in one, and value and node-list
 * comparison. */
#ifndef LMG_FUZZ_COMMON_H
#define LMG_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/codec.h"

static const lwm2m_resource_def_t fuzz_resources[] = {
    {0, "s", LWM2M_TYPE_STRING, LWM2M_OP_READ, false, false, "", ""},
    {1, "i", LWM2M_TYPE_INTEGER, LWM2M_OP_READ, false, false, "", ""},
    {2, "u", LWM2M_TYPE_UNSIGNED, LWM2M_OP_READ, false, false, "", ""},
    {3, "f", LWM2M_TYPE_FLOAT, LWM2M_OP_READ, false, false, "", ""},
    {4, "b", LWM2M_TYPE_BOOLEAN, LWM2M_OP_READ, true, false, "", ""},
    {5, "o", LWM2M_TYPE_OPAQUE, LWM2M_OP_READ, false, false, "", ""},
    {6, "t", LWM2M_TYPE_TIME, LWM2M_OP_READ, true, false, "", ""},
    {7, "l", LWM2M_TYPE_OBJLNK, LWM2M_OP_READ, true, false, "", ""},
    {8, "c", LWM2M_TYPE_CORELNK, LWM2M_OP_READ, false, false, "", ""},
    {9, "x", LWM2M_TYPE_NONE, LWM2M_OP_EXECUTE, false, false, "", ""},
};
static const lwm2m_object_def_t fuzz_object = {
    30000, "fuzz", "1.0",          "",
    true,  false,  fuzz_resources, sizeof(fuzz_resources) / sizeof(fuzz_resources[0])};

static lwm2m_model_t *fuzz_model(void)
{
    static lwm2m_model_t *model;
    if (!model) {
        model = lwm2m_model_new_builtin();
        if (!model || lwm2m_model_add_static(model, &fuzz_object) < 0)
            abort();
    }
    return model;
}

static bool same_value(const lwm2m_value_t *a, const lwm2m_value_t *b)
{
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case LWM2M_TYPE_STRING:
    case LWM2M_TYPE_OPAQUE:
    case LWM2M_TYPE_CORELNK:
        return a->u.bytes.len == b->u.bytes.len &&
               (a->u.bytes.len == 0 ||
                memcmp(a->u.bytes.data, b->u.bytes.data, a->u.bytes.len) == 0);
    case LWM2M_TYPE_BOOLEAN:
        return a->u.boolean == b->u.boolean;
    case LWM2M_TYPE_OBJLNK:
        return a->u.objlnk.object == b->u.objlnk.object &&
               a->u.objlnk.instance == b->u.objlnk.instance;
    case LWM2M_TYPE_MULTIPLE:
    case LWM2M_TYPE_INSTANCE:
    case LWM2M_TYPE_NONE:
        return true;
    default: /* integers, unsigned, time and float: the same 64 bits */
        return memcmp(&a->u.unsigned_integer, &b->u.unsigned_integer, 8) == 0;
    }
}

/* Aborts unless a and b hold the same nodes (paths, values, times); `ordered`: in the same
 * order, else sorted first (codecs free to reorder). */
static void check_same_nodes(lwm2m_nodes_t *a, lwm2m_nodes_t *b, bool ordered)
{
    if (a->count != b->count)
        abort();
    if (!ordered) {
        lwm2m_nodes_sort(a);
        lwm2m_nodes_sort(b);
    }
    for (size_t i = 0; i < a->count; i++) {
        const lwm2m_node_t *x = &a->items[i], *y = &b->items[i];
        if (!lwm2m_path_equal(&x->path, &y->path) || !same_value(&x->value, &y->value) ||
            x->has_time != y->has_time || (x->has_time && x->time != y->time))
            abort();
    }
}

#endif
