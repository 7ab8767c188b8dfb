/* paths.c - placeholder for composite path lists (SenML-ETCH), replaced by the real code. */
#include "lwm2m/codec.h"

int lwm2m_paths_decode(uint16_t content_format, const uint8_t *data, size_t len,
                       lwm2m_path_t *paths, size_t max_paths, size_t *ret_count,
                       lwm2m_error_t *err)
{
    (void)content_format, (void)data, (void)len, (void)paths, (void)max_paths, (void)ret_count;
    return lwm2m_error_set(err, LWM2M_ERR_NOT_IMPLEMENTED, 0, "not implemented");
}

int lwm2m_paths_encode(uint16_t content_format, const lwm2m_path_t *paths, size_t count,
                       lwm2m_buf_t *out, lwm2m_error_t *err)
{
    (void)content_format, (void)paths, (void)count, (void)out;
    return lwm2m_error_set(err, LWM2M_ERR_NOT_IMPLEMENTED, 0, "not implemented");
}
