/* error.c - filling lwm2m_error_t. */
#include "lwm2m/error.h"

#include <stdarg.h>
#include <stdio.h>

int lwm2m_error_set(lwm2m_error_t *err, int code, size_t offset, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->code = code;
        err->offset = offset;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof(err->message), fmt, ap);
        va_end(ap);
    }
    return code;
}
