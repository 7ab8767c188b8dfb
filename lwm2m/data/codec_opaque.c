/* codec_opaque.c - application/octet-stream (Content-Format 42): one opaque resource or
 * resource-instance value, the payload bytes as they are.
 *
 * Decoding always gives an opaque node at the request path (an empty payload is opaque ""),
 * whatever type the model gives the resource: the bytes are all there is. Encoding takes
 * exactly one opaque node at the request path; anything else is -406, as Anjay answers a
 * CF 42 request for a non-opaque resource. Object and instance paths are -406 too; a root path
 * means "unknown" and is taken as it is.
 */
#include "lwm2m/codec.h"

static int opaque_decode(const uint8_t *data, size_t len, const lwm2m_path_t *base,
                         const lwm2m_decode_opts_t *opts, lwm2m_nodes_t *out, lwm2m_error_t *err)
{
    (void)opts;
    if (base->depth == 1 || base->depth == 2)
        return lwm2m_error_set(err, LWM2M_ERR_NOT_ACCEPTABLE, 0,
                               "opaque carries one resource value, not an object or instance");
    lwm2m_value_t value = lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, data, len);
    int rc = lwm2m_nodes_add(out, base, &value, NULL);
    if (rc < 0)
        return lwm2m_error_set(err, rc, 0, "node list limit reached");
    return 0;
}

static int opaque_encode(const lwm2m_path_t *base, const lwm2m_node_t *nodes, size_t count,
                         lwm2m_buf_t *out, lwm2m_error_t *err)
{
    if (count != 1)
        return lwm2m_error_set(err, LWM2M_ERR_NOT_ACCEPTABLE, 0,
                               "opaque carries exactly one value, not %zu", count);
    const lwm2m_node_t *n = &nodes[0];
    if (n->value.type != LWM2M_TYPE_OPAQUE)
        return lwm2m_error_set(err, LWM2M_ERR_NOT_ACCEPTABLE, 0, "a %s is not opaque",
                               lwm2m_type_name(n->value.type));
    if (base->depth != 0 && !lwm2m_path_equal(&n->path, base))
        return lwm2m_error_set(err, LWM2M_ERR_NOT_ACCEPTABLE, 0,
                               "opaque carries only the value at the request path");
    int rc = lwm2m_buf_append(out, n->value.u.bytes.data, n->value.u.bytes.len);
    if (rc < 0)
        return lwm2m_error_set(err, rc, out->len, "output buffer limit reached");
    return 0;
}

const lwm2m_codec_t lwm2m_codec_opaque = {LWM2M_CF_OPAQUE, "opaque", opaque_decode, opaque_encode};
