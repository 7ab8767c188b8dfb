/* nodejson.c - node lists <-> JSON (the vector node format). */
#include "nodejson.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/error.h"

#define SAFE_INT (1LL << 53)

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

long nodejson_hex_decode(const char *hex, size_t hexlen, unsigned char *out, size_t outlen)
{
    if (hexlen % 2 || hexlen / 2 > outlen)
        return -1;
    for (size_t i = 0; i < hexlen / 2; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return (long)(hexlen / 2);
}

void nodejson_hex_encode(const unsigned char *data, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[data[i] >> 4];
        out[2 * i + 1] = digits[data[i] & 15];
    }
    out[2 * len] = 0;
}

static int fail(char *errbuf, size_t errlen, size_t index, const char *what)
{
    snprintf(errbuf, errlen, "node %zu: %s", index, what);
    return LWM2M_ERR_BAD_REQUEST;
}

static int json_to_int64(json_object *j, int64_t *ret)
{
    if (json_object_is_type(j, json_type_int)) {
        int64_t v = json_object_get_int64(j);
        if (v == INT64_MAX && json_object_get_uint64(j) != (uint64_t)INT64_MAX)
            return -1;
        *ret = v;
        return 0;
    }
    if (json_object_is_type(j, json_type_string))
        return lwm2m_parse_int64(json_object_get_string(j), (size_t)json_object_get_string_len(j),
                                 ret) < 0
                   ? -1
                   : 0;
    if (json_object_is_type(j, json_type_double)) {
        double d = json_object_get_double(j);
        if (d != floor(d) || fabs(d) > 9.2e18)
            return -1;
        *ret = (int64_t)d;
        return 0;
    }
    return -1;
}

static int json_to_uint64(json_object *j, uint64_t *ret)
{
    if (json_object_is_type(j, json_type_int)) {
        int64_t v = json_object_get_int64(j);
        if (v < 0)
            return -1;
        *ret = v == INT64_MAX ? json_object_get_uint64(j) : (uint64_t)v;
        return 0;
    }
    if (json_object_is_type(j, json_type_string))
        return lwm2m_parse_uint64(json_object_get_string(j), (size_t)json_object_get_string_len(j),
                                  ret) < 0
                   ? -1
                   : 0;
    if (json_object_is_type(j, json_type_double)) {
        double d = json_object_get_double(j);
        if (d != floor(d) || d < 0 || d > 1.8e19)
            return -1;
        *ret = (uint64_t)d;
        return 0;
    }
    return -1;
}

static int json_to_double(json_object *j, double *ret)
{
    if (json_object_is_type(j, json_type_double) || json_object_is_type(j, json_type_int)) {
        if (json_object_is_type(j, json_type_int)) {
            int64_t v = json_object_get_int64(j);
            *ret = v == INT64_MAX ? (double)json_object_get_uint64(j) : (double)v;
        } else {
            *ret = json_object_get_double(j);
        }
        return 0;
    }
    if (json_object_is_type(j, json_type_string))
        return lwm2m_parse_double(json_object_get_string(j), (size_t)json_object_get_string_len(j),
                                  ret) < 0
                   ? -1
                   : 0;
    return -1;
}

