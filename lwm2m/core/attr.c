/* attr.c - notification attributes in Write-Attributes / Observe queries. */
#include "lwm2m/attr.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum value_kind { KIND_UINT, KIND_NUMBER, KIND_STEP, KIND_BIT, KIND_DIM, KIND_VERSION, KIND_NONE };

static const struct {
    const char *name;
    enum value_kind kind;
    bool unsettable; /* may come without a value, meaning "unset" */
} attr_table[LWM2M_ATTR_COUNT] = {
    [LWM2M_ATTR_DIM] = {"dim", KIND_DIM, false},
    [LWM2M_ATTR_VER] = {"ver", KIND_VERSION, false},
    [LWM2M_ATTR_PMIN] = {"pmin", KIND_UINT, true},
    [LWM2M_ATTR_PMAX] = {"pmax", KIND_UINT, true},
    [LWM2M_ATTR_EPMIN] = {"epmin", KIND_UINT, true},
    [LWM2M_ATTR_EPMAX] = {"epmax", KIND_UINT, true},
    [LWM2M_ATTR_HQMAX] = {"hqmax", KIND_UINT, true},
    [LWM2M_ATTR_LT] = {"lt", KIND_NUMBER, true},
    [LWM2M_ATTR_GT] = {"gt", KIND_NUMBER, true},
    [LWM2M_ATTR_ST] = {"st", KIND_STEP, true},
    [LWM2M_ATTR_EDGE] = {"edge", KIND_BIT, true},
    [LWM2M_ATTR_CON] = {"con", KIND_BIT, true},
    [LWM2M_ATTR_CANCEL] = {"cancel", KIND_NONE, false},
};

const char *lwm2m_attr_name(lwm2m_attr_id_t id)
{
    return (unsigned)id < LWM2M_ATTR_COUNT ? attr_table[id].name : NULL;
}

static int find_attr(const char *name, size_t len)
{
    for (int id = 0; id < LWM2M_ATTR_COUNT; id++)
        if (strlen(attr_table[id].name) == len && memcmp(attr_table[id].name, name, len) == 0)
            return id;
    return -1;
}

static uint32_t *uint_field(lwm2m_attrs_t *a, int id)
{
    switch (id) {
    case LWM2M_ATTR_PMIN:
        return &a->pmin;
    case LWM2M_ATTR_PMAX:
        return &a->pmax;
    case LWM2M_ATTR_EPMIN:
        return &a->epmin;
    case LWM2M_ATTR_EPMAX:
        return &a->epmax;
    default:
        return &a->hqmax;
    }
}

static double *number_field(lwm2m_attrs_t *a, int id)
{
    return id == LWM2M_ATTR_LT ? &a->lt : id == LWM2M_ATTR_GT ? &a->gt : &a->st;
}

/* "major.minor", each 0..255. */
static bool is_version(const char *v, size_t len)
{
    const char *dot = memchr(v, '.', len);
    uint64_t x;
    return dot && lwm2m_parse_uint64(v, (size_t)(dot - v), &x) == 0 && x <= 255 &&
           lwm2m_parse_uint64(dot + 1, len - (size_t)(dot - v) - 1, &x) == 0 && x <= 255 &&
           len < LWM2M_ATTR_VER_MAX;
}

