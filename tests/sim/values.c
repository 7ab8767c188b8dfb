/* values.c - value conversions for the simulator: coercion of decoded values to the model's
 * type, DDF range checks, and parsing of control-channel text. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lwm2m/error.h"
#include "store.h"

bool sim_value_numeric(const lwm2m_value_t *value, double *ret)
{
    switch (value->type) {
    case LWM2M_TYPE_INTEGER:
    case LWM2M_TYPE_TIME:
        *ret = (double)value->u.integer;
        return true;
    case LWM2M_TYPE_UNSIGNED:
        *ret = (double)value->u.unsigned_integer;
        return true;
    case LWM2M_TYPE_FLOAT:
        *ret = value->u.floating;
        return true;
    default:
        return false;
    }
}

static int sim_coerce_integer(const lwm2m_value_t *in, lwm2m_type_t want, lwm2m_value_t *ret)
{
    int64_t v;
    if (in->type == LWM2M_TYPE_INTEGER || in->type == LWM2M_TYPE_TIME) {
        v = in->u.integer;
    } else if (in->type == LWM2M_TYPE_UNSIGNED) {
        if (in->u.unsigned_integer > (uint64_t)INT64_MAX)
            return LWM2M_ERR_BAD_REQUEST;
        v = (int64_t)in->u.unsigned_integer;
    } else if (in->type == LWM2M_TYPE_FLOAT) {
        double f = in->u.floating;
        if (!isfinite(f) || f != floor(f) || f < -9.2e18 || f > 9.2e18)
            return LWM2M_ERR_BAD_REQUEST;
        v = (int64_t)f;
    } else {
        return LWM2M_ERR_BAD_REQUEST;
    }
    *ret = want == LWM2M_TYPE_TIME ? lwm2m_value_time(v) : lwm2m_value_integer(v);
    return 0;
}

static int sim_coerce_unsigned(const lwm2m_value_t *in, lwm2m_value_t *ret)
{
    if (in->type == LWM2M_TYPE_UNSIGNED) {
        *ret = *in;
        return 0;
    }
    if (in->type == LWM2M_TYPE_INTEGER && in->u.integer >= 0) {
        *ret = lwm2m_value_unsigned((uint64_t)in->u.integer);
        return 0;
    }
    if (in->type == LWM2M_TYPE_FLOAT) {
        double f = in->u.floating;
        if (!isfinite(f) || f != floor(f) || f < 0 || f > 1.8e19)
            return LWM2M_ERR_BAD_REQUEST;
        *ret = lwm2m_value_unsigned((uint64_t)f);
        return 0;
    }
    return LWM2M_ERR_BAD_REQUEST;
}

int sim_value_coerce(const lwm2m_value_t *in, lwm2m_type_t want, lwm2m_value_t *ret)
{
    if (in->type == want || want == LWM2M_TYPE_UNKNOWN) {
        *ret = *in;
        return 0;
    }
    double d;
    switch (want) {
    case LWM2M_TYPE_INTEGER:
    case LWM2M_TYPE_TIME:
        return sim_coerce_integer(in, want, ret);
    case LWM2M_TYPE_UNSIGNED:
        return sim_coerce_unsigned(in, ret);
    case LWM2M_TYPE_FLOAT:
        if (!sim_value_numeric(in, &d))
            return LWM2M_ERR_BAD_REQUEST;
        *ret = lwm2m_value_float(d);
        return 0;
    case LWM2M_TYPE_CORELNK:
    case LWM2M_TYPE_STRING:
        if (in->type != LWM2M_TYPE_STRING && in->type != LWM2M_TYPE_CORELNK)
            return LWM2M_ERR_BAD_REQUEST;
        *ret = lwm2m_value_bytes(want, in->u.bytes.data, in->u.bytes.len);
        return 0;
    default:
        return LWM2M_ERR_BAD_REQUEST;
    }
}

int sim_value_check_range(const lwm2m_value_t *value, const char *range)
{
    if (!range || !*range)
        return 0;
    const char *dots = strstr(range, "..");
    if (!dots)
        return 0;
    double lo, hi;
    if (lwm2m_parse_double(range, (size_t)(dots - range), &lo) < 0 ||
        lwm2m_parse_double(dots + 2, strlen(dots + 2), &hi) < 0)
        return 0; /* an enumeration or prose: not checked */
    double v;
    if (value->type == LWM2M_TYPE_STRING || value->type == LWM2M_TYPE_OPAQUE)
        v = (double)value->u.bytes.len;
    else if (!sim_value_numeric(value, &v))
        return 0;
    return v >= lo && v <= hi ? 0 : LWM2M_ERR_BAD_REQUEST;
}

static int sim_hex_nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int sim_value_from_hex(const char *text, uint8_t *scratch, size_t size, lwm2m_value_t *ret)
{
    if (strncmp(text, "0x", 2) == 0)
        text += 2;
    size_t len = strlen(text);
    if (len % 2 || len / 2 > size)
        return LWM2M_ERR_BAD_REQUEST;
    for (size_t i = 0; i < len / 2; i++) {
        int hi = sim_hex_nibble(text[2 * i]), lo = sim_hex_nibble(text[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return LWM2M_ERR_BAD_REQUEST;
        scratch[i] = (uint8_t)(hi << 4 | lo);
    }
    *ret = lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, scratch, len / 2);
    return 0;
}

int sim_value_from_text(lwm2m_type_t type, const char *text, uint8_t *scratch, size_t size,
                        lwm2m_value_t *ret)
{
    size_t len = strlen(text);
    int rc = 0;
    switch (type) {
    case LWM2M_TYPE_INTEGER:
    case LWM2M_TYPE_TIME: {
        int64_t v;
        rc = lwm2m_parse_int64(text, len, &v);
        *ret = type == LWM2M_TYPE_TIME ? lwm2m_value_time(v) : lwm2m_value_integer(v);
        break;
    }
    case LWM2M_TYPE_UNSIGNED: {
        uint64_t v;
        rc = lwm2m_parse_uint64(text, len, &v);
        *ret = lwm2m_value_unsigned(v);
        break;
    }
    case LWM2M_TYPE_FLOAT: {
        double v;
        rc = lwm2m_parse_double(text, len, &v);
        *ret = lwm2m_value_float(v);
        break;
    }
    case LWM2M_TYPE_BOOLEAN:
        if (strcasecmp(text, "true") == 0 || strcmp(text, "1") == 0)
            *ret = lwm2m_value_boolean(true);
        else if (strcasecmp(text, "false") == 0 || strcmp(text, "0") == 0)
            *ret = lwm2m_value_boolean(false);
        else
            rc = LWM2M_ERR_BAD_REQUEST;
        break;
    case LWM2M_TYPE_OBJLNK: {
        lwm2m_objlnk_t link;
        rc = lwm2m_objlnk_parse(text, len, &link);
        *ret = lwm2m_value_objlnk(link.object, link.instance);
        break;
    }
    case LWM2M_TYPE_OPAQUE:
        return sim_value_from_hex(text, scratch, size, ret);
    case LWM2M_TYPE_STRING:
    case LWM2M_TYPE_CORELNK:
        if (len > size)
            return LWM2M_ERR_BAD_REQUEST;
        memcpy(scratch, text, len);
        *ret = lwm2m_value_bytes(type, scratch, len);
        break;
    default:
        rc = LWM2M_ERR_BAD_REQUEST;
    }
    return rc < 0 ? LWM2M_ERR_BAD_REQUEST : 0;
}
