/* codec_lwm2m_cbor.c - LwM2M CBOR (CF 11544, Core 1.2 §7.5.4): a map from IDs to values or
 * nested maps. An ID is a uint or an array of uints, relative to the enclosing map; the top level
 * starts at the Object ID. LwM2M Gateway: a top-level text key, or a text first element of a
 * top-level array key, names the end device (`{["d01",3,0]: {...}}`).
 *
 * The decoder is a recursive descent over libcbor's streaming decoder (one item head per call),
 * so it allocates only for what the peer actually sends, never for what it declares. Nesting is
 * bounded by the 4 path levels. Every value and empty-container marker goes into a path trie
 * that rejects duplicates, whatever key layout reached them.
 *
 * The encoder is canonical: definite lengths, shortest integer and float forms, one top-level
 * key per (prefix, object) running down to the first branch (`{[3,0]: {9: 100, 10: 15}}`), single
 * uint keys below it, keys in order of first appearance in the node list. */
#include "../core/cbor_item.h"
#include "lwm2m/codec.h"

#include <cbor.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- path trie: duplicate detection for the decoder, the key layout for the encoder ---- */

typedef struct trie_entry {
    uint32_t key; /* an ID, or for the root's children an index into prefixes */
    int32_t first, last, next;
    int32_t leaf; /* node index when a value or marker sits here, else -1 */
} trie_entry_t;

typedef struct trie {
    trie_entry_t *items;
    size_t count, cap;
    char (*prefixes)[LWM2M_PREFIX_MAX];
    size_t prefix_count, prefix_cap;
} trie_t;

static void trie_free(trie_t *t)
{
    free(t->items);
    free(t->prefixes);
    memset(t, 0, sizeof(*t));
}

/* Index of parent's child with `key`, created if missing; -1 when out of memory. */
static int32_t trie_child(trie_t *t, int32_t parent, uint32_t key)
{
    if (parent >= 0)
        for (int32_t c = t->items[parent].first; c >= 0; c = t->items[c].next)
            if (t->items[c].key == key)
                return c;
    if (t->count == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        trie_entry_t *items = cap <= INT32_MAX ? realloc(t->items, cap * sizeof(*items)) : NULL;
        if (!items)
            return -1;
        t->items = items;
        t->cap = cap;
    }
    int32_t idx = (int32_t)t->count++;
    t->items[idx] = (trie_entry_t){.key = key, .first = -1, .last = -1, .next = -1, .leaf = -1};
    if (parent >= 0) {
        if (t->items[parent].last >= 0)
            t->items[t->items[parent].last].next = idx;
        else
            t->items[parent].first = idx;
        t->items[parent].last = idx;
    }
    return idx;
}

static int trie_prefix_key(trie_t *t, const char *prefix, uint32_t *ret)
{
    for (size_t i = 0; i < t->prefix_count; i++)
        if (strcmp(t->prefixes[i], prefix) == 0)
            return (*ret = (uint32_t)i), 0;
    if (t->prefix_count == t->prefix_cap) {
        size_t cap = t->prefix_cap ? t->prefix_cap * 2 : 4;
        void *p = realloc(t->prefixes, cap * sizeof(*t->prefixes));
        if (!p)
            return LWM2M_ERR_INTERNAL;
        t->prefixes = p;
        t->prefix_cap = cap;
    }
    snprintf(t->prefixes[t->prefix_count], LWM2M_PREFIX_MAX, "%s", prefix);
    *ret = (uint32_t)t->prefix_count++;
    return 0;
}

/* Puts a value or marker at path. Returns 0, 1 when it collides with one already there (the
 * same path, or one above or below it), or -500. */