/* Stores the value text of attribute id into a. Returns NULL or what is wrong. */
static const char *store_value(lwm2m_attrs_t *a, int id, const char *v, size_t len)
{
    uint64_t u;
    double d;
    switch (attr_table[id].kind) {
    case KIND_UINT:
    case KIND_DIM:
        if (lwm2m_parse_uint64(v, len, &u) < 0 ||
            u > (attr_table[id].kind == KIND_DIM ? 255u : UINT32_MAX))
            return "needs an unsigned integer in range";
        if (id == LWM2M_ATTR_DIM)
            a->dim = (uint8_t)u;
        else
            *uint_field(a, id) = (uint32_t)u;
        return NULL;
    case KIND_NUMBER:
    case KIND_STEP:
        if (lwm2m_parse_double(v, len, &d) < 0 || !isfinite(d))
            return "needs a decimal number";
        if (attr_table[id].kind == KIND_STEP && d < 0)
            return "must not be negative";
        *number_field(a, id) = d;
        return NULL;
    case KIND_BIT:
        if (len != 1 || (v[0] != '0' && v[0] != '1'))
            return "must be 0 or 1";
        *(id == LWM2M_ATTR_EDGE ? &a->edge : &a->con) = v[0] == '1';
        return NULL;
    case KIND_VERSION:
        if (!is_version(v, len))
            return "needs a major.minor version";
        memcpy(a->ver, v, len);
        a->ver[len] = 0;
        return NULL;
    case KIND_NONE:
        return "takes no value";
    }
    return "is not supported";
}

/* Adds name[=value]; `off` is where the parameter starts in the caller's input. */
static int attrs_add_at(lwm2m_attrs_t *attrs, const char *name, size_t name_len, const char *value,
                        size_t value_len, size_t off, lwm2m_error_t *err)
{
    int id = find_attr(name, name_len);
    const char *why = NULL;
    lwm2m_attrs_t tmp = *attrs;
    if (name_len == 0)
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, off, "attributes: empty parameter");
    if (id < 0)
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, off,
                               "attributes: unknown attribute '%.*s'",
                               (int)(name_len > 32 ? 32 : name_len), name);
    if ((attrs->present | attrs->unset) & LWM2M_ATTR_BIT(id))
        why = "is given twice";
    else if (!value && id == LWM2M_ATTR_CANCEL)
        tmp.present |= LWM2M_ATTR_BIT(id);
    else if (!value && attr_table[id].unsettable)
        tmp.unset |= LWM2M_ATTR_BIT(id);
    else if (!value)
        why = "needs a value";
    else if (value_len == 0)
        why = "has an empty value";
    else if (!(why = store_value(&tmp, id, value, value_len)))
        tmp.present |= LWM2M_ATTR_BIT(id);
    if (why)
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, off, "attributes: %s %s",
                               attr_table[id].name, why);
    *attrs = tmp;
    return 0;
}

int lwm2m_attrs_add(lwm2m_attrs_t *attrs, const char *name, size_t name_len, const char *value,
                    size_t value_len, lwm2m_error_t *err)
{
    return attrs_add_at(attrs, name, name_len, value, value_len, 0, err);
}

int lwm2m_attrs_parse(const char *text, size_t len, lwm2m_attrs_t *ret, lwm2m_error_t *err)
{
    lwm2m_attrs_t attrs;
    size_t start = 0;
    memset(&attrs, 0, sizeof(attrs));
    for (size_t i = 0; text && len > 0 && i <= len; i++) {
        if (i < len && text[i] != '&')
            continue;
        const char *seg = text + start;
        size_t n = i - start;
        const char *eq = memchr(seg, '=', n);
        size_t name_len = eq ? (size_t)(eq - seg) : n;
        int rc = attrs_add_at(&attrs, seg, name_len, eq ? eq + 1 : NULL, eq ? n - name_len - 1 : 0,
                              start, err);
        if (rc < 0)
            return rc;
        start = i + 1;
    }
    *ret = attrs;
    return 0;
}

int lwm2m_attrs_from_query(const lwm2m_query_t *query, lwm2m_attrs_t *ret, lwm2m_error_t *err)
{
    lwm2m_attrs_t attrs;
    memset(&attrs, 0, sizeof(attrs));
    for (size_t i = 0; i < query->count; i++) {
        const lwm2m_query_param_t *p = &query->items[i];
        const char *v = p->value;
        int rc = attrs_add_at(&attrs, p->key, strlen(p->key), v, v ? strlen(v) : 0, i, err);
        if (rc < 0)
            return rc;
    }
    *ret = attrs;
    return 0;
}

