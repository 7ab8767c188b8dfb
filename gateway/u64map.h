/* u64map.h - a small hash map from nonzero 64-bit keys to 64-bit values: open addressing,
 * linear probing, backward-shift deletion (no tombstones). The binding keeps tokens, echo
 * fingerprints and hashed endpoint names in it. A zero-initialised map is empty and valid. */
#ifndef LMG_U64MAP_H
#define LMG_U64MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct u64map {
    uint64_t *keys, *values; /* key 0 marks a free slot */
    size_t cap, count;       /* cap is 0 or a power of two */
} u64map_t;

/* The value stored for key, or NULL (always NULL for key 0). Valid until the next put or del. */
uint64_t *u64map_get(const u64map_t *m, uint64_t key);
/* Inserts or replaces. 0, -EINVAL for key 0, or -ENOMEM (the map is unchanged). */
int u64map_put(u64map_t *m, uint64_t key, uint64_t value);
/* Removes key; its value goes to *ret_value (may be NULL). false when absent. */
bool u64map_del(u64map_t *m, uint64_t key, uint64_t *ret_value);
/* Frees the storage; the map is empty and reusable. Values are the caller's to free first. */
void u64map_free(u64map_t *m);

#endif
