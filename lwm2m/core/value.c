/* value.c - type names, value constructors, node lists, objlnk and number text helpers. */
#include "lwm2m/value.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lwm2m/error.h"

static const struct {
    lwm2m_type_t type;
    const char *name;
} type_names[] = {
    {LWM2M_TYPE_UNKNOWN, "unknown"},   {LWM2M_TYPE_NONE, "none"},
    {LWM2M_TYPE_STRING, "string"},     {LWM2M_TYPE_INTEGER, "integer"},
    {LWM2M_TYPE_UNSIGNED, "unsigned"}, {LWM2M_TYPE_FLOAT, "float"},
    {LWM2M_TYPE_BOOLEAN, "boolean"},   {LWM2M_TYPE_OPAQUE, "opaque"},
    {LWM2M_TYPE_TIME, "time"},         {LWM2M_TYPE_OBJLNK, "objlnk"},
    {LWM2M_TYPE_CORELNK, "corelnk"},   {LWM2M_TYPE_MULTIPLE, "multiple"},
    {LWM2M_TYPE_INSTANCE, "instance"},
};

const char *lwm2m_type_name(lwm2m_type_t type)
{
    for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
        if (type_names[i].type == type)
            return type_names[i].name;
    return "unknown";
}

lwm2m_type_t lwm2m_type_from_name(const char *name)
{
    if (!name)
        return LWM2M_TYPE_UNKNOWN;
    for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
        if (strcasecmp(type_names[i].name, name) == 0)
            return type_names[i].type;
    if (strcasecmp(name, "Unsigned Integer") == 0)
        return LWM2M_TYPE_UNSIGNED;
    if (strcasecmp(name, "") == 0)
        return LWM2M_TYPE_NONE;
    return LWM2M_TYPE_UNKNOWN;
}

void lwm2m_nodes_init(lwm2m_nodes_t *nodes, size_t max_count, size_t max_bytes)
{
    memset(nodes, 0, sizeof(*nodes));
    nodes->max_count = max_count;
    nodes->max_bytes = max_bytes;
}

static bool has_bytes(lwm2m_type_t t)
{
    return t == LWM2M_TYPE_STRING || t == LWM2M_TYPE_OPAQUE || t == LWM2M_TYPE_CORELNK;
}

void lwm2m_nodes_clear(lwm2m_nodes_t *nodes)
{
    if (!nodes)
        return;
    for (size_t i = 0; i < nodes->count; i++)
        if (has_bytes(nodes->items[i].value.type))
            free(nodes->items[i].value.u.bytes.data);
    free(nodes->items);
    nodes->items = NULL;
    nodes->count = 0;
    nodes->capacity = 0;
    nodes->bytes = 0;
}

int lwm2m_nodes_add(lwm2m_nodes_t *nodes, const lwm2m_path_t *path, const lwm2m_value_t *value,
                    lwm2m_node_t **ret_node)
{
    size_t max_count = nodes->max_count ? nodes->max_count : LWM2M_NODES_DEFAULT_MAX;
    size_t max_bytes = nodes->max_bytes ? nodes->max_bytes : LWM2M_NODES_DEFAULT_MAX_BYTES;
    if (nodes->count >= max_count)
        return LWM2M_ERR_TOO_LARGE;
    if (nodes->count == nodes->capacity) {
        size_t cap = nodes->capacity ? nodes->capacity * 2 : 8;
        if (cap > max_count)
            cap = max_count;
        lwm2m_node_t *items = realloc(nodes->items, cap * sizeof(*items));
        if (!items)
            return LWM2M_ERR_INTERNAL;
        nodes->items = items;
        nodes->capacity = cap;
    }
    lwm2m_node_t *node = &nodes->items[nodes->count];
    memset(node, 0, sizeof(*node));
    node->path = *path;
    node->value = *value;
    if (has_bytes(value->type)) {
        size_t len = value->u.bytes.len;
        if (len > max_bytes || nodes->bytes > max_bytes - len)
            return LWM2M_ERR_TOO_LARGE;
        uint8_t *copy = malloc(len + 1);
        if (!copy)
            return LWM2M_ERR_INTERNAL;
        if (len)
            memcpy(copy, value->u.bytes.data, len);
        copy[len] = 0;
        node->value.u.bytes.data = copy;
        nodes->bytes += len;
    }
    nodes->count++;
    if (ret_node)
        *ret_node = node;
    return 0;
}

