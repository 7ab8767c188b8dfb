/* attrs.c - notification attributes: parsing from Uri-Query (Write-Attributes and 1.2 Observe
 * parameters), the per-path table Write-Attributes fills, and the effective set for a path. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/error.h"
#include "sim.h"

static const struct {
    const char *name;
    uint16_t bit;
} sim_attr_names[] = {
    {"pmin", SIM_ATTR_PMIN},   {"pmax", SIM_ATTR_PMAX}, {"gt", SIM_ATTR_GT},
    {"lt", SIM_ATTR_LT},       {"st", SIM_ATTR_ST},     {"epmin", SIM_ATTR_EPMIN},
    {"epmax", SIM_ATTR_EPMAX}, {"edge", SIM_ATTR_EDGE}, {"con", SIM_ATTR_CON},
    {"hqmax", SIM_ATTR_HQMAX},
};

static uint16_t sim_attr_bit(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof(sim_attr_names) / sizeof(sim_attr_names[0]); i++)
        if (strlen(sim_attr_names[i].name) == len && memcmp(sim_attr_names[i].name, name, len) == 0)
            return sim_attr_names[i].bit;
    return 0;
}

static int sim_attr_set(sim_attrs_t *a, uint16_t bit, const char *text, size_t len)
{
    uint64_t u = 0;
    double d = 0;
    bool is_int = bit & (SIM_ATTR_PMIN | SIM_ATTR_PMAX | SIM_ATTR_EPMIN | SIM_ATTR_EPMAX |
                         SIM_ATTR_HQMAX | SIM_ATTR_EDGE | SIM_ATTR_CON);
    if (is_int && (lwm2m_parse_uint64(text, len, &u) < 0 || u > UINT32_MAX))
        return LWM2M_ERR_BAD_REQUEST;
    if (!is_int && lwm2m_parse_double(text, len, &d) < 0)
        return LWM2M_ERR_BAD_REQUEST;
    if ((bit & (SIM_ATTR_EDGE | SIM_ATTR_CON)) && u > 1)
        return LWM2M_ERR_BAD_REQUEST;
    if (bit == SIM_ATTR_ST && d < 0)
        return LWM2M_ERR_BAD_REQUEST;
    switch (bit) {
    case SIM_ATTR_PMIN:
        a->pmin = (uint32_t)u;
        break;
    case SIM_ATTR_PMAX:
        a->pmax = (uint32_t)u;
        break;
    case SIM_ATTR_EPMIN:
        a->epmin = (uint32_t)u;
        break;
    case SIM_ATTR_EPMAX:
        a->epmax = (uint32_t)u;
        break;
    case SIM_ATTR_HQMAX:
        a->hqmax = (uint32_t)u;
        break;
    case SIM_ATTR_EDGE:
        a->edge = u == 1;
        break;
    case SIM_ATTR_CON:
        a->con = u == 1;
        break;
    case SIM_ATTR_GT:
        a->gt = d;
        break;
    case SIM_ATTR_LT:
        a->lt = d;
        break;
    default:
        a->st = d;
        break;
    }
    a->set |= bit;
    return 0;
}

int sim_attrs_parse(const sim_msg_t *msg, bool allow_other, sim_attrs_t *attrs, uint16_t *unset)
{
    memset(attrs, 0, sizeof(*attrs));
    *unset = 0;
    for (size_t i = 0; i < msg->opt_count; i++) {
        const sim_msg_opt_t *o = &msg->opts[i];
        if (o->number != SIM_OPT_URI_QUERY)
            continue;
        const char *text = (const char *)o->value;
        const char *eq = memchr(text, '=', o->len);
        size_t name_len = eq ? (size_t)(eq - text) : o->len;
        uint16_t bit = sim_attr_bit(text, name_len);
        if (!bit) {
            if (allow_other)
                continue;
            return LWM2M_ERR_BAD_REQUEST;
        }
        if (!eq) {
            *unset |= bit;
            continue;
        }
        if (sim_attr_set(attrs, bit, eq + 1, o->len - name_len - 1) < 0)
            return LWM2M_ERR_BAD_REQUEST;
    }
    return 0;
}

static sim_attr_entry_t *sim_attr_entry(sim_device_t *dev, const lwm2m_path_t *path, bool create)
{
    for (size_t i = 0; i < dev->attr_count; i++)
        if (lwm2m_path_equal(&dev->attrs[i].path, path))
            return &dev->attrs[i];
    if (!create)
        return NULL;
    if (!dev->attrs) {
        dev->attrs = calloc(SIM_MAX_ATTR_ENTRIES, sizeof(*dev->attrs));
        if (!dev->attrs)
            return NULL;
    }
    if (dev->attr_count == SIM_MAX_ATTR_ENTRIES)
        return NULL;
    sim_attr_entry_t *e = &dev->attrs[dev->attr_count++];
    memset(e, 0, sizeof(*e));
    e->path = *path;
    return e;
}

const sim_attrs_t *sim_attrs_at(const sim_device_t *dev, const lwm2m_path_t *path)
{
    for (size_t i = 0; i < dev->attr_count; i++)
        if (lwm2m_path_equal(&dev->attrs[i].path, path))
            return &dev->attrs[i].attrs;
    return NULL;
}

static void sim_attrs_overlay(sim_attrs_t *dst, const sim_attrs_t *src)
{
    sim_attrs_t s = *src;
    if (s.set & SIM_ATTR_PMIN)
        dst->pmin = s.pmin;
    if (s.set & SIM_ATTR_PMAX)
        dst->pmax = s.pmax;
    if (s.set & SIM_ATTR_EPMIN)
        dst->epmin = s.epmin;
    if (s.set & SIM_ATTR_EPMAX)
        dst->epmax = s.epmax;
    if (s.set & SIM_ATTR_HQMAX)
        dst->hqmax = s.hqmax;
    if (s.set & SIM_ATTR_GT)
        dst->gt = s.gt;
    if (s.set & SIM_ATTR_LT)
        dst->lt = s.lt;
    if (s.set & SIM_ATTR_ST)
        dst->st = s.st;
    if (s.set & SIM_ATTR_EDGE)
        dst->edge = s.edge;
    if (s.set & SIM_ATTR_CON)
        dst->con = s.con;
    dst->set |= s.set;
}

/* lt < gt and lt + 2 st < gt when they are all present (Core 1.2 §5.1.2). */
static bool sim_attrs_consistent(const sim_attrs_t *a)
{
    if ((a->set & SIM_ATTR_LT) && (a->set & SIM_ATTR_GT)) {
        if (!(a->lt < a->gt))
            return false;
        if ((a->set & SIM_ATTR_ST) && !(a->lt + 2 * a->st < a->gt))
            return false;
    }
    return true;
}

