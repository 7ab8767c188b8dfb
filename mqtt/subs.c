/* subs.c - the subscriptions a client keeps across reconnections (a hash set of filters, a list
 * of those still to be sent, the SUBSCRIBE batches awaiting their SUBACK), and the checks of
 * topic names and filters. Sized for a
 * gateway that subscribes once per device (100k filters): batches of MQTT_Q_MAX_CODES, with
 * a bounded number outstanding so that Paho never runs out of packet identifiers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef struct mqtt_sub {
    char *filter;
    int qos;
    bool pending;
    struct mqtt_sub *hnext;         /* hash chain */
    struct mqtt_sub *pprev, *pnext; /* pending list */
} mqtt_sub_t;

typedef struct mqtt_sub_batch {
    struct mqtt_sub_batch *next;
    int token;
    int n;
    char *filters[MQTT_Q_MAX_CODES]; /* copies: a filter may be removed while in flight */
} mqtt_sub_batch_t;

struct mqtt_subs {
    mqtt_sub_t **buckets;
    size_t nbuckets, count, max;
    mqtt_sub_t *phead, *ptail;
    mqtt_sub_batch_t *batches;
    int outstanding;
};

static size_t hash_str(const char *s)
{
    uint64_t h = 14695981039346656037u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return (size_t)(h ^ (h >> 32));
}

int mqtt_subs_new(mqtt_subs_t **ret, size_t max)
{
    mqtt_subs_t *s = calloc(1, sizeof(*s));
    if (!s || !(s->buckets = calloc(64, sizeof(*s->buckets)))) {
        free(s);
        return -ENOMEM;
    }
    s->nbuckets = 64;
    s->max = max;
    *ret = s;
    return 0;
}

static void free_batches(mqtt_subs_t *s)
{
    while (s->batches) {
        mqtt_sub_batch_t *b = s->batches;
        s->batches = b->next;
        for (int i = 0; i < b->n; i++)
            free(b->filters[i]);
        free(b);
    }
    s->outstanding = 0;
}

void mqtt_subs_free(mqtt_subs_t *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nbuckets; i++)
        for (mqtt_sub_t *e = s->buckets[i], *next; e; e = next) {
            next = e->hnext;
            free(e->filter);
            free(e);
        }
    free_batches(s);
    free(s->buckets);
    free(s);
}

static void pending_add(mqtt_subs_t *s, mqtt_sub_t *e)
{
    if (e->pending)
        return;
    e->pending = true;
    e->pnext = NULL;
    e->pprev = s->ptail;
    if (s->ptail)
        s->ptail->pnext = e;
    else
        s->phead = e;
    s->ptail = e;
}

static void pending_del(mqtt_subs_t *s, mqtt_sub_t *e)
{
    if (!e->pending)
        return;
    if (e->pprev)
        e->pprev->pnext = e->pnext;
    else
        s->phead = e->pnext;
    if (e->pnext)
        e->pnext->pprev = e->pprev;
    else
        s->ptail = e->pprev;
    e->pending = false;
    e->pprev = e->pnext = NULL;
}

static mqtt_sub_t **find_slot(const mqtt_subs_t *s, const char *filter)
{
    mqtt_sub_t **pp = &s->buckets[hash_str(filter) & (s->nbuckets - 1)];
    while (*pp && strcmp((*pp)->filter, filter) != 0)
        pp = &(*pp)->hnext;
    return pp;
}

static void grow(mqtt_subs_t *s)
{
    size_t n = s->nbuckets * 2;
    mqtt_sub_t **b = calloc(n, sizeof(*b));
    if (!b)
        return; /* longer chains, still correct */
    for (size_t i = 0; i < s->nbuckets; i++)
        for (mqtt_sub_t *e = s->buckets[i], *next; e; e = next) {
            next = e->hnext;
            size_t h = hash_str(e->filter) & (n - 1);
            e->hnext = b[h];
            b[h] = e;
        }
    free(s->buckets);
    s->buckets = b;
    s->nbuckets = n;
}

int mqtt_subs_add(mqtt_subs_t *s, const char *filter, int qos)
{
    mqtt_sub_t **pp = find_slot(s, filter);
    if (*pp) {
        if ((*pp)->qos != qos) {
            (*pp)->qos = qos;
            pending_add(s, *pp);
        }
        return 0;
    }
    if (s->count >= s->max)
        return -ENOSPC;
    mqtt_sub_t *e = calloc(1, sizeof(*e));
    if (!e || !(e->filter = strdup(filter))) {
        free(e);
        return -ENOMEM;
    }
    e->qos = qos;
    *pp = e;
    s->count++;
    pending_add(s, e);
    if (s->count > s->nbuckets)
        grow(s);
    return 0;
}

