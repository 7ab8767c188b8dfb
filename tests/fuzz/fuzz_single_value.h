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

#include "fuzz_common.h"
#include "lwm2m/codec.h"

static const char *const base_paths[] = {
    "/3/0/0",       "/3/0/9",     "/3/0/13",    "/3/0/6/1",     "/5/0/0",     "/30000/0/0",
    "/30000/0/1",   "/30000/0/2", "/30000/0/3", "/30000/0/4/1", "/30000/0/5", "/30000/0/6/0",
    "/30000/0/7/2", "/30000/0/8", "/30000/0/9", "/65000/0/0",   "/",          "/3/0",
};

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
        check_same_nodes(&nodes, &again, false);
    }
    lwm2m_buf_free(&out);
    lwm2m_nodes_clear(&nodes);
    lwm2m_nodes_clear(&again);
    return 0;
}

#endif
