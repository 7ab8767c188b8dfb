/* timers.c - binary min-heap of deadlines. */
#include "timers.h"

#include <stdlib.h>

#include "lwm2m/error.h"

static void swap(timer_entry_t *a, timer_entry_t *b)
{
    timer_entry_t t = *a;
    *a = *b;
    *b = t;
}

int timers_push(timer_heap_t *h, int64_t deadline, uint8_t kind, uint64_t id, uint32_t generation)
{
    if (h->count == h->capacity) {
        size_t cap = h->capacity ? h->capacity * 2 : 256;
        timer_entry_t *items = realloc(h->items, cap * sizeof(*items));
        if (!items)
            return LWM2M_ERR_INTERNAL;
        h->items = items;
        h->capacity = cap;
    }
    size_t i = h->count++;
    h->items[i] = (timer_entry_t){deadline, id, generation, kind};
    while (i > 0 && h->items[(i - 1) / 2].deadline > h->items[i].deadline) {
        swap(&h->items[(i - 1) / 2], &h->items[i]);
        i = (i - 1) / 2;
    }
    return 0;
}

const timer_entry_t *timers_peek(const timer_heap_t *h)
{
    return h->count ? &h->items[0] : NULL;
}

void timers_pop(timer_heap_t *h)
{
    if (!h->count)
        return;
    h->items[0] = h->items[--h->count];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->count && h->items[l].deadline < h->items[m].deadline)
            m = l;
        if (r < h->count && h->items[r].deadline < h->items[m].deadline)
            m = r;
        if (m == i)
            break;
        swap(&h->items[i], &h->items[m]);
        i = m;
    }
}

void timers_free(timer_heap_t *h)
{
    free(h->items);
    h->items = NULL;
    h->count = h->capacity = 0;
}