static int trie_insert(trie_t *t, const lwm2m_path_t *path, int32_t leaf)
{
    uint32_t pk;
    if ((t->count == 0 && trie_child(t, -1, 0) < 0) || trie_prefix_key(t, path->prefix, &pk) < 0)
        return LWM2M_ERR_INTERNAL;
    int32_t e = trie_child(t, 0, pk);
    for (uint8_t i = 0; e >= 0 && i < path->depth; i++) {
        e = trie_child(t, e, path->id[i]);
        if (e >= 0 && t->items[e].leaf >= 0)
            return 1;
    }
    if (e < 0)
        return LWM2M_ERR_INTERNAL;
    if (t->items[e].first >= 0)
        return 1;
    t->items[e].leaf = leaf;
    return 0;
}

/* Whether p lies inside the request path or (ancestors_ok) on the branch leading to it. A root
 * request path without a prefix takes everything, end devices included. */
static bool in_base(const lwm2m_path_t *base, const lwm2m_path_t *p, bool ancestors_ok)
{
    if (base->depth == 0 && !base->prefix[0])
        return true;
    if (strcmp(base->prefix, p->prefix) != 0 || (!ancestors_ok && p->depth < base->depth))
        return false;
    for (uint8_t i = 0; i < base->depth && i < p->depth; i++)
        if (base->id[i] != p->id[i])
            return false;
    return true;
}

/* ---- decoder ---- */

typedef struct decoder {
    const uint8_t *data;
    size_t len, pos;
    const lwm2m_path_t *base;
    const lwm2m_decode_opts_t *opts;
    lwm2m_nodes_t *out;
    trie_t trie;
    lwm2m_error_t *err;
} decoder_t;

static int fail(decoder_t *d, size_t offset, const char *msg)
{
    return lwm2m_error_set(d->err, LWM2M_ERR_BAD_REQUEST, offset, "%s", msg);
}

static int next(decoder_t *d, tok_t *t)
{
    return cbor_item_head(d->data, d->len, &d->pos, t, d->err);
}

/* Completes a text or byte string head: definite (pointing into the input), or indefinite as
 * definite chunks of the same major type joined into t->owned. */
static int read_string(decoder_t *d, tok_t *t)
{
    tok_kind_t kind = t->kind == TOK_TEXT || t->kind == TOK_TEXT_INDEF ? TOK_TEXT : TOK_BYTES;
    size_t cap = 0;
    if (t->kind == kind)
        return 0;
    t->kind = kind;
    for (;;) {
        tok_t c;
        int rc = next(d, &c);
        if (rc < 0)
            return rc;
        if (c.kind == TOK_BREAK)
            break;
        if (c.kind != kind)
            return fail(d, c.offset, "bad chunk in an indefinite-length string");
        if (t->len + c.len + 1 > cap) {
            cap = (t->len + c.len + 1) * 2; /* the chunks come from the input: bounded by it */
            uint8_t *p = realloc(t->owned, cap);
            if (!p)
                return lwm2m_error_set(d->err, LWM2M_ERR_INTERNAL, c.offset, "out of memory");
            t->owned = p;
        }
        if (c.len)
            memcpy(t->owned + t->len, c.data, c.len);
        t->len += c.len;
    }
    t->data = t->owned ? t->owned : (const uint8_t *)"";
    return 0;
}

/* An integer, or an integral float, in int64 range. */
static bool tok_int64(const tok_t *t, int64_t *ret)
{
    double f = t->f;
    if (t->kind == TOK_FLOAT && isfinite(f) && f == trunc(f) && f >= -9223372036854775808.0 &&
        f < 9223372036854775808.0)
        return (*ret = (int64_t)f), true;
    if ((t->kind != TOK_UINT && t->kind != TOK_NEGINT) || t->u > (uint64_t)INT64_MAX)
        return false;
    *ret = t->kind == TOK_UINT ? (int64_t)t->u : -1 - (int64_t)t->u;
    return true;
}

