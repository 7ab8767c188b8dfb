/* timers.h - a min-heap of deadlines with lazy deletion: an entry names what it is for (kind +
 * id + a generation); when it fires the owner checks that it is still current. Work per tick is
 * O(expired entries x log n). Internal to lwm2m/. */
#ifndef LWM2M_SERVER_TIMERS_H
#define LWM2M_SERVER_TIMERS_H

#include <stddef.h>
#include <stdint.h>

typedef struct timer_entry {
    int64_t deadline;
    uint64_t id;
    uint32_t generation;
    uint8_t kind;
} timer_entry_t;

typedef struct timer_heap {
    timer_entry_t *items;
    size_t count, capacity;
} timer_heap_t;

int timers_push(timer_heap_t *h, int64_t deadline, uint8_t kind, uint64_t id, uint32_t generation);
/* The earliest entry, or NULL. */
const timer_entry_t *timers_peek(const timer_heap_t *h);
void timers_pop(timer_heap_t *h);
void timers_free(timer_heap_t *h);

#endif
