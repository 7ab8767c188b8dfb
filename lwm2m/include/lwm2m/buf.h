/* buf.h - a growable output byte buffer with a hard size limit, used by every encoder. */
#ifndef LWM2M_BUF_H
#define LWM2M_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct lwm2m_buf {
    uint8_t *data; /* owned; always NUL-terminated past len when data != NULL */
    size_t len;
    size_t cap;
    size_t max; /* 0 means LWM2M_BUF_DEFAULT_MAX */
} lwm2m_buf_t;

#define LWM2M_BUF_DEFAULT_MAX (8u * 1024u * 1024u)

/* A zero-initialised buffer is valid and empty. */
void lwm2m_buf_init(lwm2m_buf_t *buf, size_t max);
/* Frees the memory; the buffer is empty and reusable. Accepts NULL. */
void lwm2m_buf_free(lwm2m_buf_t *buf);
void lwm2m_buf_reset(lwm2m_buf_t *buf); /* len = 0, keeps memory */

/* Each returns 0, or -413 when max would be exceeded, -500 on allocation failure. */
int lwm2m_buf_append(lwm2m_buf_t *buf, const void *data, size_t len);
int lwm2m_buf_append_byte(lwm2m_buf_t *buf, uint8_t byte);
int lwm2m_buf_append_str(lwm2m_buf_t *buf, const char *str);
int lwm2m_buf_printf(lwm2m_buf_t *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
