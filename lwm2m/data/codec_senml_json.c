/* codec_senml_json.c - placeholder, replaced by the real codec. */
#include "lwm2m/codec.h"

static int senml_json_decode(const uint8_t *data, size_t len, const lwm2m_path_t *base,
                       const lwm2m_decode_opts_t *opts, lwm2m_nodes_t *out, lwm2m_error_t *err)
{
    (void)data, (void)len, (void)base, (void)opts, (void)out;
    return lwm2m_error_set(err, LWM2M_ERR_NOT_IMPLEMENTED, 0, "not implemented");
}

static int senml_json_encode(const lwm2m_path_t *base, const lwm2m_node_t *nodes, size_t count,
                       lwm2m_buf_t *out, lwm2m_error_t *err)
{
    (void)base, (void)nodes, (void)count, (void)out;
    return lwm2m_error_set(err, LWM2M_ERR_NOT_IMPLEMENTED, 0, "not implemented");
}

const lwm2m_codec_t lwm2m_codec_senml_json = {LWM2M_CF_SENML_JSON, "senml-json", senml_json_decode, senml_json_encode};
