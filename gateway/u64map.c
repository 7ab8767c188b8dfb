/* u64map.c - see u64map.h. */
#include "u64map.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static size_t slot_of(const u64map_t *m, uint64_t key)
{
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return (size_t)key & (m->cap - 1);
}

uint64_t *u64map_get(const u64map_t *m, uint64_t key)
{
    if (!m->cap || !key)
        return NULL;
    for (size_t i = slot_of(m, key);; i = (i + 1) & (m->cap - 1)) {
        if (m->keys[i] == key)
            return &m->values[i];
        if (!m->keys[i])
            return NULL;
    }
}

static void insert(u64map_t *m, uint64_t key, uint64_t value)
{
    size_t i = slot_of(m, key);
    while (m->keys[i])
        i = (i + 1) & (m->cap - 1);
    m->keys[i] = key;
    m->values[i] = value;
    m->count++;
}

int u64map_put(u64map_t *m, uint64_t key, uint64_t value)
{
    uint64_t *v = u64map_get(m, key);
    if (!key)
        return -EINVAL;
    if (v) {
        *v = value;
        return 0;
    }
    if ((m->count + 1) * 4 > m->cap * 3) { /* keep the load under 3/4 */
        size_t cap = m->cap ? m->cap * 2 : 64;
        u64map_t n = {calloc(cap, sizeof(uint64_t)), calloc(cap, sizeof(uint64_t)), cap, 0};
        if (!n.keys || !n.values) {
            free(n.keys);
            free(n.values);
            return -ENOMEM;
        }
        for (size_t i = 0; i < m->cap; i++)
            if (m->keys[i])
                insert(&n, m->keys[i], m->values[i]);
        free(m->keys);
        free(m->values);
        *m = n;
    }
    insert(m, key, value);
    return 0;
}

/* Backward-shift deletion keeps every probe chain intact without tombstones. */
bool u64map_del(u64map_t *m, uint64_t key, uint64_t *ret_value)
{
    if (!m->cap || !key)
        return false;
    size_t mask = m->cap - 1, i = slot_of(m, key);
    while (m->keys[i] != key) {
        if (!m->keys[i])
            return false;
        i = (i + 1) & mask;
    }
    if (ret_value)
        *ret_value = m->values[i];
    for (size_t j = (i + 1) & mask; m->keys[j]; j = (j + 1) & mask) {
        if (((j - slot_of(m, m->keys[j])) & mask) >= ((j - i) & mask)) {
            m->keys[i] = m->keys[j];
            m->values[i] = m->values[j];
            i = j;
        }
    }
    m->keys[i] = m->values[i] = 0;
    m->count--;
    return true;
}

void u64map_free(u64map_t *m)
{
    free(m->keys);
    free(m->values);
    memset(m, 0, sizeof(*m));
}
