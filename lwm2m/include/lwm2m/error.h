/* error.h - error codes and the error detail struct shared by the pure LwM2M core. */
#ifndef LWM2M_ERROR_H
#define LWM2M_ERROR_H

#include <stddef.h>

/*
 * Conventions (see STYLE.md): functions return 0 on success and a negative value on failure.
 * Inside the core the negative value is a negated CoAP code written as class*100+detail
 * (-400 Bad Request, -404 Not Found, -406 Not Acceptable, -413 Request Entity Too Large,
 * -415 Unsupported Content-Format, -500 Internal Server Error), so a handler's return value
 * becomes the response code. Detail for humans goes into an lwm2m_error_t the caller passes
 * (it may be NULL).
 */
#define LWM2M_ERR_BAD_REQUEST (-400)
#define LWM2M_ERR_NOT_FOUND (-404)
#define LWM2M_ERR_METHOD_NOT_ALLOWED (-405)
#define LWM2M_ERR_NOT_ACCEPTABLE (-406)
#define LWM2M_ERR_TOO_LARGE (-413)
#define LWM2M_ERR_UNSUPPORTED_FORMAT (-415)
#define LWM2M_ERR_INTERNAL (-500)
#define LWM2M_ERR_NOT_IMPLEMENTED (-501)

#define LWM2M_ERROR_MSG_MAX 160

typedef struct lwm2m_error {
    int code;      /* the negative code that was returned */
    size_t offset; /* byte offset in the input where the problem was found */
    char message[LWM2M_ERROR_MSG_MAX];
} lwm2m_error_t;

/* Fills err (if not NULL) and returns code, so callers can write
 * `return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, off, "truncated TLV header");`. */
int lwm2m_error_set(lwm2m_error_t *err, int code, size_t offset, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