static int digits(const uint8_t *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

/* RFC 3339 date-time (tag 0): YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM), to epoch seconds. */
static bool parse_rfc3339(const uint8_t *s, size_t n, int64_t *ret)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (n < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' ||
        s[16] != ':')
        return false;
    int y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
    int h = digits(s + 11, 2), mi = digits(s + 14, 2), sec = digits(s + 17, 2);
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h < 0 || h > 23 || mi < 0 ||
        mi > 59 || sec < 0 || sec > 60)
        return false;
    size_t i = 19;
    if (s[i] == '.') {
        size_t start = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == start)
            return false;
    }
    int64_t zone = 0;
    if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i < n && (s[i] == '+' || s[i] == '-') && n - i == 6 && s[i + 3] == ':') {
        int zh = digits(s + i + 1, 2), zm = digits(s + i + 4, 2);
        if (zh < 0 || zh > 23 || zm < 0 || zm > 59)
            return false;
        zone = (s[i] == '-' ? -1 : 1) * (zh * 3600 + zm * 60);
        i += 6;
    }
    if (i != n)
        return false;
    *ret = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - zone;
    return true;
}

/* Tag 4 decimal fraction [exponent, mantissa], read as the nearest double. */
static int read_decimal(decoder_t *d, const tok_t *arr, tok_t *r)
{
    tok_t e, m, end;
    int64_t exp, mant;
    int rc;
    if ((arr->kind != TOK_ARRAY || arr->u != 2) && arr->kind != TOK_ARRAY_INDEF)
        return fail(d, arr->offset, "tag 4 needs [exponent, mantissa]");
    if ((rc = next(d, &e)) < 0 || (rc = next(d, &m)) < 0)
        return rc;
    if (!tok_int64(&e, &exp) || !tok_int64(&m, &mant))
        return fail(d, e.offset, "decimal fraction parts must be 64-bit integers");
    if (arr->kind == TOK_ARRAY_INDEF && ((rc = next(d, &end)) < 0 || end.kind != TOK_BREAK))
        return rc < 0 ? rc : fail(d, end.offset, "tag 4 needs [exponent, mantissa]");
    char text[48];
    snprintf(text, sizeof(text), "%" PRId64 "e%" PRId64, mant, exp);
    r->kind = TOK_FLOAT;
    r->f = strtod(text, NULL);
    return 0;
}

/* Tags 0 and 1 (a time: kind stays TAG) and 4 (a decimal fraction: kind becomes FLOAT). */
static int read_tagged(decoder_t *d, tok_t *tag)
{
    tok_t t;
    int rc = next(d, &t);
    if (rc < 0)
        return rc;
    if (tag->u == 4)
        return read_decimal(d, &t, tag);
    if (tag->u == 0 && (t.kind == TOK_TEXT || t.kind == TOK_TEXT_INDEF)) {
        rc = read_string(d, &t);
        bool ok = rc == 0 && parse_rfc3339(t.data, t.len, &tag->time);
        free(t.owned);
        return rc < 0 ? rc : ok ? 0 : fail(d, tag->offset, "tag 0 needs an RFC 3339 date-time");
    }
    if (t.kind == TOK_FLOAT)
        t.f = trunc(t.f); /* tag 1 with fractional seconds */
    if (tag->u == 1 && tok_int64(&t, &tag->time))
        return 0;
    return fail(d, tag->offset, tag->u <= 1 ? "bad time value" : "unsupported CBOR tag");
}

static int read_scalar(decoder_t *d, tok_t *t)
{
    switch (t->kind) {
    case TOK_UINT:
    case TOK_NEGINT:
    case TOK_FLOAT:
    case TOK_BOOL:
    case TOK_NULL:
        return 0;
    case TOK_TEXT:
    case TOK_TEXT_INDEF:
    case TOK_BYTES:
    case TOK_BYTES_INDEF: {
        int rc = read_string(d, t);
        if (rc == 0 && t->kind == TOK_TEXT && !cbor_utf8_valid(t->data, t->len))
            return fail(d, t->offset, "text string is not valid UTF-8");
        return rc;
    }
    case TOK_TAG:
        return read_tagged(d, t);
    default:
        return fail(d, t->offset, "not an LwM2M CBOR value (array, undefined or break)");
    }
}

