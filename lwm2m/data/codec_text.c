/* codec_text.c - text/plain (Content-Format 0): one resource or resource-instance value as
 * UTF-8 text.
 *
 * The type comes from the model, else opts->type_hint, else string. Integers, unsigned and time
 * are decimal; floats are decimal, written without exponent and with ".0" for whole numbers
 * ("3.0", "0.00000000006667") because Zephyr's parser takes no exponent, read with or without
 * one (Java clients may send "1.0E10"); NaN and infinities are "NaN", "Infinity", "-Infinity"
 * (Java's spelling; the spec has none); booleans are "0"/"1" (we also read "true"/"false" in
 * any case, but not Zephyr's "first character decides": "10" is refused); objlnk is "oid:iid"
 * (a trailing NUL is dropped); opaque is standard base64 with padding (Leshan; read with or
 * without padding); string and corelnk are the bytes as they are. An empty payload is "" for
 * string, corelnk and opaque and an error for the other types.
 *
 * The node takes the request path. At an object or instance path text/plain is refused (-406);
 * a root path means "unknown" (single-value tests) and is taken as it is.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lwm2m/codec.h"

/* ---- base64 (RFC 4648 §4, standard alphabet) ------------------------------------------------ */

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_value(uint8_t c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    return c == '/' ? 63 : -1;
}

static int b64_encode(const uint8_t *data, size_t len, lwm2m_buf_t *out)
{
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16;
        size_t n = len - i < 3 ? len - i : 3;
        if (n > 1)
            v |= (uint32_t)data[i + 1] << 8;
        if (n > 2)
            v |= data[i + 2];
        char q[4] = {b64_alphabet[v >> 18], b64_alphabet[(v >> 12) & 63],
                     n > 1 ? b64_alphabet[(v >> 6) & 63] : '=', n > 2 ? b64_alphabet[v & 63] : '='};
        int rc = lwm2m_buf_append(out, q, 4);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Decodes into a malloc'd buffer. Padding is optional; anything else outside the alphabet, or
 * a dangling single character, is an error at that offset. */
static int b64_decode(const uint8_t *text, size_t len, uint8_t **ret, size_t *ret_len,
                      lwm2m_error_t *err)
{
    size_t end = len;
    while (end > 0 && len - end < 2 && text[end - 1] == '=')
        end--;
    if ((end < len && len % 4 != 0) || end % 4 == 1)
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, end, "base64 of a wrong length");
    uint8_t *bytes = malloc(end / 4 * 3 + 3);
    if (!bytes)
        return lwm2m_error_set(err, LWM2M_ERR_INTERNAL, 0, "out of memory");
    size_t n = 0;
    uint32_t acc = 0;
    for (size_t i = 0; i < end; i++) {
        int v = b64_value(text[i]);
        if (v < 0) {
            free(bytes);
            return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, i, "invalid base64 character");
        }
        acc = acc << 6 | (uint32_t)v;
        if (i % 4 == 3) {
            bytes[n++] = (uint8_t)(acc >> 16);
            bytes[n++] = (uint8_t)(acc >> 8);
            bytes[n++] = (uint8_t)acc;
            acc = 0;
        }
    }
    if (end % 4 == 2) {
        bytes[n++] = (uint8_t)(acc >> 4);
    } else if (end % 4 == 3) {
        bytes[n++] = (uint8_t)(acc >> 10);
        bytes[n++] = (uint8_t)(acc >> 2);
    }
    *ret = bytes;
    *ret_len = n;
    return 0;
}

/* ---- numbers ----------------------------------------------------------------------------------
 */

/* Plain decimal for a finite double: the shortest digits that read back as v, laid out without
 * an exponent, ".0" for whole numbers. buf needs 400 bytes. */
