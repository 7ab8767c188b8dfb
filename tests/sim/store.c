/* store.c - the per-device object store: sorted arrays of instances and values. */
#include "store.h"

#include <stdlib.h>
#include <string.h>

#include "lwm2m/error.h"

static bool sim_type_has_bytes(lwm2m_type_t t)
{
    return t == LWM2M_TYPE_STRING || t == LWM2M_TYPE_OPAQUE || t == LWM2M_TYPE_CORELNK;
}

void sim_store_init(sim_store_t *store, size_t max_bytes)
{
    memset(store, 0, sizeof(*store));
    store->max_bytes = max_bytes;
}

static void sim_entry_free(sim_store_t *store, sim_entry_t *e)
{
    if (sim_type_has_bytes(e->value.type)) {
        store->bytes -= e->value.u.bytes.len;
        free(e->value.u.bytes.data);
    }
}

void sim_store_clear(sim_store_t *store)
{
    for (size_t i = 0; i < store->count; i++)
        sim_entry_free(store, &store->entries[i]);
    free(store->entries);
    free(store->instances);
    size_t max = store->max_bytes;
    sim_store_init(store, max);
}

void sim_store_shrink(sim_store_t *store)
{
    if (store->count && store->count < store->cap) {
        sim_entry_t *n = realloc(store->entries, store->count * sizeof(*n));
        if (n) {
            store->entries = n;
            store->cap = store->count;
        }
    }
}

/* Sort key of an entry: a resource's own entry sorts before its instances. */
static uint64_t sim_key(uint16_t obj, uint16_t inst, uint16_t res, uint32_t ri_plus_one)
{
    return (uint64_t)obj << 49 | (uint64_t)inst << 33 | (uint64_t)res << 17 | ri_plus_one;
}

static uint64_t sim_entry_key(const sim_entry_t *e)
{
    return sim_key(e->obj, e->inst, e->res, e->depth == 4 ? (uint32_t)e->ri + 1 : 0);
}