int mqtt_subs_remove(mqtt_subs_t *s, const char *filter)
{
    mqtt_sub_t **pp = find_slot(s, filter);
    mqtt_sub_t *e = *pp;
    if (!e)
        return -ENOENT;
    *pp = e->hnext;
    pending_del(s, e);
    s->count--;
    free(e->filter);
    free(e);
    return 0;
}

size_t mqtt_subs_count(const mqtt_subs_t *s)
{
    return s->count;
}

bool mqtt_subs_settled(const mqtt_subs_t *s)
{
    return !s->phead && s->outstanding == 0;
}

void mqtt_subs_reset(mqtt_subs_t *s)
{
    free_batches(s);
    for (size_t i = 0; i < s->nbuckets; i++)
        for (mqtt_sub_t *e = s->buckets[i]; e; e = e->hnext)
            pending_add(s, e);
}

/* Sends one batch from the head of the pending list. */
static int send_batch(mqtt_subs_t *s, mqtt_subs_send_fn send, void *ctx)
{
    mqtt_sub_batch_t *b = calloc(1, sizeof(*b));
    int qos[MQTT_Q_MAX_CODES];
    if (!b)
        return -ENOMEM;
    for (mqtt_sub_t *e = s->phead; e && b->n < MQTT_Q_MAX_CODES; e = e->pnext) {
        if (!(b->filters[b->n] = strdup(e->filter)))
            break;
        qos[b->n++] = e->qos;
    }
    int rc = b->n ? send(ctx, b->filters, qos, b->n, &b->token) : -ENOMEM;
    if (rc < 0) {
        for (int i = 0; i < b->n; i++)
            free(b->filters[i]);
        free(b);
        return rc;
    }
    for (int i = 0; i < b->n; i++)
        pending_del(s, s->phead);
    b->next = s->batches;
    s->batches = b;
    s->outstanding++;
    return 0;
}

int mqtt_subs_pump(mqtt_subs_t *s, int max_batches, mqtt_subs_send_fn send, void *ctx)
{
    while (s->phead && s->outstanding < max_batches) {
        int rc = send_batch(s, send, ctx);
        if (rc < 0)
            return rc;
    }
    return 0;
}

void mqtt_subs_done(mqtt_subs_t *s, int token, const int *codes, int ncodes, int fail_code,
                    mqtt_subs_report_fn report, void *ctx)
{
    mqtt_sub_batch_t **pp = &s->batches;
    while (*pp && (*pp)->token != token)
        pp = &(*pp)->next;
    mqtt_sub_batch_t *b = *pp;
    if (!b)
        return;
    *pp = b->next;
    s->outstanding--;
    for (int i = 0; i < b->n; i++) {
        int code = codes ? (i < ncodes ? codes[i] : 0) : fail_code;
        if (code >= 0x80 || code < 0)
            report(ctx, b->filters[i], code);
        free(b->filters[i]);
    }
    free(b);
}

/* Well-formed UTF-8 without U+0000 or surrogates (MQTT 3.1.1 1.5.3, MQTT 5 1.5.4). */
static bool utf8_valid(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (c == 0 || len == 0 || n - i < len)
            return false;
        uint32_t cp = len == 1 ? c : (uint32_t)(c & (0x7f >> len));
        for (size_t k = 1; k < len; k++) {
            if ((p[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i + k] & 0x3f);
        }
        static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min_cp[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += len;
    }
    return true;
}

bool mqtt_topic_valid(const char *topic, bool is_filter)
{
    if (!topic)
        return false;
    size_t n = strlen(topic);
    if (n == 0 || n > 65535 || !utf8_valid((const unsigned char *)topic, n))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = topic[i];
        if (c != '+' && c != '#')
            continue;
        if (!is_filter)
            return false;
        /* A wildcard fills a whole level; '#' only the last one. */
        bool starts = i == 0 || topic[i - 1] == '/';
        bool ends = i + 1 == n || topic[i + 1] == '/';
        if (!starts || !ends || (c == '#' && i + 1 != n))
            return false;
    }
    return true;
}