static int format_plain_double(double v, char *buf, size_t size)
{
    char sci[40];
    if (!isfinite(v))
        return lwm2m_format_double(v, buf, size);
    for (int prec = 0; prec <= 16; prec++) {
        snprintf(sci, sizeof(sci), "%.*e", prec, v);
        if (strtod(sci, NULL) == v)
            break;
    }
    char digits[24];
    size_t nd = 0;
    const char *p = sci + (sci[0] == '-');
    for (; *p && *p != 'e'; p++)
        if (*p != '.')
            digits[nd++] = *p;
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    long exp = strtol(p + 1, NULL, 10); /* value = d.ddd x 10^exp */
    size_t n = 0;
    if (sci[0] == '-')
        buf[n++] = '-';
    if (exp < 0) {
        buf[n++] = '0';
        buf[n++] = '.';
        for (long i = -1; i > exp; i--)
            buf[n++] = '0';
        memcpy(buf + n, digits, nd);
        n += nd;
    } else {
        for (long i = 0; i <= exp; i++)
            buf[n++] = (size_t)i < nd ? digits[i] : '0';
        buf[n++] = '.';
        if ((size_t)exp + 1 < nd) {
            memcpy(buf + n, digits + exp + 1, nd - (size_t)exp - 1);
            n += nd - (size_t)exp - 1;
        } else {
            buf[n++] = '0';
        }
    }
    buf[n] = 0;
    return (int)n;
}

static int parse_boolean(const char *text, size_t len, bool *ret)
{
    if (len == 1 && (text[0] == '0' || text[0] == '1')) {
        *ret = text[0] == '1';
        return 0;
    }
    if (len == 4 && strncasecmp(text, "true", 4) == 0) {
        *ret = true;
        return 0;
    }
    if (len == 5 && strncasecmp(text, "false", 5) == 0) {
        *ret = false;
        return 0;
    }
    return LWM2M_ERR_BAD_REQUEST;
}

/* ---- codec ------------------------------------------------------------------------------------
 */

/* Parses a non-byte value of `type` from the text. */
static int text_parse_scalar(lwm2m_type_t type, const char *text, size_t len, lwm2m_value_t *value)
{
    int rc = LWM2M_ERR_BAD_REQUEST;
    switch (type) {
    case LWM2M_TYPE_INTEGER:
    case LWM2M_TYPE_TIME: {
        int64_t v = 0;
        rc = lwm2m_parse_int64(text, len, &v);
        *value = type == LWM2M_TYPE_TIME ? lwm2m_value_time(v) : lwm2m_value_integer(v);
        break;
    }
    case LWM2M_TYPE_UNSIGNED:
        rc = lwm2m_parse_uint64(text, len, &value->u.unsigned_integer);
        value->type = type;
        break;
    case LWM2M_TYPE_FLOAT:
        rc = lwm2m_parse_double(text, len, &value->u.floating);
        value->type = type;
        break;
    case LWM2M_TYPE_BOOLEAN:
        rc = parse_boolean(text, len, &value->u.boolean);
        value->type = type;
        break;
    case LWM2M_TYPE_OBJLNK:
        if (len > 0 && text[len - 1] == '\0')
            len--; /* Zephyr sometimes counts the terminator */
        rc = lwm2m_objlnk_parse(text, len, &value->u.objlnk);
        value->type = type;
        break;
    default:
        break;
    }
    return rc < 0 ? LWM2M_ERR_BAD_REQUEST : 0;
}