/* The type a value has when no model knows the resource: what the CBOR says. */
static lwm2m_type_t natural_type(const tok_t *r)
{
    switch (r->kind) {
    case TOK_UINT:
        return r->u > (uint64_t)INT64_MAX ? LWM2M_TYPE_UNSIGNED : LWM2M_TYPE_INTEGER;
    case TOK_NEGINT:
        return LWM2M_TYPE_INTEGER;
    case TOK_FLOAT:
        return LWM2M_TYPE_FLOAT;
    case TOK_TAG:
        return LWM2M_TYPE_TIME;
    case TOK_BOOL:
        return LWM2M_TYPE_BOOLEAN;
    case TOK_NULL:
        return LWM2M_TYPE_NONE;
    case TOK_TEXT:
        return LWM2M_TYPE_STRING;
    default:
        return LWM2M_TYPE_OPAQUE;
    }
}

/* Applies the resource type. Lenient where no information is lost: integral floats for
 * integers and times, integers for floats. Strings point into r. */
static bool convert(const tok_t *r, lwm2m_type_t type, lwm2m_value_t *v)
{
    int64_t i;
    lwm2m_objlnk_t link;
    bool text = r->kind == TOK_TEXT;
    switch (type == LWM2M_TYPE_UNKNOWN ? natural_type(r) : type) {
    case LWM2M_TYPE_INTEGER:
        return tok_int64(r, &i) && (*v = lwm2m_value_integer(i), true);
    case LWM2M_TYPE_TIME:
        if (r->kind == TOK_TAG)
            return *v = lwm2m_value_time(r->time), true;
        return tok_int64(r, &i) && (*v = lwm2m_value_time(i), true);
    case LWM2M_TYPE_UNSIGNED:
        if (r->kind == TOK_UINT)
            return *v = lwm2m_value_unsigned(r->u), true;
        return r->kind == TOK_FLOAT && tok_int64(r, &i) && i >= 0 &&
               (*v = lwm2m_value_unsigned((uint64_t)i), true);
    case LWM2M_TYPE_FLOAT:
        if (r->kind == TOK_UINT)
            return *v = lwm2m_value_float((double)r->u), true;
        if (r->kind == TOK_NEGINT)
            return *v = lwm2m_value_float(-1.0 - (double)r->u), true;
        return r->kind == TOK_FLOAT && (*v = lwm2m_value_float(r->f), true);
    case LWM2M_TYPE_BOOLEAN:
        return r->kind == TOK_BOOL && (*v = lwm2m_value_boolean(r->u != 0), true);
    case LWM2M_TYPE_STRING:
        return text && (*v = lwm2m_value_bytes(LWM2M_TYPE_STRING, r->data, r->len), true);
    case LWM2M_TYPE_CORELNK:
        return text && (*v = lwm2m_value_bytes(LWM2M_TYPE_CORELNK, r->data, r->len), true);
    case LWM2M_TYPE_OPAQUE:
        return r->kind == TOK_BYTES &&
               (*v = lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, r->data, r->len), true);
    case LWM2M_TYPE_OBJLNK: {
        size_t n = r->len && r->data[r->len - 1] == 0 ? r->len - 1 : r->len; /* Zephyr's NUL */
        return text && lwm2m_objlnk_parse((const char *)r->data, n, &link) == 0 &&
               (*v = lwm2m_value_objlnk(link.object, link.instance), true);
    }
    case LWM2M_TYPE_NONE:
        return r->kind == TOK_NULL && (*v = lwm2m_value_none(LWM2M_TYPE_NONE), true);
    default:
        return false;
    }
}

static int add_node(decoder_t *d, const lwm2m_path_t *path, const lwm2m_value_t *v, size_t off)
{
    if (!in_base(d->base, path, false))
        return fail(d, off, "path outside the request path");
    int rc = trie_insert(&d->trie, path, (int32_t)(d->out->count & INT32_MAX));
    if (rc == 1)
        return fail(d, off, "path given twice, or both as a value and as a container");
    if (rc == 0)
        rc = lwm2m_nodes_add(d->out, path, v, NULL);
    if (rc < 0)
        return lwm2m_error_set(d->err, rc, off, "%s",
                               rc == LWM2M_ERR_TOO_LARGE ? "too many values" : "out of memory");
    return 0;
}