void lwm2m_nodes_strip_prefix(lwm2m_nodes_t *nodes, const char *prefix)
{
    if (!prefix || !*prefix)
        return;
    for (size_t i = 0; i < nodes->count; i++)
        if (strcmp(nodes->items[i].path.prefix, prefix) == 0)
            nodes->items[i].path.prefix[0] = 0;
}

void lwm2m_nodes_sort(lwm2m_nodes_t *nodes)
{
    /* Insertion sort: stable, and node lists are short or already nearly sorted. */
    if (nodes->count < 2)
        return;
    for (size_t i = 1; i < nodes->count; i++) {
        lwm2m_node_t tmp = nodes->items[i];
        size_t j = i;
        while (j > 0 && lwm2m_path_compare(&nodes->items[j - 1].path, &tmp.path) > 0) {
            nodes->items[j] = nodes->items[j - 1];
            j--;
        }
        nodes->items[j] = tmp;
    }
}

lwm2m_value_t lwm2m_value_integer(int64_t v)
{
    lwm2m_value_t x = {.type = LWM2M_TYPE_INTEGER};
    x.u.integer = v;
    return x;
}

lwm2m_value_t lwm2m_value_unsigned(uint64_t v)
{
    lwm2m_value_t x = {.type = LWM2M_TYPE_UNSIGNED};
    x.u.unsigned_integer = v;
    return x;
}

lwm2m_value_t lwm2m_value_float(double v)
{
    lwm2m_value_t x = {.type = LWM2M_TYPE_FLOAT};
    x.u.floating = v;
    return x;
}

lwm2m_value_t lwm2m_value_boolean(bool v)
{
    lwm2m_value_t x = {.type = LWM2M_TYPE_BOOLEAN};
    x.u.boolean = v;
    return x;
}

lwm2m_value_t lwm2m_value_time(int64_t v)
{
    lwm2m_value_t x = {.type = LWM2M_TYPE_TIME};
    x.u.integer = v;
    return x;
}

lwm2m_value_t lwm2m_value_objlnk(uint16_t object, uint16_t instance)
{
    lwm2m_value_t x = {.type = LWM2M_TYPE_OBJLNK};
    x.u.objlnk.object = object;
    x.u.objlnk.instance = instance;
    return x;
}

lwm2m_value_t lwm2m_value_bytes(lwm2m_type_t type, const void *data, size_t len)
{
    lwm2m_value_t x = {.type = type};
    x.u.bytes.data = (uint8_t *)(uintptr_t)data;
    x.u.bytes.len = len;
    return x;
}

lwm2m_value_t lwm2m_value_none(lwm2m_type_t type)
{
    lwm2m_value_t x = {.type = type};
    return x;
}

int lwm2m_parse_uint64(const char *text, size_t len, uint64_t *ret)
{
    if (len == 0)
        return LWM2M_ERR_BAD_REQUEST;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (c < '0' || c > '9')
            return LWM2M_ERR_BAD_REQUEST;
        unsigned d = (unsigned)(c - '0');
        if (v > (UINT64_MAX - d) / 10)
            return LWM2M_ERR_TOO_LARGE;
        v = v * 10 + d;
    }
    *ret = v;
    return 0;
}

int lwm2m_parse_int64(const char *text, size_t len, int64_t *ret)
{
    bool neg = len > 0 && text[0] == '-';
    uint64_t mag;
    int rc = lwm2m_parse_uint64(text + neg, len - neg, &mag);
    if (rc < 0)
        return rc;
    if (neg) {
        if (mag > (uint64_t)INT64_MAX + 1)
            return LWM2M_ERR_TOO_LARGE;
        *ret = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
    } else {
        if (mag > (uint64_t)INT64_MAX)
            return LWM2M_ERR_TOO_LARGE;
        *ret = (int64_t)mag;
    }
    return 0;
}

