/* buf.c - growable output buffer with a hard limit. */
#include "lwm2m/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/error.h"

void lwm2m_buf_init(lwm2m_buf_t *buf, size_t max)
{
    memset(buf, 0, sizeof(*buf));
    buf->max = max;
}

void lwm2m_buf_free(lwm2m_buf_t *buf)
{
    if (!buf)
        return;
    free(buf->data);
    buf->data = NULL;
    buf->len = 0;
    buf->cap = 0;
}

void lwm2m_buf_reset(lwm2m_buf_t *buf)
{
    buf->len = 0;
    if (buf->data)
        buf->data[0] = 0;
}

static int buf_reserve(lwm2m_buf_t *buf, size_t extra)
{
    size_t max = buf->max ? buf->max : LWM2M_BUF_DEFAULT_MAX;
    if (extra > max || buf->len > max - extra)
        return LWM2M_ERR_TOO_LARGE;
    size_t need = buf->len + extra + 1; /* room for the trailing NUL */
    if (need <= buf->cap)
        return 0;
    size_t cap = buf->cap ? buf->cap : 64;
    while (cap < need)
        cap *= 2;
    uint8_t *data = realloc(buf->data, cap);
    if (!data)
        return LWM2M_ERR_INTERNAL;
    buf->data = data;
    buf->cap = cap;
    return 0;
}

int lwm2m_buf_append(lwm2m_buf_t *buf, const void *data, size_t len)
{
    int rc = buf_reserve(buf, len);
    if (rc < 0)
        return rc;
    if (len)
        memcpy(buf->data + buf->len, data, len);
    buf->len += len;
    buf->data[buf->len] = 0;
    return 0;
}

int lwm2m_buf_append_byte(lwm2m_buf_t *buf, uint8_t byte)
{
    return lwm2m_buf_append(buf, &byte, 1);
}

int lwm2m_buf_append_str(lwm2m_buf_t *buf, const char *str)
{
    return lwm2m_buf_append(buf, str, strlen(str));
}

int lwm2m_buf_printf(lwm2m_buf_t *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return LWM2M_ERR_INTERNAL;
    int rc = buf_reserve(buf, (size_t)n);
    if (rc < 0)
        return rc;
    va_start(ap, fmt);
    vsnprintf((char *)buf->data + buf->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    buf->len += (size_t)n;
    return 0;
}
