/* fuzz_single_value.h - the shared body of the single-value codec fuzz targets (text, opaque,
 * CBOR 60). The first byte picks the request path, the second the type hint, the rest is the
 * payload; it is decoded with the built-in model (plus a test object with every type), and what
 * decodes must encode, and decode back to the same value. Included by one target each. */
#ifndef LMG_FUZZ_SINGLE_VALUE_H
#define LMG_FUZZ_SINGLE_VALUE_H

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

static const char *const base_paths[] = {
    "/3/0/0",       "/3/0/9",     "/3/0/13",    "/3/0/6/1",     "/5/0/0",     "/30000/0/0",
    "/30000/0/1",   "/30000/0/2", "/30000/0/3", "/30000/0/4/1", "/30000/0/5", "/30000/0/6/0",
    "/30000/0/7/2", "/30000/0/8", "/30000/0/9", "/65000/0/0",   "/",          "/3/0",
};

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

static void check_same(lwm2m_nodes_t *a, lwm2m_nodes_t *b)
{
    if (a->count != b->count)
        abort();
    lwm2m_nodes_sort(a);
    lwm2m_nodes_sort(b);
    for (size_t i = 0; i < a->count; i++)
        if (!lwm2m_path_equal(&a->items[i].path, &b->items[i].path) ||
            !same_value(&a->items[i].value, &b->items[i].value))
            abort();
}

/* Decodes, re-encodes and decodes again with `codec`; aborts on any inconsistency. */
static int fuzz_single_value(const lwm2m_codec_t *codec, const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    const char *p = base_paths[data[0] % (sizeof(base_paths) / sizeof(base_paths[0]))];
    lwm2m_path_t base;
    if (lwm2m_path_parse(p, strlen(p), 0, &base) < 0)
        abort();
    lwm2m_decode_opts_t opts = {.model = fuzz_model(),
                                .type_hint = (lwm2m_type_t)(data[1] % (LWM2M_TYPE_INSTANCE + 1))};
    lwm2m_nodes_t nodes, again;
    lwm2m_nodes_init(&nodes, 4, 1u << 20);
    lwm2m_nodes_init(&again, 4, 1u << 20);
    lwm2m_error_t err;
    lwm2m_buf_t out = {0};
    int rc = codec->decode(data + 2, size - 2, &base, &opts, &nodes, &err);
    if (rc < 0 && (err.code != rc || err.offset > size - 2))
        abort();
    if (rc == 0) {
        if (nodes.count != 1)
            abort();
        if (codec->encode(&base, nodes.items, nodes.count, &out, &err) < 0)
            abort(); /* whatever decodes must encode */
        if (codec->decode(out.data ? out.data : (const uint8_t *)"", out.len, &base, &opts, &again,
                          &err) < 0)
            abort();
        check_same(&nodes, &again);
    }
    lwm2m_buf_free(&out);
    lwm2m_nodes_clear(&nodes);
    lwm2m_nodes_clear(&again);
    return 0;
}

#endif