static bool sim_numeric_type(lwm2m_type_t t)
{
    return t == LWM2M_TYPE_INTEGER || t == LWM2M_TYPE_UNSIGNED || t == LWM2M_TYPE_FLOAT;
}

static int sim_attrs_check_target(sim_device_t *dev, const lwm2m_path_t *path, const sim_attrs_t *a)
{
    const sim_store_t *st = &dev->store;
    if (path->depth == 0)
        return LWM2M_ERR_METHOD_NOT_ALLOWED;
    if (!sim_store_has_object(st, path->id[0]) ||
        (path->depth >= 2 && !sim_store_has_instance(st, path->id[0], path->id[1])) ||
        (path->depth >= 3 && !sim_store_has_resource(st, path->id[0], path->id[1], path->id[2])))
        return LWM2M_ERR_NOT_FOUND;
    if (path->depth == 4 && !sim_store_get(st, path))
        return LWM2M_ERR_NOT_FOUND;
    lwm2m_type_t type = lwm2m_model_type(dev->sim->model, path);
    if ((a->set & (SIM_ATTR_GT | SIM_ATTR_LT | SIM_ATTR_ST)) &&
        (path->depth < 3 || !sim_numeric_type(type)))
        return LWM2M_ERR_BAD_REQUEST;
    if ((a->set & SIM_ATTR_EDGE) && (path->depth < 3 || type != LWM2M_TYPE_BOOLEAN))
        return LWM2M_ERR_BAD_REQUEST;
    return 0;
}