static bool prefix_valid(const uint8_t *s, size_t n)
{
    if (n == 0 || n >= LWM2M_PREFIX_MAX || (s[0] >= '0' && s[0] <= '9'))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_' || s[i] == '.' ||
              s[i] == '~'))
            return false;
    return true;
}

static int key_prefix(decoder_t *d, const tok_t *t, lwm2m_path_t *path)
{
    if (!prefix_valid(t->data, t->len))
        return fail(d, t->offset, "bad end-device prefix");
    if (path->prefix[0] &&
        (strlen(path->prefix) != t->len || memcmp(path->prefix, t->data, t->len)))
        return fail(d, t->offset, "end-device prefix differs from the request path's");
    memcpy(path->prefix, t->data, t->len);
    path->prefix[t->len] = 0;
    return 0;
}

static int key_id(decoder_t *d, const tok_t *t, lwm2m_path_t *path)
{
    if (t->kind != TOK_UINT)
        return fail(d, t->offset, "ID must be an unsigned integer or an array of them");
    if (t->u > LWM2M_ID_MAX)
        return fail(d, t->offset, "ID above 65535");
    if (lwm2m_path_append(path, (uint16_t)t->u) < 0)
        return fail(d, t->offset, "path deeper than 4 levels");
    return 0;
}

/* An array key: 1*uint, at the top level optionally led by a text prefix. */
static int key_array(decoder_t *d, const tok_t *arr, bool top, lwm2m_path_t *path)
{
    bool indef = arr->kind == TOK_ARRAY_INDEF;
    uint64_t n = 0;
    for (;; n++) {
        tok_t e;
        int rc;
        if (!indef && n == arr->u)
            break;
        if ((rc = next(d, &e)) < 0)
            return rc;
        if (indef && e.kind == TOK_BREAK)
            break;
        if (n == 0 && top && e.kind == TOK_TEXT)
            rc = key_prefix(d, &e, path);
        else
            rc = key_id(d, &e, path);
        if (rc < 0)
            return rc;
    }
    return n == 0 ? fail(d, arr->offset, "empty array key") : 0;
}

static int decode_key(decoder_t *d, const tok_t *key, bool top, lwm2m_path_t *path)
{
    int rc;
    if (key->kind == TOK_ARRAY || key->kind == TOK_ARRAY_INDEF)
        rc = key_array(d, key, top, path);
    else if (key->kind == TOK_TEXT && top)
        rc = key_prefix(d, key, path);
    else if (key->kind == TOK_TEXT)
        rc = fail(d, key->offset, "text key below the top level");
    else
        rc = key_id(d, key, path);
    if (rc == 0 && !in_base(d->base, path, true))
        rc = fail(d, key->offset, "path outside the request path");
    return rc;
}

/* An empty map: an instance or multi-instance resource with nothing in it. */
static int empty_container(decoder_t *d, const lwm2m_path_t *path, size_t off)
{
    if (path->depth == 2) {
        lwm2m_value_t v = lwm2m_value_none(LWM2M_TYPE_INSTANCE);
        return add_node(d, path, &v, off);
    }
    if (path->depth == 3) {
        lwm2m_value_t v = lwm2m_value_none(LWM2M_TYPE_MULTIPLE);
        if (d->opts && lwm2m_model_is_multiple(d->opts->model, path->id[0], path->id[2]) == 0)
            return fail(d, off, "a single-instance resource can't be empty");
        return add_node(d, path, &v, off);
    }
    return 0; /* the whole payload, an end device or an object: nothing to say */
}

static int decode_map(decoder_t *d, const tok_t *map, const lwm2m_path_t *path, bool top);

