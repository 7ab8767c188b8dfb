/* hash.h - small hash tables for the server: string keys and 64-bit keys to pointers. Chained,
 * grows by doubling, so lookups stay O(1) at 100,000 devices. Keys are not copied: the caller
 * keeps a string key alive as long as the entry (it lives in the value). Internal to lwm2m/. */
#ifndef LWM2M_SERVER_HASH_H
#define LWM2M_SERVER_HASH_H

#include <stddef.h>
#include <stdint.h>

typedef struct hash_entry hash_entry_t;

typedef struct hash_table {
    hash_entry_t **buckets;
    size_t bucket_count;
    size_t count;
} hash_table_t;

void hash_init(hash_table_t *t);
void hash_free(hash_table_t *t); /* frees the table, not the values */

/* String keys. put replaces an existing entry. Return 0 or -500 on allocation failure. */
int hash_put_str(hash_table_t *t, const char *key, void *value);
void *hash_get_str(const hash_table_t *t, const char *key);
void *hash_del_str(hash_table_t *t, const char *key); /* returns the removed value */

/* 64-bit keys. */
int hash_put_u64(hash_table_t *t, uint64_t key, void *value);
void *hash_get_u64(const hash_table_t *t, uint64_t key);
void *hash_del_u64(hash_table_t *t, uint64_t key);

/* Calls fn for every value (order unspecified); fn must not modify the table. */
void hash_foreach(const hash_table_t *t, void (*fn)(void *ctx, void *value), void *ctx);

#endif