int sim_attrs_write(sim_device_t *dev, const lwm2m_path_t *path, const sim_msg_t *msg)
{
    sim_attrs_t given;
    uint16_t unset;
    int rc = sim_attrs_parse(msg, false, &given, &unset);
    if (rc < 0)
        return rc;
    rc = sim_attrs_check_target(dev, path, &given);
    if (rc < 0)
        return rc;
    const sim_attrs_t *old = sim_attrs_at(dev, path);
    sim_attrs_t next = old ? *old : (sim_attrs_t){0};
    next.set &= (uint16_t)~unset;
    sim_attrs_overlay(&next, &given);
    if (!sim_attrs_consistent(&next))
        return LWM2M_ERR_BAD_REQUEST;
    sim_attr_entry_t *e = sim_attr_entry(dev, path, next.set != 0);
    if (!e)
        return next.set ? LWM2M_ERR_INTERNAL : 0;
    e->attrs = next;
    if (next.set == 0) {
        size_t idx = (size_t)(e - dev->attrs);
        dev->attrs[idx] = dev->attrs[--dev->attr_count];
    }
    return 0;
}

static bool sim_server_default(const sim_device_t *dev, uint16_t res, int64_t *ret)
{
    lwm2m_path_t p = lwm2m_path_make(3, 1, 0, res, 0);
    const lwm2m_value_t *v = sim_store_get(&dev->store, &p);
    if (!v || (v->type != LWM2M_TYPE_INTEGER && v->type != LWM2M_TYPE_UNSIGNED))
        return false;
    *ret = v->u.integer;
    return *ret >= 0;
}

sim_attrs_t sim_attrs_effective(const sim_device_t *dev, const lwm2m_path_t *path,
                                const sim_attrs_t *query)
{
    sim_attrs_t eff = {0};
    int64_t v;
    if (sim_server_default(dev, 2, &v) && v > 0) {
        eff.pmin = (uint32_t)v;
        eff.set |= SIM_ATTR_PMIN;
    }
    if (sim_server_default(dev, 3, &v) && v > 0) {
        eff.pmax = (uint32_t)v;
        eff.set |= SIM_ATTR_PMAX;
    }
    eff.con = dev->sim->opt.notify_con;
    if (sim_server_default(dev, 26, &v))
        eff.con = v == 1;
    for (uint8_t depth = 1; depth <= path->depth; depth++) {
        lwm2m_path_t p = lwm2m_path_make(depth, path->id[0], path->id[1], path->id[2], path->id[3]);
        const sim_attrs_t *a = sim_attrs_at(dev, &p);
        if (a)
            sim_attrs_overlay(&eff, a);
    }
    if (query)
        sim_attrs_overlay(&eff, query);
    return eff;
}

/* Link-format numbers: "30", "-1.5" (no exponent for whole numbers). */
static void sim_attrs_format_double(lwm2m_buf_t *out, const char *name, double v)
{
    if (v == (double)(int64_t)v && v > -1e15 && v < 1e15) {
        lwm2m_buf_printf(out, ";%s=%lld", name, (long long)v);
        return;
    }
    char text[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(text, sizeof(text), "%.*g", prec, v);
        if (strtod(text, NULL) == v)
            break;
    }
    lwm2m_buf_printf(out, ";%s=%s", name, text);
}

void sim_attrs_format(const sim_attrs_t *a, lwm2m_buf_t *out)
{
    if (a->set & SIM_ATTR_PMIN)
        lwm2m_buf_printf(out, ";pmin=%u", a->pmin);
    if (a->set & SIM_ATTR_PMAX)
        lwm2m_buf_printf(out, ";pmax=%u", a->pmax);
    if (a->set & SIM_ATTR_GT)
        sim_attrs_format_double(out, "gt", a->gt);
    if (a->set & SIM_ATTR_LT)
        sim_attrs_format_double(out, "lt", a->lt);
    if (a->set & SIM_ATTR_ST)
        sim_attrs_format_double(out, "st", a->st);
    if (a->set & SIM_ATTR_EPMIN)
        lwm2m_buf_printf(out, ";epmin=%u", a->epmin);
    if (a->set & SIM_ATTR_EPMAX)
        lwm2m_buf_printf(out, ";epmax=%u", a->epmax);
    if (a->set & SIM_ATTR_EDGE)
        lwm2m_buf_printf(out, ";edge=%d", a->edge ? 1 : 0);
    if (a->set & SIM_ATTR_CON)
        lwm2m_buf_printf(out, ";con=%d", a->con ? 1 : 0);
    if (a->set & SIM_ATTR_HQMAX)
        lwm2m_buf_printf(out, ";hqmax=%u", a->hqmax);
}

void sim_attrs_free(sim_device_t *dev)
{
    free(dev->attrs);
    dev->attrs = NULL;
    dev->attr_count = 0;
}