static int decode_value(decoder_t *d, const tok_t *t, const lwm2m_path_t *path)
{
    if (t->kind == TOK_MAP || t->kind == TOK_MAP_INDEF) {
        if (path->depth >= LWM2M_PATH_MAX_DEPTH)
            return fail(d, t->offset, "map below a resource instance (more than 4 levels)");
        return decode_map(d, t, path, false);
    }
    if (path->depth < 3)
        return fail(d, t->offset, "value at object or instance level");
    tok_t r = *t;
    lwm2m_value_t v;
    int rc = read_scalar(d, &r);
    if (rc == 0 && !convert(&r, lwm2m_decode_type(d->opts, path), &v))
        rc = fail(d, t->offset, "value does not fit the resource type");
    if (rc == 0)
        rc = add_node(d, path, &v, t->offset);
    free(r.owned);
    return rc;
}

static int decode_map(decoder_t *d, const tok_t *map, const lwm2m_path_t *path, bool top)
{
    bool indef = map->kind == TOK_MAP_INDEF;
    uint64_t n = 0;
    for (;; n++) {
        tok_t key, value;
        lwm2m_path_t child = *path;
        int rc;
        if (!indef && n == map->u)
            break;
        if ((rc = next(d, &key)) < 0)
            return rc;
        if (key.kind == TOK_BREAK && indef)
            break;
        if (key.kind == TOK_BREAK)
            return fail(d, key.offset, "break inside a definite-length map");
        if ((rc = decode_key(d, &key, top, &child)) < 0 || (rc = next(d, &value)) < 0)
            return rc;
        if (value.kind == TOK_BREAK)
            return fail(d, value.offset, "value missing");
        if ((rc = decode_value(d, &value, &child)) < 0)
            return rc;
    }
    return n == 0 ? empty_container(d, path, map->offset) : 0;
}

static int lwm2m_cbor_decode(const uint8_t *data, size_t len, const lwm2m_path_t *base,
                             const lwm2m_decode_opts_t *opts, lwm2m_nodes_t *out,
                             lwm2m_error_t *err)
{
    decoder_t d = {.data = data, .len = len, .base = base, .opts = opts, .out = out, .err = err};
    lwm2m_path_t top = lwm2m_path_root();
    tok_t t;
    int rc = len == 0 ? fail(&d, 0, "empty payload: LwM2M CBOR needs a map") : next(&d, &t);
    if (rc == 0 && t.kind != TOK_MAP && t.kind != TOK_MAP_INDEF)
        rc = fail(&d, 0, "top level must be a map");
    memcpy(top.prefix, base->prefix, sizeof(top.prefix));
    if (rc == 0)
        rc = decode_map(&d, &t, &top, true);
    if (rc == 0 && d.pos != len)
        rc = fail(&d, d.pos, "bytes after the top-level map");
    trie_free(&d.trie);
    return rc;
}

/* ---- encoder ---- */

typedef struct encoder {
    lwm2m_buf_t *out;
    const lwm2m_node_t *nodes;
    trie_t trie;
    lwm2m_error_t *err;
} encoder_t;

static int put_head(lwm2m_buf_t *out, size_t (*fn)(size_t, unsigned char *, size_t), size_t n)
{
    unsigned char tmp[9];
    return lwm2m_buf_append(out, tmp, fn(n, tmp, sizeof(tmp)));
}

static int put_uint(lwm2m_buf_t *out, uint64_t v)
{
    unsigned char tmp[9];
    return lwm2m_buf_append(out, tmp, cbor_encode_uint(v, tmp, sizeof(tmp)));
}

static int put_int(lwm2m_buf_t *out, int64_t v)
{
    unsigned char tmp[9];
    size_t n = v >= 0 ? cbor_encode_uint((uint64_t)v, tmp, sizeof(tmp))
                      : cbor_encode_negint((uint64_t)(-1 - v), tmp, sizeof(tmp));
    return lwm2m_buf_append(out, tmp, n);
}

static int put_string(lwm2m_buf_t *out, bool text, const void *data, size_t len)
{
    int rc = put_head(out, text ? cbor_encode_string_start : cbor_encode_bytestring_start, len);
    return rc < 0 ? rc : lwm2m_buf_append(out, data, len);
}