/* ---- validation ---- */

static int invalid(lwm2m_error_t *err, const char *name, const char *why)
{
    return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, 0, "attributes: %s %s", name, why);
}

static bool is_numeric_type(lwm2m_type_t type)
{
    return type == LWM2M_TYPE_INTEGER || type == LWM2M_TYPE_UNSIGNED || type == LWM2M_TYPE_FLOAT;
}

/* Level and type rules, attribute by attribute. */
static int validate_placement(uint32_t given, uint8_t depth, lwm2m_type_t type, lwm2m_error_t *err)
{
    const uint32_t resource_only = LWM2M_ATTR_BIT(LWM2M_ATTR_LT) | LWM2M_ATTR_BIT(LWM2M_ATTR_GT) |
                                   LWM2M_ATTR_BIT(LWM2M_ATTR_ST) | LWM2M_ATTR_BIT(LWM2M_ATTR_EDGE);
    const uint32_t numeric_only = resource_only & ~LWM2M_ATTR_BIT(LWM2M_ATTR_EDGE);
    for (int id = 0; id < LWM2M_ATTR_COUNT; id++) {
        uint32_t bit = LWM2M_ATTR_BIT(id);
        const char *name = attr_table[id].name;
        if (!(given & bit))
            continue;
        if (depth == 0)
            return invalid(err, name, "can't be attached to the root path");
        if (id == LWM2M_ATTR_DIM || id == LWM2M_ATTR_VER)
            return invalid(err, name, "is read-only");
        if ((bit & resource_only) && depth < 3)
            return invalid(err, name, "needs a resource or resource instance path");
        if ((bit & numeric_only) && type != LWM2M_TYPE_UNKNOWN && !is_numeric_type(type))
            return invalid(err, name, "needs a numeric resource");
        if (id == LWM2M_ATTR_EDGE && type != LWM2M_TYPE_UNKNOWN && type != LWM2M_TYPE_BOOLEAN)
            return invalid(err, name, "needs a boolean resource");
    }
    return 0;
}

int lwm2m_attrs_validate(const lwm2m_attrs_t *attrs, uint8_t depth, lwm2m_type_t type,
                         lwm2m_error_t *err)
{
    uint32_t has = attrs->present;
#define HAS(id) ((has & LWM2M_ATTR_BIT(LWM2M_ATTR_##id)) != 0)
    int rc = validate_placement(attrs->present | attrs->unset, depth, type, err);
    if (rc < 0)
        return rc;
    if ((HAS(LT) && !isfinite(attrs->lt)) || (HAS(GT) && !isfinite(attrs->gt)) ||
        (HAS(ST) && !(isfinite(attrs->st) && attrs->st >= 0)))
        return invalid(err, "lt/gt/st", "must be finite (st not negative)");
    if (HAS(PMIN) && HAS(PMAX) && attrs->pmin > attrs->pmax)
        return invalid(err, "pmin", "must not exceed pmax");
    if (HAS(EPMIN) && HAS(EPMAX) && attrs->epmin > attrs->epmax)
        return invalid(err, "epmin", "must not exceed epmax");
    if (HAS(LT) && HAS(GT) && !(attrs->lt < attrs->gt))
        return invalid(err, "lt", "must be less than gt");
    if (HAS(LT) && HAS(GT) && HAS(ST) && !(attrs->lt + 2 * attrs->st < attrs->gt))
        return invalid(err, "lt + 2*st", "must be less than gt");
#undef HAS
    return 0;
}

/* ---- writing ---- */