static int text_decode(const uint8_t *data, size_t len, const lwm2m_path_t *base,
                       const lwm2m_decode_opts_t *opts, lwm2m_nodes_t *out, lwm2m_error_t *err)
{
    if (base->depth == 1 || base->depth == 2)
        return lwm2m_error_set(err, LWM2M_ERR_NOT_ACCEPTABLE, 0,
                               "text/plain carries one resource value, not an object or instance");
    lwm2m_type_t type = lwm2m_decode_type(opts, base);
    if (type == LWM2M_TYPE_UNKNOWN || type == LWM2M_TYPE_NONE)
        type = LWM2M_TYPE_STRING;
    lwm2m_value_t value = {.type = type};
    uint8_t *opaque = NULL;
    int rc;
    switch (type) {
    case LWM2M_TYPE_STRING:
    case LWM2M_TYPE_CORELNK:
        value = lwm2m_value_bytes(type, data, len);
        break;
    case LWM2M_TYPE_OPAQUE:
        rc = b64_decode(data, len, &opaque, &value.u.bytes.len, err);
        if (rc < 0)
            return rc;
        value.u.bytes.data = opaque;
        break;
    case LWM2M_TYPE_MULTIPLE:
    case LWM2M_TYPE_INSTANCE:
        return lwm2m_error_set(err, LWM2M_ERR_NOT_ACCEPTABLE, 0, "text/plain can't carry a %s",
                               lwm2m_type_name(type));
    default:
        if (len == 0)
            return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, 0, "empty %s",
                                   lwm2m_type_name(type));
        if (text_parse_scalar(type, (const char *)data, len, &value) < 0)
            return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, 0, "'%.*s' is not a valid %s",
                                   len > 40 ? 40 : (int)len, (const char *)data,
                                   lwm2m_type_name(type));
    }
    rc = lwm2m_nodes_add(out, base, &value, NULL);
    free(opaque);
    if (rc < 0)
        return lwm2m_error_set(err, rc, 0, "node list limit reached");
    return 0;
}

static int text_format(const lwm2m_value_t *v, lwm2m_buf_t *out)
{
    char tmp[400];
    switch (v->type) {
    case LWM2M_TYPE_STRING:
    case LWM2M_TYPE_CORELNK:
        return lwm2m_buf_append(out, v->u.bytes.data, v->u.bytes.len);
    case LWM2M_TYPE_OPAQUE:
        return b64_encode(v->u.bytes.data, v->u.bytes.len, out);
    case LWM2M_TYPE_INTEGER:
    case LWM2M_TYPE_TIME:
        return lwm2m_buf_printf(out, "%lld", (long long)v->u.integer);
    case LWM2M_TYPE_UNSIGNED:
        return lwm2m_buf_printf(out, "%llu", (unsigned long long)v->u.unsigned_integer);
    case LWM2M_TYPE_FLOAT:
        format_plain_double(v->u.floating, tmp, sizeof(tmp));
        return lwm2m_buf_append_str(out, tmp);
    case LWM2M_TYPE_BOOLEAN:
        return lwm2m_buf_append_str(out, v->u.boolean ? "1" : "0");
    case LWM2M_TYPE_OBJLNK:
        lwm2m_objlnk_format(v->u.objlnk, tmp, sizeof(tmp));
        return lwm2m_buf_append_str(out, tmp);
    default:
        return LWM2M_ERR_NOT_ACCEPTABLE;
    }
}

static int text_encode(const lwm2m_path_t *base, const lwm2m_node_t *nodes, size_t count,
                       lwm2m_buf_t *out, lwm2m_error_t *err)
{
    if (count != 1)
        return lwm2m_error_set(err, LWM2M_ERR_NOT_ACCEPTABLE, 0,
                               "text/plain carries exactly one value, not %zu", count);
    const lwm2m_node_t *n = &nodes[0];
    if (base->depth != 0 && !lwm2m_path_equal(&n->path, base))
        return lwm2m_error_set(err, LWM2M_ERR_NOT_ACCEPTABLE, 0,
                               "text/plain carries only the value at the request path");
    int rc = text_format(&n->value, out);
    if (rc == LWM2M_ERR_NOT_ACCEPTABLE)
        return lwm2m_error_set(err, rc, 0, "text/plain can't carry a %s",
                               lwm2m_type_name(n->value.type));
    if (rc < 0)
        return lwm2m_error_set(err, rc, out->len, "output buffer limit reached");
    return 0;
}

const lwm2m_codec_t lwm2m_codec_text = {LWM2M_CF_TEXT, "text", text_decode, text_encode};