int nodejson_parse(json_object *array, lwm2m_nodes_t *out, char *errbuf, size_t errlen)
{
    if (!json_object_is_type(array, json_type_array)) {
        snprintf(errbuf, errlen, "expected a JSON array of nodes");
        return LWM2M_ERR_BAD_REQUEST;
    }
    size_t n = json_object_array_length(array);
    for (size_t i = 0; i < n; i++) {
        json_object *node = json_object_array_get_idx(array, i);
        json_object *jpath, *jtype, *jvalue, *jtime, *jprefix;
        if (!json_object_is_type(node, json_type_object))
            return fail(errbuf, errlen, i, "not a JSON object");
        if (!json_object_object_get_ex(node, "path", &jpath) ||
            !json_object_is_type(jpath, json_type_string))
            return fail(errbuf, errlen, i, "missing \"path\" string");
        if (!json_object_object_get_ex(node, "type", &jtype) ||
            !json_object_is_type(jtype, json_type_string))
            return fail(errbuf, errlen, i, "missing \"type\" string");
        if (!json_object_object_get_ex(node, "value", &jvalue))
            jvalue = NULL;
        lwm2m_path_t path;
        const char *ptext = json_object_get_string(jpath);
        if (lwm2m_path_parse(ptext, strlen(ptext),
                             LWM2M_PATH_ALLOW_PREFIX | LWM2M_PATH_ALLOW_RESERVED, &path) < 0)
            return fail(errbuf, errlen, i, "bad path");
        if (json_object_object_get_ex(node, "prefix", &jprefix)) {
            const char *p = json_object_get_string(jprefix);
            if (!json_object_is_type(jprefix, json_type_string) || strlen(p) >= LWM2M_PREFIX_MAX)
                return fail(errbuf, errlen, i, "bad prefix");
            strcpy(path.prefix, p);
        }
        lwm2m_type_t type = lwm2m_type_from_name(json_object_get_string(jtype));
        lwm2m_value_t v = lwm2m_value_none(type);
        unsigned char *tmp = NULL;
        int bad = 0;
        switch (type) {
        case LWM2M_TYPE_UNKNOWN:
            return fail(errbuf, errlen, i, "unknown type");
        case LWM2M_TYPE_NONE:
        case LWM2M_TYPE_MULTIPLE:
        case LWM2M_TYPE_INSTANCE:
            break;
        case LWM2M_TYPE_STRING:
        case LWM2M_TYPE_CORELNK:
            if (!jvalue || !json_object_is_type(jvalue, json_type_string))
                return fail(errbuf, errlen, i, "expected a string value");
            v = lwm2m_value_bytes(type, json_object_get_string(jvalue),
                                  (size_t)json_object_get_string_len(jvalue));
            break;
        case LWM2M_TYPE_OPAQUE: {
            if (!jvalue || !json_object_is_type(jvalue, json_type_string))
                return fail(errbuf, errlen, i, "expected a hex string value");
            size_t hl = (size_t)json_object_get_string_len(jvalue);
            tmp = malloc(hl / 2 + 1);
            long bl =
                tmp ? nodejson_hex_decode(json_object_get_string(jvalue), hl, tmp, hl / 2) : -1;
            if (bl < 0) {
                free(tmp);
                return fail(errbuf, errlen, i, "bad hex in opaque value");
            }
            v = lwm2m_value_bytes(type, tmp, (size_t)bl);
            break;
        }
        case LWM2M_TYPE_INTEGER:
        case LWM2M_TYPE_TIME:
            bad = !jvalue || json_to_int64(jvalue, &v.u.integer) < 0;
            break;
        case LWM2M_TYPE_UNSIGNED:
            bad = !jvalue || json_to_uint64(jvalue, &v.u.unsigned_integer) < 0;
            break;
        case LWM2M_TYPE_FLOAT:
            bad = !jvalue || json_to_double(jvalue, &v.u.floating) < 0;
            break;
        case LWM2M_TYPE_BOOLEAN:
            bad = !jvalue || !json_object_is_type(jvalue, json_type_boolean);
            if (!bad)
                v.u.boolean = json_object_get_boolean(jvalue);
            break;
        case LWM2M_TYPE_OBJLNK:
            bad = !jvalue || !json_object_is_type(jvalue, json_type_string) ||
                  lwm2m_objlnk_parse(json_object_get_string(jvalue),
                                     (size_t)json_object_get_string_len(jvalue), &v.u.objlnk) < 0;
            break;
        }
        if (bad)
            return fail(errbuf, errlen, i, "value does not match its type");
        lwm2m_node_t *added;
        int rc = lwm2m_nodes_add(out, &path, &v, &added);
        free(tmp);
        if (rc < 0)
            return fail(errbuf, errlen, i, "too many nodes or bytes");
        if (json_object_object_get_ex(node, "time", &jtime)) {
            if (json_to_double(jtime, &added->time) < 0)
                return fail(errbuf, errlen, i, "bad time");
            added->has_time = true;
        }
    }
    return 0;
}

static json_object *new_double(double d)
{
    char buf[40];
    if (isnan(d) || isinf(d)) {
        lwm2m_format_double(d, buf, sizeof(buf));
        return json_object_new_string(buf);
    }
    lwm2m_format_double(d, buf, sizeof(buf));
    return json_object_new_double_s(d, buf);
}

