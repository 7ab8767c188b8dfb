/* hash.c - chained hash tables with string or 64-bit keys. */
#include "hash.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/error.h"

struct hash_entry {
    hash_entry_t *next;
    uint64_t hash;
    const char *skey; /* NULL for u64 keys */
    uint64_t ukey;
    void *value;
};

static uint64_t hash_string(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

static uint64_t hash_u64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
}

void hash_init(hash_table_t *t)
{
    memset(t, 0, sizeof(*t));
}

void hash_free(hash_table_t *t)
{
    for (size_t i = 0; i < t->bucket_count; i++) {
        hash_entry_t *e = t->buckets[i];
        while (e) {
            hash_entry_t *next = e->next;
            free(e);
            e = next;
        }
    }
    free(t->buckets);
    hash_init(t);
}

static int hash_grow(hash_table_t *t)
{
    size_t n = t->bucket_count ? t->bucket_count * 2 : 64;
    hash_entry_t **b = calloc(n, sizeof(*b));
    if (!b)
        return LWM2M_ERR_INTERNAL;
    for (size_t i = 0; i < t->bucket_count; i++) {
        hash_entry_t *e = t->buckets[i];
        while (e) {
            hash_entry_t *next = e->next;
            size_t k = e->hash & (n - 1);
            e->next = b[k];
            b[k] = e;
            e = next;
        }
    }
    free(t->buckets);
    t->buckets = b;
    t->bucket_count = n;
    return 0;
}

static bool entry_matches(const hash_entry_t *e, uint64_t h, const char *skey, uint64_t ukey)
{
    if (e->hash != h)
        return false;
    if (skey)
        return e->skey && strcmp(e->skey, skey) == 0;
    return !e->skey && e->ukey == ukey;
}

static hash_entry_t **hash_find(const hash_table_t *t, uint64_t h, const char *skey, uint64_t ukey)
{
    if (!t->bucket_count)
        return NULL;
    hash_entry_t **p = &t->buckets[h & (t->bucket_count - 1)];
    while (*p && !entry_matches(*p, h, skey, ukey))
        p = &(*p)->next;
    return p;
}

static int hash_put(hash_table_t *t, uint64_t h, const char *skey, uint64_t ukey, void *value)
{
    hash_entry_t **p = hash_find(t, h, skey, ukey);
    if (p && *p) {
        (*p)->value = value;
        (*p)->skey = skey;
        return 0;
    }
    if (t->count + 1 > t->bucket_count && hash_grow(t) < 0)
        return LWM2M_ERR_INTERNAL;
    hash_entry_t *e = malloc(sizeof(*e));
    if (!e)
        return LWM2M_ERR_INTERNAL;
    *e = (hash_entry_t){NULL, h, skey, ukey, value};
    size_t k = h & (t->bucket_count - 1);
    e->next = t->buckets[k];
    t->buckets[k] = e;
    t->count++;
    return 0;
}

static void *hash_get(const hash_table_t *t, uint64_t h, const char *skey, uint64_t ukey)
{
    hash_entry_t **p = hash_find(t, h, skey, ukey);
    return p && *p ? (*p)->value : NULL;
}

static void *hash_del(hash_table_t *t, uint64_t h, const char *skey, uint64_t ukey)
{
    hash_entry_t **p = hash_find(t, h, skey, ukey);
    if (!p || !*p)
        return NULL;
    hash_entry_t *e = *p;
    void *value = e->value;
    *p = e->next;
    free(e);
    t->count--;
    return value;
}

int hash_put_str(hash_table_t *t, const char *key, void *value)
{
    return hash_put(t, hash_string(key), key, 0, value);
}

void *hash_get_str(const hash_table_t *t, const char *key)
{
    return hash_get(t, hash_string(key), key, 0);
}

void *hash_del_str(hash_table_t *t, const char *key)
{
    return hash_del(t, hash_string(key), key, 0);
}

int hash_put_u64(hash_table_t *t, uint64_t key, void *value)
{
    return hash_put(t, hash_u64(key), NULL, key, value);
}

void *hash_get_u64(const hash_table_t *t, uint64_t key)
{
    return hash_get(t, hash_u64(key), NULL, key);
}

void *hash_del_u64(hash_table_t *t, uint64_t key)
{
    return hash_del(t, hash_u64(key), NULL, key);
}

void hash_foreach(const hash_table_t *t, void (*fn)(void *ctx, void *value), void *ctx)
{
    for (size_t i = 0; i < t->bucket_count; i++)
        for (hash_entry_t *e = t->buckets[i]; e; e = e->next)
            fn(ctx, e->value);
}