int lwm2m_parse_double(const char *text, size_t len, double *ret)
{
    char tmp[400];
    size_t i = 0;
    if (len == 3 && memcmp(text, "NaN", 3) == 0) {
        *ret = NAN;
        return 0;
    }
    if (len == 8 && memcmp(text, "Infinity", 8) == 0) {
        *ret = INFINITY;
        return 0;
    }
    if (len == 9 && memcmp(text, "-Infinity", 9) == 0) {
        *ret = -INFINITY;
        return 0;
    }
    if (len == 0 || len >= sizeof(tmp))
        return LWM2M_ERR_BAD_REQUEST;
    /* Validate the grammar ourselves: strtod also takes hex, "inf", leading spaces. */
    if (text[i] == '-' || text[i] == '+')
        i++;
    size_t digits = 0;
    while (i < len && text[i] >= '0' && text[i] <= '9')
        i++, digits++;
    if (i < len && text[i] == '.') {
        i++;
        while (i < len && text[i] >= '0' && text[i] <= '9')
            i++, digits++;
    }
    if (digits == 0)
        return LWM2M_ERR_BAD_REQUEST;
    if (i < len && (text[i] == 'e' || text[i] == 'E')) {
        i++;
        if (i < len && (text[i] == '-' || text[i] == '+'))
            i++;
        size_t exp_digits = 0;
        while (i < len && text[i] >= '0' && text[i] <= '9')
            i++, exp_digits++;
        if (exp_digits == 0)
            return LWM2M_ERR_BAD_REQUEST;
    }
    if (i != len)
        return LWM2M_ERR_BAD_REQUEST;
    memcpy(tmp, text, len);
    tmp[len] = 0;
    errno = 0;
    double v = strtod(tmp, NULL);
    if (errno == ERANGE && isinf(v))
        return LWM2M_ERR_TOO_LARGE;
    *ret = v;
    return 0;
}

int lwm2m_format_double(double v, char *buf, size_t size)
{
    int n;
    if (isnan(v))
        return snprintf(buf, size, "NaN");
    if (isinf(v))
        return snprintf(buf, size, v < 0 ? "-Infinity" : "Infinity");
    if (v == floor(v) && fabs(v) < 1e15) /* whole numbers in plain decimal: "-10.0" */
        return snprintf(buf, size, "%.1f", v);
    for (int prec = 1; prec <= 17; prec++) {
        n = snprintf(buf, size, "%.*g", prec, v);
        if (n < 0 || (size_t)n >= size)
            return LWM2M_ERR_TOO_LARGE;
        if (strtod(buf, NULL) == v)
            break;
    }
    if (!strpbrk(buf, ".eEn")) {
        if ((size_t)n + 2 >= size)
            return LWM2M_ERR_TOO_LARGE;
        memcpy(buf + n, ".0", 3);
        n += 2;
    }
    return n;
}

int lwm2m_objlnk_parse(const char *text, size_t len, lwm2m_objlnk_t *ret)
{
    const char *colon = memchr(text, ':', len);
    uint64_t o, i;
    if (!colon)
        return LWM2M_ERR_BAD_REQUEST;
    size_t olen = (size_t)(colon - text);
    if (lwm2m_parse_uint64(text, olen, &o) < 0 ||
        lwm2m_parse_uint64(colon + 1, len - olen - 1, &i) < 0 || o > 65535 || i > 65535)
        return LWM2M_ERR_BAD_REQUEST;
    ret->object = (uint16_t)o;
    ret->instance = (uint16_t)i;
    return 0;
}

int lwm2m_objlnk_format(lwm2m_objlnk_t link, char *buf, size_t size)
{
    int n = snprintf(buf, size, "%u:%u", (unsigned)link.object, (unsigned)link.instance);
    if (n < 0 || (size_t)n >= size)
        return LWM2M_ERR_TOO_LARGE;
    return n;
}