static double half_value(const unsigned char *b)
{
    unsigned h = (unsigned)b[0] << 8 | b[1];
    unsigned exp = h >> 10 & 0x1f, mant = h & 0x3ff;
    double v = exp == 0    ? ldexp(mant, -24)
               : exp == 31 ? (mant ? NAN : INFINITY)
                           : ldexp(mant + 1024, (int)exp - 25);
    return h & 0x8000 ? -v : v;
}

/* The shortest of half, single and double that holds v exactly (NaN as the half 7e00). */
static int put_float(lwm2m_buf_t *out, double v)
{
    unsigned char tmp[9];
    size_t n = 0;
    if (isnan(v) || (fabs(v) <= FLT_MAX || isinf(v))) {
        float f = isnan(v) ? NAN : (float)v;
        n = cbor_encode_half(f, tmp, sizeof(tmp));
        double back = half_value(tmp + 1);
        if (!isnan(v) && (back != v || signbit(back) != signbit(v)))
            n = (double)f == v ? cbor_encode_single(f, tmp, sizeof(tmp)) : 0;
    }
    if (n == 0)
        n = cbor_encode_double(v, tmp, sizeof(tmp));
    return lwm2m_buf_append(out, tmp, n);
}

static int put_value(encoder_t *e, const lwm2m_node_t *node)
{
    const lwm2m_value_t *v = &node->value;
    unsigned char tmp[9];
    char link[16];
    switch (v->type) {
    case LWM2M_TYPE_INTEGER:
    case LWM2M_TYPE_TIME:
        return put_int(e->out, v->u.integer);
    case LWM2M_TYPE_UNSIGNED:
        return put_uint(e->out, v->u.unsigned_integer);
    case LWM2M_TYPE_FLOAT:
        return put_float(e->out, v->u.floating);
    case LWM2M_TYPE_BOOLEAN:
        return lwm2m_buf_append(e->out, tmp, cbor_encode_bool(v->u.boolean, tmp, sizeof(tmp)));
    case LWM2M_TYPE_NONE:
        return lwm2m_buf_append(e->out, tmp, cbor_encode_null(tmp, sizeof(tmp)));
    case LWM2M_TYPE_STRING:
    case LWM2M_TYPE_CORELNK:
        if (!cbor_utf8_valid(v->u.bytes.data, v->u.bytes.len))
            return lwm2m_error_set(e->err, LWM2M_ERR_NOT_ACCEPTABLE, 0, "string not UTF-8");
        return put_string(e->out, true, v->u.bytes.data, v->u.bytes.len);
    case LWM2M_TYPE_OPAQUE:
        return put_string(e->out, false, v->u.bytes.data, v->u.bytes.len);
    case LWM2M_TYPE_OBJLNK: {
        int n = lwm2m_objlnk_format(v->u.objlnk, link, sizeof(link));
        return put_string(e->out, true, link, (size_t)n);
    }
    case LWM2M_TYPE_INSTANCE:
    case LWM2M_TYPE_MULTIPLE:
        return put_head(e->out, cbor_encode_map_start, 0);
    default:
        return lwm2m_error_set(e->err, LWM2M_ERR_NOT_ACCEPTABLE, 0, "value of unknown type");
    }
}

static size_t child_count(const trie_t *t, int32_t idx)
{
    size_t n = 0;
    for (int32_t c = t->items[idx].first; c >= 0; c = t->items[c].next)
        n++;
    return n;
}

/* The value under a trie entry: the node's value, or a map keyed by single IDs. */
static int put_entry(encoder_t *e, int32_t idx)
{
    const trie_entry_t *t = &e->trie.items[idx];
    if (t->leaf >= 0)
        return put_value(e, &e->nodes[t->leaf]);
    int rc = put_head(e->out, cbor_encode_map_start, child_count(&e->trie, idx));
    for (int32_t c = t->first; rc == 0 && c >= 0; c = e->trie.items[c].next) {
        rc = put_uint(e->out, e->trie.items[c].key);
        if (rc == 0)
            rc = put_entry(e, c);
    }
    return rc;
}

