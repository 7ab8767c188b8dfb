/* fuzz_senml.h - the shared body of the SenML fuzz targets (JSON 110, CBOR 112). The first byte
 * picks the request path, the rest is the payload; it is decoded with the built-in model (plus a
 * test object with every type). What decodes must encode (but NaN and infinity where the format
 * lacks them), and decode back to the same nodes in the same order, times included. Included by
 * one target each. */
#ifndef LMG_FUZZ_SENML_H
#define LMG_FUZZ_SENML_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "lwm2m/codec.h"

static const char *const base_paths[] = {
    "/",       "/3",         "/3/0",         "/3/0/0",     "/3/0/7",       "/3/0/7/1",
    "/3303/0", "/30000",     "/30000/0",     "/30000/1/4", "/30000/0/3",   "/d01/3303/0",
    "/1024/0", "/65535/0/2", "/d01/30000/1", "/6/0/0",     "/30000/0/6/1",
};

/* A refused encoding is allowed only for a non-finite float, when the format has none. */
static bool may_fail(const lwm2m_nodes_t *nodes, int rc, bool finite_only)
{
    for (size_t i = 0; finite_only && rc == LWM2M_ERR_NOT_ACCEPTABLE && i < nodes->count; i++)
        if (nodes->items[i].value.type == LWM2M_TYPE_FLOAT &&
            !isfinite(nodes->items[i].value.u.floating))
            return true;
    return false;
}

/* Decodes, re-encodes and decodes again with `codec`; aborts on any inconsistency. */
static int fuzz_senml(const lwm2m_codec_t *codec, bool finite_only, const uint8_t *data,
                      size_t size)
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
    int rc = codec->decode(data + 1, size - 1, &base, &opts, &nodes, &err);
    if (rc < 0 && (err.code != rc || err.offset > size - 1))
        abort();
    if (rc == 0) {
        rc = codec->encode(&base, nodes.items, nodes.count, &out, &err);
        if (rc < 0 && !may_fail(&nodes, rc, finite_only))
            abort(); /* whatever decodes must encode */
        if (rc == 0) {
            if (codec->decode(out.data, out.len, &base, &opts, &again, &err) < 0)
                abort();
            check_same_nodes(&nodes, &again, true);
        }
    }
    lwm2m_buf_free(&out);
    lwm2m_nodes_clear(&nodes);
    lwm2m_nodes_clear(&again);
    return 0;
}

#endif