/* Index of the first entry whose key is >= key. */
static size_t sim_lower_bound(const sim_store_t *store, uint64_t key)
{
    size_t lo = 0, hi = store->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sim_entry_key(&store->entries[mid]) < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static size_t sim_instance_lower_bound(const sim_store_t *store, uint16_t obj, uint16_t inst)
{
    uint32_t key = (uint32_t)obj << 16 | inst;
    size_t lo = 0, hi = store->instance_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const sim_instance_id_t *i = &store->instances[mid];
        if (((uint32_t)i->obj << 16 | i->inst) < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

bool sim_store_has_object(const sim_store_t *store, uint16_t obj)
{
    size_t pos = sim_instance_lower_bound(store, obj, 0);
    return pos < store->instance_count && store->instances[pos].obj == obj;
}

bool sim_store_has_instance(const sim_store_t *store, uint16_t obj, uint16_t inst)
{
    size_t pos = sim_instance_lower_bound(store, obj, inst);
    return pos < store->instance_count && store->instances[pos].obj == obj &&
           store->instances[pos].inst == inst;
}

bool sim_store_has_resource(const sim_store_t *store, uint16_t obj, uint16_t inst, uint16_t res)
{
    size_t pos = sim_lower_bound(store, sim_key(obj, inst, res, 0));
    if (pos >= store->count)
        return false;
    const sim_entry_t *e = &store->entries[pos];
    return e->obj == obj && e->inst == inst && e->res == res;
}

int sim_store_free_instance(const sim_store_t *store, uint16_t obj)
{
    for (uint32_t inst = 0; inst < LWM2M_ID_MAX; inst++)
        if (!sim_store_has_instance(store, obj, (uint16_t)inst))
            return (int)inst;
    return -1;
}

int sim_store_add_instance(sim_store_t *store, uint16_t obj, uint16_t inst)
{
    size_t pos = sim_instance_lower_bound(store, obj, inst);
    if (pos < store->instance_count && store->instances[pos].obj == obj &&
        store->instances[pos].inst == inst)
        return LWM2M_ERR_BAD_REQUEST;
    if (store->instance_count >= SIM_STORE_MAX_INSTANCES)
        return LWM2M_ERR_TOO_LARGE;
    if (store->instance_count == store->instance_cap) {
        size_t cap = store->instance_cap ? store->instance_cap * 2 : 8;
        sim_instance_id_t *n = realloc(store->instances, cap * sizeof(*n));
        if (!n)
            return LWM2M_ERR_INTERNAL;
        store->instances = n;
        store->instance_cap = cap;
    }
    memmove(&store->instances[pos + 1], &store->instances[pos],
            (store->instance_count - pos) * sizeof(store->instances[0]));
    store->instances[pos] = (sim_instance_id_t){obj, inst};
    store->instance_count++;
    return 0;
}

/* Removes entries [from, to). */
static void sim_store_erase(sim_store_t *store, size_t from, size_t to)
{
    if (to <= from)
        return;
    for (size_t i = from; i < to; i++)
        sim_entry_free(store, &store->entries[i]);
    memmove(&store->entries[from], &store->entries[to],
            (store->count - to) * sizeof(store->entries[0]));
    store->count -= to - from;
}

int sim_store_remove_instance(sim_store_t *store, uint16_t obj, uint16_t inst)
{
    size_t pos = sim_instance_lower_bound(store, obj, inst);
    if (pos >= store->instance_count || store->instances[pos].obj != obj ||
        store->instances[pos].inst != inst)
        return LWM2M_ERR_NOT_FOUND;
    memmove(&store->instances[pos], &store->instances[pos + 1],
            (store->instance_count - pos - 1) * sizeof(store->instances[0]));
    store->instance_count--;
    size_t from = sim_lower_bound(store, sim_key(obj, inst, 0, 0));
    size_t to = sim_lower_bound(store, sim_key(obj, (uint16_t)(inst + 1), 0, 0));
    if (inst == LWM2M_ID_MAX)
        to = sim_lower_bound(store, sim_key((uint16_t)(obj + 1), 0, 0, 0));
    sim_store_erase(store, from, to);
    return 0;
}

void sim_store_remove_resource(sim_store_t *store, uint16_t obj, uint16_t inst, uint16_t res)
{
    size_t from = sim_lower_bound(store, sim_key(obj, inst, res, 0));
    size_t to = from;
    while (to < store->count && store->entries[to].obj == obj && store->entries[to].inst == inst &&
           store->entries[to].res == res)
        to++;
    sim_store_erase(store, from, to);
}

static int sim_store_copy_value(sim_store_t *store, const lwm2m_value_t *in, lwm2m_value_t *out)
{
    *out = *in;
    if (!sim_type_has_bytes(in->type))
        return 0;
    size_t len = in->u.bytes.len;
    if (len > store->max_bytes || store->bytes > store->max_bytes - len)
        return LWM2M_ERR_TOO_LARGE;
    uint8_t *copy = malloc(len + 1);
    if (!copy)
        return LWM2M_ERR_INTERNAL;
    if (len)
        memcpy(copy, in->u.bytes.data, len);
    copy[len] = 0;
    out->u.bytes.data = copy;
    store->bytes += len;
    return 0;
}

static int sim_store_insert(sim_store_t *store, size_t pos, const sim_entry_t *entry)
{
    if (store->count >= SIM_STORE_MAX_ENTRIES)
        return LWM2M_ERR_TOO_LARGE;
    if (store->count == store->cap) {
        size_t cap = store->cap ? store->cap * 2 : 32;
        sim_entry_t *n = realloc(store->entries, cap * sizeof(*n));
        if (!n)
            return LWM2M_ERR_INTERNAL;
        store->entries = n;
        store->cap = cap;
    }
    memmove(&store->entries[pos + 1], &store->entries[pos],
            (store->count - pos) * sizeof(store->entries[0]));
    store->entries[pos] = *entry;
    store->count++;
    return 0;
}

int sim_store_set(sim_store_t *store, const lwm2m_path_t *path, const lwm2m_value_t *value)
{
    if (path->depth < 3 || !sim_store_has_instance(store, path->id[0], path->id[1]))
        return LWM2M_ERR_NOT_FOUND;
    sim_entry_t entry = {path->id[0], path->id[1], path->id[2], path->depth == 4 ? path->id[3] : 0,
                         path->depth, {0}};
    if (path->depth == 4) {
        /* A resource instance replaces the resource's own (marker or single) entry. */
        size_t own = sim_lower_bound(store, sim_key(entry.obj, entry.inst, entry.res, 0));
        if (own < store->count &&
            sim_entry_key(&store->entries[own]) == sim_key(entry.obj, entry.inst, entry.res, 0))
            sim_store_erase(store, own, own + 1);
    } else {
        /* A resource's own value replaces its instances. */
        sim_store_remove_resource(store, entry.obj, entry.inst, entry.res);
    }
    int rc = sim_store_copy_value(store, value, &entry.value);
    if (rc < 0)
        return rc;
    uint64_t key = sim_entry_key(&entry);
    size_t pos = sim_lower_bound(store, key);
    if (pos < store->count && sim_entry_key(&store->entries[pos]) == key) {
        sim_entry_free(store, &store->entries[pos]);
        store->entries[pos] = entry;
        return 0;
    }
    rc = sim_store_insert(store, pos, &entry);
    if (rc < 0)
        sim_entry_free(store, &entry);
    return rc;
}

const lwm2m_value_t *sim_store_get(const sim_store_t *store, const lwm2m_path_t *path)
{
    if (path->depth < 3)
        return NULL;
    uint64_t key =
        sim_key(path->id[0], path->id[1], path->id[2], path->depth == 4 ? path->id[3] + 1u : 0);
    size_t pos = sim_lower_bound(store, key);
    if (pos < store->count && sim_entry_key(&store->entries[pos]) == key)
        return &store->entries[pos].value;
    return NULL;
}

lwm2m_path_t sim_entry_path(const sim_entry_t *e)
{
    return lwm2m_path_make(e->depth, e->obj, e->inst, e->res, e->ri);
}

/* Range of entries under a path. */
static void sim_store_span(const sim_store_t *store, const lwm2m_path_t *path, size_t *ret_from,
                           size_t *ret_to)
{
    uint16_t o = path->id[0], i = path->id[1], r = path->id[2];
    size_t from = 0, to = store->count;
    switch (path->depth) {
    case 0:
        break;
    case 1:
        from = sim_lower_bound(store, sim_key(o, 0, 0, 0));
        to = o == LWM2M_ID_MAX ? store->count : sim_lower_bound(store, sim_key(o + 1u, 0, 0, 0));
        break;
    case 2:
        from = sim_lower_bound(store, sim_key(o, i, 0, 0));
        to = sim_lower_bound(store, sim_key(o, i, 0, 0) + ((uint64_t)1 << 33));
        break;
    case 3:
        from = sim_lower_bound(store, sim_key(o, i, r, 0));
        to = sim_lower_bound(store, sim_key(o, i, r, 0) + ((uint64_t)1 << 17));
        break;
    default:
        from = sim_lower_bound(store, sim_key(o, i, r, path->id[3] + 1u));
        to = from < store->count &&
                     sim_entry_key(&store->entries[from]) == sim_key(o, i, r, path->id[3] + 1u)
                 ? from + 1
                 : from;
        break;
    }
    *ret_from = from;
    *ret_to = to;
}

int sim_store_visit(const sim_store_t *store, const lwm2m_path_t *path, sim_store_visit_fn fn,
                    void *ctx)
{
    size_t from, to;
    sim_store_span(store, path, &from, &to);
    for (size_t k = from; k < to; k++) {
        int rc = fn(ctx, &store->entries[k]);
        if (rc)
            return rc;
    }
    return 0;
}

static bool sim_readable(const lwm2m_model_t *model, const sim_entry_t *e)
{
    const lwm2m_resource_def_t *def = lwm2m_model_resource(model, e->obj, e->res);
    if (!def)
        return e->value.type != LWM2M_TYPE_NONE;
    return (def->operations & LWM2M_OP_READ) != 0;
}

static int sim_store_read_instance_marker(const sim_store_t *store, const lwm2m_path_t *path,
                                          lwm2m_nodes_t *out)
{
    lwm2m_value_t marker = lwm2m_value_none(LWM2M_TYPE_INSTANCE);
    (void)store;
    return lwm2m_nodes_add(out, path, &marker, NULL);
}

int sim_store_read(const sim_store_t *store, const lwm2m_model_t *model, const lwm2m_path_t *path,
                   lwm2m_nodes_t *out)
{
    if (path->depth >= 1 && !sim_store_has_object(store, path->id[0]))
        return LWM2M_ERR_NOT_FOUND;
    if (path->depth >= 2 && !sim_store_has_instance(store, path->id[0], path->id[1]))
        return LWM2M_ERR_NOT_FOUND;
    size_t from, to;
    sim_store_span(store, path, &from, &to);
    if (path->depth >= 3) {
        if (from == to)
            return LWM2M_ERR_NOT_FOUND;
        if (!sim_readable(model, &store->entries[from]))
            return LWM2M_ERR_METHOD_NOT_ALLOWED;
    }
    size_t added = 0;
    for (size_t k = from; k < to; k++) {
        const sim_entry_t *e = &store->entries[k];
        if (!sim_readable(model, e))
            continue;
        lwm2m_path_t p = sim_entry_path(e);
        int rc = lwm2m_nodes_add(out, &p, &e->value, NULL);
        if (rc < 0)
            return rc;
        added++;
    }
    if (added == 0 && path->depth == 2)
        return sim_store_read_instance_marker(store, path, out);
    if (added == 0 && path->depth == 1) {
        /* Instances with no readable value each give a marker. */
        for (size_t i = 0; i < store->instance_count; i++) {
            if (store->instances[i].obj != path->id[0])
                continue;
            lwm2m_path_t p = lwm2m_path_make(2, path->id[0], store->instances[i].inst, 0, 0);
            int rc = sim_store_read_instance_marker(store, &p, out);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}