int lwm2m_attr_format_number(double v, char *buf, size_t size)
{
    char e[40], digits[24];
    size_t nd = 0, o = 0;
    if (!isfinite(v))
        return LWM2M_ERR_BAD_REQUEST;
    if (v == 0)
        v = 0; /* no "-0" */
    for (int prec = 0; prec <= 17; prec++) {
        snprintf(e, sizeof(e), "%.*e", prec, v);
        if (strtod(e, NULL) == v)
            break;
    }
    char *p = e + (e[0] == '-');
    for (; *p && *p != 'e'; p++)
        if (*p != '.')
            digits[nd++] = *p;
    long point = strtol(p + 1, NULL, 10) + 1; /* decimal point after `point` digits */
    size_t need = nd + (size_t)labs(point) + 4;
    if (need > size)
        return LWM2M_ERR_TOO_LARGE;
    if (e[0] == '-')
        buf[o++] = '-';
    if (point <= 0) {
        buf[o++] = '0';
        buf[o++] = '.';
        for (long z = 0; z < -point; z++)
            buf[o++] = '0';
    }
    for (size_t i = 0; i < nd; i++) {
        if (point > 0 && i == (size_t)point)
            buf[o++] = '.';
        buf[o++] = digits[i];
    }
    for (long z = (long)nd; z < point; z++)
        buf[o++] = '0';
    buf[o] = 0;
    return (int)o;
}

/* The value text of a present attribute into buf. */
static int format_value(const lwm2m_attrs_t *a, int id, char *buf, size_t size)
{
    lwm2m_attrs_t *m = (lwm2m_attrs_t *)a; /* the field helpers don't write */
    switch (attr_table[id].kind) {
    case KIND_UINT:
        return snprintf(buf, size, "%u", (unsigned)*uint_field(m, id));
    case KIND_DIM:
        return snprintf(buf, size, "%u", (unsigned)a->dim);
    case KIND_NUMBER:
    case KIND_STEP:
        if (attr_table[id].kind == KIND_STEP && a->st < 0)
            return LWM2M_ERR_BAD_REQUEST;
        return lwm2m_attr_format_number(*number_field(m, id), buf, size);
    case KIND_BIT:
        return snprintf(buf, size, "%d", id == LWM2M_ATTR_EDGE ? a->edge : a->con);
    case KIND_VERSION:
        if (!memchr(a->ver, 0, sizeof(a->ver)) || !is_version(a->ver, strlen(a->ver)))
            return LWM2M_ERR_BAD_REQUEST;
        return snprintf(buf, size, "%s", a->ver);
    case KIND_NONE:
        break;
    }
    buf[0] = 0;
    return 0;
}

int lwm2m_attrs_write(const lwm2m_attrs_t *attrs, lwm2m_buf_t *out, lwm2m_error_t *err)
{
    char value[LWM2M_ATTR_NUMBER_MAX];
    bool first = true;
    if (attrs->present & attrs->unset)
        return invalid(err, "an attribute", "is both set and unset");
    for (int id = 0; id < LWM2M_ATTR_COUNT; id++) {
        uint32_t bit = LWM2M_ATTR_BIT(id);
        if (!((attrs->present | attrs->unset) & bit))
            continue;
        if ((attrs->unset & bit) && !attr_table[id].unsettable)
            return invalid(err, attr_table[id].name, "can't be unset");
        int n = (attrs->present & bit) ? format_value(attrs, id, value, sizeof(value)) : 0;
        if (n < 0)
            return invalid(err, attr_table[id].name, "has a value that can't be written");
        int rc = lwm2m_buf_printf(out, "%s%s%s%s", first ? "" : "&", attr_table[id].name,
                                  n > 0 ? "=" : "", n > 0 ? value : "");
        if (rc < 0)
            return lwm2m_error_set(err, rc, 0, "attributes: output buffer full");
        first = false;
    }
    return 0;
}

int lwm2m_discover_depth_parse(const char *text, size_t len, uint8_t *ret)
{
    if (!text || len != 1 || text[0] < '0' || text[0] > '3')
        return LWM2M_ERR_BAD_REQUEST;
    *ret = (uint8_t)(text[0] - '0');
    return 0;
}
