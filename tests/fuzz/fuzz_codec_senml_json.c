/* fuzz_codec_senml_json.c - libFuzzer target for the SenML JSON codec (CF 110). The first
 * byte picks the request path, the rest is the payload; it is decoded with the built-in model
 * (plus a test object with every type). What decodes must encode (but NaN and infinity, which JSON
 * lacks), and decode back to the same nodes, times included. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "lwm2m/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CODEC lwm2m_codec_senml_json

static const char *const base_paths[] = {
    "/",       "/3",         "/3/0",         "/3/0/0",     "/3/0/7",       "/3/0/7/1",
    "/3303/0", "/30000",     "/30000/0",     "/30000/1/4", "/30000/0/3",   "/d01/3303/0",
    "/1024/0", "/65535/0/2", "/d01/30000/1", "/6/0/0",     "/30000/0/6/1",
};

static void check_same(const lwm2m_nodes_t *a, const lwm2m_nodes_t *b)
{
    if (a->count != b->count)
        abort();
    for (size_t i = 0; i < a->count; i++) {
        const lwm2m_node_t *x = &a->items[i], *y = &b->items[i];
        if (!lwm2m_path_equal(&x->path, &y->path) || !same_value(&x->value, &y->value) ||
            x->has_time != y->has_time || (x->has_time && x->time != y->time))
            abort();
    }
}

/* JSON has no NaN or infinity, which json-c still reads ("NaN", 1e999). */
static bool may_fail(const lwm2m_nodes_t *nodes, int rc)
{
    for (size_t i = 0; rc == LWM2M_ERR_NOT_ACCEPTABLE && i < nodes->count; i++)
        if (nodes->items[i].value.type == LWM2M_TYPE_FLOAT &&
            !isfinite(nodes->items[i].value.u.floating))
            return true;
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *p = base_paths[data[0] % (sizeof(base_paths) / sizeof(base_paths[0]))];
    lwm2m_path_t base;
    if (lwm2m_path_parse(p, strlen(p), LWM2M_PATH_ALLOW_PREFIX, &base) < 0)
        abort();
    lwm2m_decode_opts_t opts = {.model = fuzz_model()};
    lwm2m_nodes_t nodes, again;
    lwm2m_nodes_init(&nodes, 1024, 1u << 20);
    lwm2m_nodes_init(&again, 1024, 1u << 20);
    lwm2m_error_t err;
    lwm2m_buf_t out = {0};
    int rc = CODEC.decode(data + 1, size - 1, &base, &opts, &nodes, &err);
    if (rc < 0 && (err.code != rc || err.offset > size - 1))
        abort();
    if (rc == 0) {
        rc = CODEC.encode(&base, nodes.items, nodes.count, &out, &err);
        if (rc < 0 && !may_fail(&nodes, rc))
            abort(); /* whatever decodes must encode */
        if (rc == 0) {
            if (CODEC.decode(out.data, out.len, &base, &opts, &again, &err) < 0)
                abort();
            check_same(&nodes, &again);
        }
    }
    lwm2m_buf_free(&out);
    lwm2m_nodes_clear(&nodes);
    lwm2m_nodes_clear(&again);
    return 0;
}