/* One top-level key: [prefix,] object, then down while the branch has a single child. */
static int put_top_entry(encoder_t *e, const char *prefix, int32_t obj)
{
    uint32_t ids[LWM2M_PATH_MAX_DEPTH];
    size_t n = 0;
    int32_t idx = obj;
    ids[n++] = e->trie.items[idx].key;
    while (e->trie.items[idx].leaf < 0 && child_count(&e->trie, idx) == 1) {
        idx = e->trie.items[idx].first;
        ids[n++] = e->trie.items[idx].key;
    }
    int rc = 0;
    if (prefix[0] || n > 1)
        rc = put_head(e->out, cbor_encode_array_start, n + (prefix[0] ? 1 : 0));
    if (rc == 0 && prefix[0])
        rc = put_string(e->out, true, prefix, strlen(prefix));
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = put_uint(e->out, ids[i]);
    return rc < 0 ? rc : put_entry(e, idx);
}

static int check_node(const lwm2m_path_t *base, const lwm2m_node_t *node, size_t i,
                      lwm2m_error_t *err)
{
    lwm2m_type_t t = node->value.type;
    uint8_t depth = node->path.depth;
    const char *why = NULL;
    if (t == LWM2M_TYPE_INSTANCE ? depth != 2 : t == LWM2M_TYPE_MULTIPLE ? depth != 3 : depth < 3)
        why = "not a resource, resource instance or empty container";
    else if (!in_base(base, &node->path, false))
        why = "outside the request path";
    else if (node->has_time)
        why = "LwM2M CBOR carries no timestamps";
    if (why)
        return lwm2m_error_set(err, LWM2M_ERR_NOT_ACCEPTABLE, 0, "node %zu: %s", i, why);
    return 0;
}

static int lwm2m_cbor_encode(const lwm2m_path_t *base, const lwm2m_node_t *nodes, size_t count,
                             lwm2m_buf_t *out, lwm2m_error_t *err)
{
    encoder_t e = {.out = out, .nodes = nodes, .err = err};
    int rc = count > INT32_MAX ? lwm2m_error_set(err, LWM2M_ERR_TOO_LARGE, 0, "too many nodes") : 0;
    for (size_t i = 0; rc == 0 && i < count; i++) {
        rc = check_node(base, &nodes[i], i, err);
        if (rc == 0 && (rc = trie_insert(&e.trie, &nodes[i].path, (int32_t)i)) == 1)
            rc = lwm2m_error_set(err, LWM2M_ERR_NOT_ACCEPTABLE, 0,
                                 "node %zu: path given twice, or inside another value", i);
    }
    size_t top = 0;
    for (int32_t p = e.trie.count ? e.trie.items[0].first : -1; rc == 0 && p >= 0;
         p = e.trie.items[p].next)
        top += child_count(&e.trie, p);
    if (rc == 0)
        rc = put_head(out, cbor_encode_map_start, top);
    for (int32_t p = e.trie.count ? e.trie.items[0].first : -1; rc == 0 && p >= 0;
         p = e.trie.items[p].next)
        for (int32_t o = e.trie.items[p].first; rc == 0 && o >= 0; o = e.trie.items[o].next)
            rc = put_top_entry(&e, e.trie.prefixes[e.trie.items[p].key], o);
    trie_free(&e.trie);
    if (rc == LWM2M_ERR_TOO_LARGE || rc == LWM2M_ERR_INTERNAL) /* from the buffer or the trie */
        lwm2m_error_set(err, rc, out->len, "%s",
                        rc == LWM2M_ERR_TOO_LARGE ? "output too large" : "out of memory");
    return rc;
}

const lwm2m_codec_t lwm2m_codec_lwm2m_cbor = {LWM2M_CF_LWM2M_CBOR, "lwm2m-cbor", lwm2m_cbor_decode,
                                              lwm2m_cbor_encode};