static json_object *new_int64(int64_t v)
{
    if (v > SAFE_INT || v < -SAFE_INT) {
        char buf[24];
        snprintf(buf, sizeof(buf), "%" PRId64, v);
        return json_object_new_string(buf);
    }
    return json_object_new_int64(v);
}

json_object *nodejson_value(const lwm2m_value_t *value)
{
    char buf[24];
    switch (value->type) {
    case LWM2M_TYPE_STRING:
    case LWM2M_TYPE_CORELNK:
        return json_object_new_string_len((const char *)value->u.bytes.data,
                                          (int)value->u.bytes.len);
    case LWM2M_TYPE_OPAQUE: {
        char *hex = malloc(value->u.bytes.len * 2 + 1);
        if (!hex)
            return NULL;
        nodejson_hex_encode(value->u.bytes.data, value->u.bytes.len, hex);
        json_object *j = json_object_new_string(hex);
        free(hex);
        return j;
    }
    case LWM2M_TYPE_INTEGER:
    case LWM2M_TYPE_TIME:
        return new_int64(value->u.integer);
    case LWM2M_TYPE_UNSIGNED:
        if (value->u.unsigned_integer > (uint64_t)SAFE_INT) {
            snprintf(buf, sizeof(buf), "%" PRIu64, value->u.unsigned_integer);
            return json_object_new_string(buf);
        }
        return json_object_new_int64((int64_t)value->u.unsigned_integer);
    case LWM2M_TYPE_FLOAT:
        return new_double(value->u.floating);
    case LWM2M_TYPE_BOOLEAN:
        return json_object_new_boolean(value->u.boolean);
    case LWM2M_TYPE_OBJLNK:
        lwm2m_objlnk_format(value->u.objlnk, buf, sizeof(buf));
        return json_object_new_string(buf);
    case LWM2M_TYPE_MULTIPLE:
    case LWM2M_TYPE_INSTANCE:
        return json_object_new_array();
    case LWM2M_TYPE_NONE:
    case LWM2M_TYPE_UNKNOWN:
        break;
    }
    return NULL; /* JSON null */
}

json_object *nodejson_from_nodes(const lwm2m_node_t *nodes, size_t count)
{
    json_object *array = json_object_new_array();
    for (size_t i = 0; i < count; i++) {
        const lwm2m_node_t *n = &nodes[i];
        json_object *o = json_object_new_object();
        char path[LWM2M_PATH_STR_MAX];
        lwm2m_path_t local = n->path;
        local.prefix[0] = 0;
        lwm2m_path_format(&local, path, sizeof(path));
        json_object_object_add(o, "path", json_object_new_string(path));
        json_object_object_add(o, "type", json_object_new_string(lwm2m_type_name(n->value.type)));
        json_object_object_add(o, "value", nodejson_value(&n->value));
        if (n->has_time)
            json_object_object_add(o, "time",
                                   n->time == floor(n->time) && fabs(n->time) < 9e15
                                       ? json_object_new_int64((int64_t)n->time)
                                       : new_double(n->time));
        if (n->path.prefix[0])
            json_object_object_add(o, "prefix", json_object_new_string(n->path.prefix));
        json_object_array_add(array, o);
    }
    return array;
}

bool nodejson_value_equal(const lwm2m_value_t *a, const lwm2m_value_t *b)
{
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case LWM2M_TYPE_STRING:
    case LWM2M_TYPE_CORELNK:
    case LWM2M_TYPE_OPAQUE:
        return a->u.bytes.len == b->u.bytes.len &&
               (a->u.bytes.len == 0 ||
                memcmp(a->u.bytes.data, b->u.bytes.data, a->u.bytes.len) == 0);
    case LWM2M_TYPE_INTEGER:
    case LWM2M_TYPE_TIME:
        return a->u.integer == b->u.integer;
    case LWM2M_TYPE_UNSIGNED:
        return a->u.unsigned_integer == b->u.unsigned_integer;
    case LWM2M_TYPE_FLOAT:
        return (isnan(a->u.floating) && isnan(b->u.floating)) || a->u.floating == b->u.floating;
    case LWM2M_TYPE_BOOLEAN:
        return a->u.boolean == b->u.boolean;
    case LWM2M_TYPE_OBJLNK:
        return a->u.objlnk.object == b->u.objlnk.object &&
               a->u.objlnk.instance == b->u.objlnk.instance;
    default:
        return true;
    }
}
