/* codec_tlv.c - OMA TLV (Content-Format 11542): the raw record layer of tlv.h and the node codec
 * on top of it.
 *
 * Decoding is relative to the request path: at /o the payload is Object Instance records (or,
 * as Leshan accepts, bare resources that then belong to instance 0); at /o/i resource records;
 * at /o/i/r one Resource Value, a Multiple Resource or bare Resource Instances; at /o/i/r/ri
 * one Resource Instance. A record may restate a level of the request path (an Object Instance
 * wrapping the resources of /o/i, a Multiple Resource wrapping /o/i/r/ri) when its id matches.
 * Duplicate paths, ids that contradict the path and truncated records are errors (Leshan's
 * checks; Zephyr checks less). Booleans accept 1 or 2 bytes and any nonzero value as true
 * (Zephyr's reading; Leshan takes only 1 byte).
 *
 * Encoding writes the shortest id and length fields, integers in the smallest of 1/2/4/8 bytes
 * and floats always as 8 bytes (Zephyr always does; the vectors follow it). At /o each instance
 * is wrapped in an Object Instance record; at /o/i the resources are written bare; a
 * multi-instance resource is a Multiple Resource record, also at /o/i/r (as Leshan does).
 */
#include <stdlib.h>
#include <string.h>

#include "lwm2m/codec.h"
#include "lwm2m/tlv.h"

/* ---- raw records ------------------------------------------------------------------------- */

typedef struct tlv_header {
    lwm2m_tlv_type_t type;
    uint16_t id;
    size_t body; /* offset of the value / children */
    size_t len;  /* their length */
} tlv_header_t;

static const char *tlv_type_name(lwm2m_tlv_type_t type)
{
    static const char *const names[] = {"object instance", "resource instance", "multiple resource",
                                        "resource value"};
    return names[type & 3];
}

static bool tlv_is_container(lwm2m_tlv_type_t type)
{
    return type == LWM2M_TLV_OBJECT_INSTANCE || type == LWM2M_TLV_MULTIPLE_RESOURCE;
}

/* Which record types may appear inside a parent (top level: parent < 0). */
static bool tlv_child_allowed(int parent, lwm2m_tlv_type_t child)
{
    if (parent < 0)
        return true;
    if (parent == LWM2M_TLV_OBJECT_INSTANCE)
        return child == LWM2M_TLV_RESOURCE_VALUE || child == LWM2M_TLV_MULTIPLE_RESOURCE;
    if (parent == LWM2M_TLV_MULTIPLE_RESOURCE)
        return child == LWM2M_TLV_RESOURCE_INSTANCE;
    return false;
}

/* Reads the header at data[pos] (pos < end); checks that the body fits before `end`. */
static int tlv_header_read(const uint8_t *data, size_t pos, size_t end, tlv_header_t *h,
                           lwm2m_error_t *err)
{
    uint8_t t = data[pos];
    size_t p = pos + 1;
    size_t id_len = (t & 0x20) ? 2 : 1;
    size_t len_len = (t >> 3) & 3;
    if (end - p < id_len + len_len)
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, pos, "truncated TLV header");
    h->type = (lwm2m_tlv_type_t)(t >> 6);
    h->id = data[p];
    if (id_len == 2)
        h->id = (uint16_t)(h->id << 8 | data[p + 1]);
    p += id_len;
    size_t len = len_len ? 0 : (size_t)(t & 7);
    for (size_t i = 0; i < len_len; i++)
        len = len << 8 | data[p++];
    if (len > end - p)
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, pos,
                               "TLV length %zu exceeds the %zu bytes left", len, end - p);
    h->body = p;
    h->len = len;
    return 0;
}

/* Validates the records in [start, end) and their children; counts them all into *count. */
static int tlv_scan(const uint8_t *data, size_t start, size_t end, int parent, size_t max,
                    size_t *count, lwm2m_error_t *err)
{
    for (size_t pos = start; pos < end;) {
        tlv_header_t h;
        int rc = tlv_header_read(data, pos, end, &h, err);
        if (rc < 0)
            return rc;
        if (!tlv_child_allowed(parent, h.type))
            return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, pos, "%s TLV inside a %s TLV",
                                   tlv_type_name(h.type), tlv_type_name((lwm2m_tlv_type_t)parent));
        if (++*count > max)
            return lwm2m_error_set(err, LWM2M_ERR_TOO_LARGE, pos, "more than %zu TLV records", max);
        if (tlv_is_container(h.type)) {
            rc = tlv_scan(data, h.body, h.body + h.len, (int)h.type, max, count, err);
            if (rc < 0)
                return rc;
        }
        pos = h.body + h.len;
    }
    return 0;
}

/* Number of records in [start, end), already validated by tlv_scan. */
static size_t tlv_count_siblings(const uint8_t *data, size_t start, size_t end)
{
    size_t n = 0;
    for (size_t pos = start; pos < end; n++) {
        tlv_header_t h;
        tlv_header_read(data, pos, end, &h, NULL);
        pos = h.body + h.len;
    }
    return n;
}

/* Fills `list` with the records of [start, end); children come from pool[*used...]. */
static void tlv_fill(const uint8_t *data, size_t start, size_t end, lwm2m_tlv_t *list,
                     lwm2m_tlv_t *pool, size_t *used)
{
    size_t i = 0;
    for (size_t pos = start; pos < end; i++) {
        tlv_header_t h;
        tlv_header_read(data, pos, end, &h, NULL);
        lwm2m_tlv_t *t = &list[i];
        memset(t, 0, sizeof(*t));
        t->type = h.type;
        t->id = h.id;
        t->offset = pos;
        if (tlv_is_container(h.type)) {
            t->child_count = tlv_count_siblings(data, h.body, h.body + h.len);
            t->children = t->child_count ? &pool[*used] : NULL;
            *used += t->child_count;
            tlv_fill(data, h.body, h.body + h.len, t->children, pool, used);
        } else {
            t->value = data + h.body;
            t->value_len = h.len;
        }
        pos = h.body + h.len;
    }
}

int lwm2m_tlv_parse(const uint8_t *data, size_t len, size_t max_records, lwm2m_tlv_t **ret_tlvs,
                    size_t *ret_count, lwm2m_error_t *err)
{
    size_t total = 0;
    if (max_records == 0)
        max_records = LWM2M_TLV_DEFAULT_MAX_RECORDS;
    int rc = tlv_scan(data, 0, len, -1, max_records, &total, err);
    if (rc < 0)
        return rc;
    lwm2m_tlv_t *pool = NULL;
    if (total) {
        pool = calloc(total, sizeof(*pool));
        if (!pool)
            return lwm2m_error_set(err, LWM2M_ERR_INTERNAL, 0, "out of memory");
    }
    size_t top = total ? tlv_count_siblings(data, 0, len) : 0;
    size_t used = top;
    if (total)
        tlv_fill(data, 0, len, pool, pool, &used);
    *ret_tlvs = pool;
    *ret_count = top;
    return 0;
}

void lwm2m_tlv_free(lwm2m_tlv_t *tlvs)
{
    free(tlvs);
}

size_t lwm2m_tlv_header_size(uint16_t id, size_t body_len)
{
    size_t n = id > 0xFF ? 3 : 2;
    if (body_len >= 8)
        n += body_len <= 0xFF ? 1 : body_len <= 0xFFFF ? 2 : 3;
    return n;
}

int lwm2m_tlv_write_header(lwm2m_tlv_type_t type, uint16_t id, size_t body_len, lwm2m_buf_t *out,
                           lwm2m_error_t *err)
{
    uint8_t h[6];
    size_t n = 1;
    if (body_len > LWM2M_TLV_MAX_LENGTH)
        return lwm2m_error_set(err, LWM2M_ERR_NOT_ACCEPTABLE, 0,
                               "TLV body of %zu bytes exceeds the 24-bit length", body_len);
    h[0] = (uint8_t)((unsigned)type << 6);
    if (id > 0xFF) {
        h[0] |= 0x20;
        h[n++] = (uint8_t)(id >> 8);
    }
    h[n++] = (uint8_t)id;
    size_t len_len = body_len < 8 ? 0 : body_len <= 0xFF ? 1 : body_len <= 0xFFFF ? 2 : 3;
    if (len_len == 0)
        h[0] |= (uint8_t)body_len;
    h[0] |= (uint8_t)(len_len << 3);
    for (size_t i = len_len; i > 0; i--)
        h[n++] = (uint8_t)(body_len >> (8 * (i - 1)));
    int rc = lwm2m_buf_append(out, h, n);
    if (rc < 0)
        return lwm2m_error_set(err, rc, out->len, "output buffer limit reached");
    return 0;
}

/* Body size of a record tree; -406 when something exceeds the 24-bit length or nests wrongly. */
static int tlv_body_size(const lwm2m_tlv_t *t, size_t *ret, lwm2m_error_t *err)
{
    if (!tlv_is_container(t->type)) {
        *ret = t->value_len;
    } else {
        size_t sum = 0;
        for (size_t i = 0; i < t->child_count; i++) {
            const lwm2m_tlv_t *c = &t->children[i];
            size_t body;
            if (!tlv_child_allowed((int)t->type, c->type))
                return lwm2m_error_set(err, LWM2M_ERR_NOT_ACCEPTABLE, 0, "%s TLV inside a %s TLV",
                                       tlv_type_name(c->type), tlv_type_name(t->type));
            int rc = tlv_body_size(c, &body, err);
            if (rc < 0)
                return rc;
            sum += lwm2m_tlv_header_size(c->id, body) + body;
            if (sum > LWM2M_TLV_MAX_LENGTH)
                break;
        }
        *ret = sum;
    }
    if (*ret > LWM2M_TLV_MAX_LENGTH)
        return lwm2m_error_set(err, LWM2M_ERR_NOT_ACCEPTABLE, 0,
                               "TLV body exceeds the 24-bit length");
    return 0;
}

int lwm2m_tlv_write(const lwm2m_tlv_t *tlvs, size_t count, lwm2m_buf_t *out, lwm2m_error_t *err)
{
    for (size_t i = 0; i < count; i++) {
        const lwm2m_tlv_t *t = &tlvs[i];
        size_t body;
        int rc = tlv_body_size(t, &body, err);
        if (rc == 0)
            rc = lwm2m_tlv_write_header(t->type, t->id, body, out, err);
        if (rc < 0)
            return rc;
        if (tlv_is_container(t->type))
            rc = lwm2m_tlv_write(t->children, t->child_count, out, err);
        else if (body && (rc = lwm2m_buf_append(out, t->value, body)) < 0)
            lwm2m_error_set(err, rc, out->len, "output buffer limit reached");
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* ---- values -------------------------------------------------------------------------------- */

static bool int_length_ok(size_t len)
{
    return len == 1 || len == 2 || len == 4 || len == 8;
}

static uint64_t read_be(const uint8_t *data, size_t len)
{
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++)
        v = v << 8 | data[i];
    return v;
}

static int64_t read_be_signed(const uint8_t *data, size_t len)
{
    uint64_t u = read_be(data, len);
    if (len < 8 && (data[0] & 0x80))
        u |= ~UINT64_C(0) << (8 * len);
    /* Two's complement without relying on implementation-defined conversion. */
    return u <= INT64_MAX ? (int64_t)u : -(int64_t)(~u) - 1;
}

static void write_be(uint64_t v, uint8_t *out, size_t len)
{
    for (size_t i = len; i > 0; i--, v >>= 8)
        out[i - 1] = (uint8_t)v;
}

int lwm2m_tlv_value_decode(lwm2m_type_t type, const uint8_t *data, size_t len,
                           lwm2m_value_t *ret_value)
{
    switch (type) {
    case LWM2M_TYPE_INTEGER:
    case LWM2M_TYPE_TIME:
        if (!int_length_ok(len))
            return LWM2M_ERR_BAD_REQUEST;
        *ret_value = type == LWM2M_TYPE_TIME ? lwm2m_value_time(read_be_signed(data, len))
                                             : lwm2m_value_integer(read_be_signed(data, len));
        return 0;
    case LWM2M_TYPE_UNSIGNED:
        if (!int_length_ok(len))
            return LWM2M_ERR_BAD_REQUEST;
        *ret_value = lwm2m_value_unsigned(read_be(data, len));
        return 0;
    case LWM2M_TYPE_FLOAT:
        if (len == 4) {
            uint32_t bits = (uint32_t)read_be(data, 4);
            float f;
            memcpy(&f, &bits, sizeof(f));
            *ret_value = lwm2m_value_float((double)f);
        } else if (len == 8) {
            uint64_t bits = read_be(data, 8);
            double d;
            memcpy(&d, &bits, sizeof(d));
            *ret_value = lwm2m_value_float(d);
        } else {
            return LWM2M_ERR_BAD_REQUEST;
        }
        return 0;
    case LWM2M_TYPE_BOOLEAN:
        if (len != 1 && len != 2)
            return LWM2M_ERR_BAD_REQUEST;
        *ret_value = lwm2m_value_boolean(read_be(data, len) != 0);
        return 0;
    case LWM2M_TYPE_OBJLNK:
        if (len != 4)
            return LWM2M_ERR_BAD_REQUEST;
        *ret_value = lwm2m_value_objlnk((uint16_t)read_be(data, 2), (uint16_t)read_be(data + 2, 2));
        return 0;
    case LWM2M_TYPE_STRING:
    case LWM2M_TYPE_CORELNK:
    case LWM2M_TYPE_OPAQUE:
        *ret_value = lwm2m_value_bytes(type, data, len);
        return 0;
    default:
        return LWM2M_ERR_NOT_ACCEPTABLE;
    }
}

static size_t signed_width(int64_t v)
{
    if (v >= INT8_MIN && v <= INT8_MAX)
        return 1;
    if (v >= INT16_MIN && v <= INT16_MAX)
        return 2;
    return v >= INT32_MIN && v <= INT32_MAX ? 4 : 8;
}

int lwm2m_tlv_value_encode(const lwm2m_value_t *value, uint8_t scratch[8], const uint8_t **ret_data,
                           size_t *ret_len)
{
    size_t len;
    uint64_t bits;
    switch (value->type) {
    case LWM2M_TYPE_INTEGER:
    case LWM2M_TYPE_TIME:
        len = signed_width(value->u.integer);
        bits = (uint64_t)value->u.integer;
        break;
    case LWM2M_TYPE_UNSIGNED:
        bits = value->u.unsigned_integer;
        len = bits <= 0xFF ? 1 : bits <= 0xFFFF ? 2 : bits <= 0xFFFFFFFFu ? 4 : 8;
        break;
    case LWM2M_TYPE_FLOAT:
        memcpy(&bits, &value->u.floating, sizeof(bits));
        len = 8;
        break;
    case LWM2M_TYPE_BOOLEAN:
        bits = value->u.boolean ? 1 : 0;
        len = 1;
        break;
    case LWM2M_TYPE_OBJLNK:
        bits = (uint64_t)value->u.objlnk.object << 16 | value->u.objlnk.instance;
        len = 4;
        break;
    case LWM2M_TYPE_STRING:
    case LWM2M_TYPE_CORELNK:
    case LWM2M_TYPE_OPAQUE:
        *ret_data = value->u.bytes.data;
        *ret_len = value->u.bytes.len;
        return 0;
    default:
        return LWM2M_ERR_NOT_ACCEPTABLE;
    }
    write_be(bits, scratch, len);
    *ret_data = scratch;
    *ret_len = len;
    return 0;
}

/* ---- node decoding ------------------------------------------------------------------------- */

typedef struct tlv_walk {
    const uint8_t *data;
    const lwm2m_path_t *base;
    const lwm2m_decode_opts_t *opts;
    lwm2m_nodes_t *out;
    lwm2m_error_t *err;
    size_t *offsets; /* input offset of each node appended, for error messages */
    size_t offsets_cap;
    size_t start; /* out->count when decoding began */
} tlv_walk_t;

/* Path depth a record of this type names: instance 2, resource 3, resource instance 4. */
static uint8_t tlv_natural_depth(lwm2m_tlv_type_t type)
{
    switch (type) {
    case LWM2M_TLV_OBJECT_INSTANCE:
        return 2;
    case LWM2M_TLV_RESOURCE_INSTANCE:
        return 4;
    default:
        return 3;
    }
}

static int walk_add(tlv_walk_t *w, const lwm2m_path_t *path, const lwm2m_value_t *value,
                    size_t offset)
{
    size_t index = w->out->count - w->start;
    if (index >= w->offsets_cap) {
        size_t cap = w->offsets_cap ? w->offsets_cap * 2 : 16;
        size_t *o = realloc(w->offsets, cap * sizeof(*o));
        if (!o)
            return lwm2m_error_set(w->err, LWM2M_ERR_INTERNAL, offset, "out of memory");
        w->offsets = o;
        w->offsets_cap = cap;
    }
    int rc = lwm2m_nodes_add(w->out, path, value, NULL);
    if (rc < 0)
        return lwm2m_error_set(w->err, rc, offset, "node list limit reached");
    w->offsets[index] = offset;
    return 0;
}

static int walk_leaf(tlv_walk_t *w, const lwm2m_tlv_t *t, const lwm2m_path_t *path)
{
    lwm2m_type_t type = lwm2m_decode_type(w->opts, path);
    lwm2m_value_t value;
    size_t offset = t->value ? (size_t)(t->value - w->data) : t->offset;
    if (type < LWM2M_TYPE_STRING || type > LWM2M_TYPE_CORELNK)
        type = LWM2M_TYPE_OPAQUE; /* unknown or executable: keep the bytes */
    if (lwm2m_tlv_value_decode(type, t->value, t->value_len, &value) < 0)
        return lwm2m_error_set(w->err, LWM2M_ERR_BAD_REQUEST, offset,
                               "%zu bytes is not a valid TLV %s", t->value_len,
                               lwm2m_type_name(type));
    return walk_add(w, path, &value, t->offset);
}

static int walk_marker(tlv_walk_t *w, const lwm2m_tlv_t *t, const lwm2m_path_t *path)
{
    lwm2m_value_t v =
        lwm2m_value_none(path->depth == 2 ? LWM2M_TYPE_INSTANCE : LWM2M_TYPE_MULTIPLE);
    return walk_add(w, path, &v, t->offset);
}

static int walk_list(tlv_walk_t *w, const lwm2m_tlv_t *tlvs, size_t count, const lwm2m_path_t *ctx);

/* One record whose parent is `ctx`: either the next level down, or (only right at the request
 * path, since tlv_parse enforces the nesting) a record restating a level of the request path. */
static int walk_one(tlv_walk_t *w, const lwm2m_tlv_t *t, const lwm2m_path_t *ctx)
{
    uint8_t n = tlv_natural_depth(t->type);
    bool container = tlv_is_container(t->type);
    if (n <= ctx->depth) {
        if (ctx->id[n - 1] != t->id)
            return lwm2m_error_set(w->err, LWM2M_ERR_BAD_REQUEST, t->offset,
                                   "%s TLV id %u does not match the request path",
                                   tlv_type_name(t->type), (unsigned)t->id);
        if (!container && n != ctx->depth)
            return lwm2m_error_set(w->err, LWM2M_ERR_BAD_REQUEST, t->offset,
                                   "%s TLV where a resource instance is expected",
                                   tlv_type_name(t->type));
        if (!container)
            return walk_leaf(w, t, ctx);
        if (t->child_count == 0 && n == ctx->depth)
            return walk_marker(w, t, ctx);
        return walk_list(w, t->children, t->child_count, ctx);
    }
    if (n != ctx->depth + 1)
        return lwm2m_error_set(w->err, LWM2M_ERR_BAD_REQUEST, t->offset,
                               "%s TLV not expected below the request path",
                               tlv_type_name(t->type));
    lwm2m_path_t path = *ctx;
    lwm2m_path_append(&path, t->id);
    if (!container)
        return walk_leaf(w, t, &path);
    if (t->child_count == 0)
        return walk_marker(w, t, &path);
    return walk_list(w, t->children, t->child_count, &path);
}

static int walk_list(tlv_walk_t *w, const lwm2m_tlv_t *tlvs, size_t count, const lwm2m_path_t *ctx)
{
    for (size_t i = 0; i < count; i++) {
        int rc = walk_one(w, &tlvs[i], ctx);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* At an object path, bare resources (no Object Instance record) belong to instance 0. */
static int walk_top(tlv_walk_t *w, const lwm2m_tlv_t *tlvs, size_t count)
{
    lwm2m_path_t ctx = *w->base;
    if (ctx.depth == 1 && count > 0 && tlvs[0].type != LWM2M_TLV_OBJECT_INSTANCE) {
        for (size_t i = 0; i < count; i++)
            if (tlv_natural_depth(tlvs[i].type) != 3)
                return lwm2m_error_set(w->err, LWM2M_ERR_BAD_REQUEST, tlvs[i].offset,
                                       "%s TLV mixed with resources at an object path",
                                       tlv_type_name(tlvs[i].type));
        lwm2m_path_append(&ctx, 0);
    }
    return walk_list(w, tlvs, count, &ctx);
}

/* Nothing decoded: an empty instance, an empty multi-instance resource, or an error. */
static int walk_empty(tlv_walk_t *w)
{
    const lwm2m_path_t *base = w->base;
    lwm2m_value_t marker;
    if (base->depth == 1)
        return 0;
    if (base->depth == 2) {
        marker = lwm2m_value_none(LWM2M_TYPE_INSTANCE);
    } else if (base->depth == 3 && w->opts &&
               lwm2m_model_is_multiple(w->opts->model, base->id[0], base->id[2]) == 1) {
        marker = lwm2m_value_none(LWM2M_TYPE_MULTIPLE);
    } else {
        return lwm2m_error_set(w->err, LWM2M_ERR_BAD_REQUEST, 0,
                               "no value for a single-instance resource");
    }
    return walk_add(w, base, &marker, 0);
}

typedef struct tlv_seen {
    const lwm2m_node_t *node;
    size_t offset;
} tlv_seen_t;

static int seen_compare(const void *a, const void *b)
{
    const tlv_seen_t *x = a, *y = b;
    int c = lwm2m_path_compare(&x->node->path, &y->node->path);
    if (c)
        return c;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static bool is_marker(const lwm2m_node_t *n)
{
    return n->value.type == LWM2M_TYPE_MULTIPLE || n->value.type == LWM2M_TYPE_INSTANCE;
}

/* Rejects a path decoded twice, and a path decoded both as a value or empty container and as
 * the parent of other values. */
static int walk_check_unique(tlv_walk_t *w)
{
    size_t n = w->out->count - w->start;
    if (n < 2)
        return 0;
    tlv_seen_t *seen = malloc(n * sizeof(*seen));
    if (!seen)
        return lwm2m_error_set(w->err, LWM2M_ERR_INTERNAL, 0, "out of memory");
    for (size_t i = 0; i < n; i++)
        seen[i] = (tlv_seen_t){&w->out->items[w->start + i], w->offsets[i]};
    qsort(seen, n, sizeof(*seen), seen_compare);
    int rc = 0;
    for (size_t i = 1; i < n && rc == 0; i++) {
        const lwm2m_node_t *a = seen[i - 1].node, *b = seen[i].node;
        char p[LWM2M_PATH_STR_MAX];
        lwm2m_path_format(&b->path, p, sizeof(p));
        if (lwm2m_path_equal(&a->path, &b->path))
            rc = lwm2m_error_set(w->err, LWM2M_ERR_BAD_REQUEST, seen[i].offset, "%s appears twice",
                                 p);
        else if (lwm2m_path_contains(&a->path, &b->path))
            rc = lwm2m_error_set(w->err, LWM2M_ERR_BAD_REQUEST, seen[i].offset, "%s is inside a %s",
                                 p, is_marker(a) ? "empty container" : "value");
    }
    free(seen);
    return rc;
}

static int tlv_decode(const uint8_t *data, size_t len, const lwm2m_path_t *base,
                      const lwm2m_decode_opts_t *opts, lwm2m_nodes_t *out, lwm2m_error_t *err)
{
    if (base->depth == 0)
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, 0, "TLV needs an object path");
    /* Every record yields at most one node, except containers: at most 3 records per node. */
    size_t max_count = out->max_count ? out->max_count : LWM2M_NODES_DEFAULT_MAX;
    size_t room = max_count > out->count ? max_count - out->count : 0;
    lwm2m_tlv_t *tlvs = NULL;
    size_t count = 0;
    int rc = lwm2m_tlv_parse(data, len, 3 * room + 3, &tlvs, &count, err);
    if (rc < 0)
        return rc;
    tlv_walk_t w = {
        .data = data, .base = base, .opts = opts, .out = out, .err = err, .start = out->count};
    rc = walk_top(&w, tlvs, count);
    if (rc == 0 && out->count == w.start)
        rc = walk_empty(&w);
    if (rc == 0)
        rc = walk_check_unique(&w);
    free(w.offsets);
    lwm2m_tlv_free(tlvs);
    return rc;
}

/* ---- node encoding ------------------------------------------------------------------------- */

static int node_compare(const void *a, const void *b)
{
    const lwm2m_node_t *x = *(const lwm2m_node_t *const *)a;
    const lwm2m_node_t *y = *(const lwm2m_node_t *const *)b;
    int c = lwm2m_path_compare(&x->path, &y->path);
    return c ? c : (x < y ? -1 : x > y);
}

/* Checks one node against the request path: inside it, a leaf at /o/i/r or /o/i/r/ri, or an
 * empty-instance / empty-resource marker at /o/i or /o/i/r. */
static int encode_check_node(const lwm2m_path_t *base, const lwm2m_node_t *n, lwm2m_error_t *err)
{
    char p[LWM2M_PATH_STR_MAX];
    lwm2m_path_format(&n->path, p, sizeof(p));
    if (!lwm2m_path_contains(base, &n->path))
        return lwm2m_error_set(err, LWM2M_ERR_NOT_ACCEPTABLE, 0, "%s is outside the request path",
                               p);
    uint8_t d = n->path.depth;
    bool ok;
    switch (n->value.type) {
    case LWM2M_TYPE_INSTANCE:
        ok = d == 2;
        break;
    case LWM2M_TYPE_MULTIPLE:
        ok = d == 3;
        break;
    case LWM2M_TYPE_UNKNOWN:
    case LWM2M_TYPE_NONE:
        ok = false;
        break;
    default:
        ok = d == 3 || d == 4;
    }
    if (!ok)
        return lwm2m_error_set(err, LWM2M_ERR_NOT_ACCEPTABLE, 0, "TLV can't carry a %s at %s",
                               lwm2m_type_name(n->value.type), p);
    return 0;
}

/* Validates the nodes and returns them sorted by path, without duplicates or overlaps. */
static int encode_prepare(const lwm2m_path_t *base, const lwm2m_node_t *nodes, size_t count,
                          const lwm2m_node_t ***ret_sorted, lwm2m_error_t *err)
{
    if (base->depth == 0)
        return lwm2m_error_set(err, LWM2M_ERR_NOT_ACCEPTABLE, 0, "TLV needs an object path");
    const lwm2m_node_t **sorted = malloc((count ? count : 1) * sizeof(*sorted));
    if (!sorted)
        return lwm2m_error_set(err, LWM2M_ERR_INTERNAL, 0, "out of memory");
    int rc = 0;
    for (size_t i = 0; i < count && rc == 0; i++) {
        sorted[i] = &nodes[i];
        rc = encode_check_node(base, &nodes[i], err);
    }
    if (rc == 0)
        qsort(sorted, count, sizeof(*sorted), node_compare);
    for (size_t i = 1; i < count && rc == 0; i++)
        if (lwm2m_path_contains(&sorted[i - 1]->path, &sorted[i]->path))
            rc = lwm2m_error_set(err, LWM2M_ERR_NOT_ACCEPTABLE, 0,
                                 "a node is given twice, or both as a value and a container");
    if (rc < 0) {
        free(sorted);
        return rc;
    }
    *ret_sorted = sorted;
    return 0;
}

/* Writes (out != NULL) or measures the records at path depth `level` for nodes[0..count), which
 * share the path down to level - 1. Adds the bytes to *size. */
static int encode_level(const lwm2m_node_t *const *nodes, size_t count, uint8_t level,
                        lwm2m_buf_t *out, size_t *size, lwm2m_error_t *err)
{
    for (size_t i = 0, j; i < count; i = j) {
        uint16_t id = nodes[i]->path.id[level - 1];
        for (j = i + 1; j < count && nodes[j]->path.id[level - 1] == id; j++)
            ;
        const lwm2m_node_t *n = nodes[i];
        bool leaf = j == i + 1 && n->path.depth == level && !is_marker(n);
        lwm2m_tlv_type_t type = level == 2   ? LWM2M_TLV_OBJECT_INSTANCE
                                : level == 4 ? LWM2M_TLV_RESOURCE_INSTANCE
                                : leaf       ? LWM2M_TLV_RESOURCE_VALUE
                                             : LWM2M_TLV_MULTIPLE_RESOURCE;
        uint8_t scratch[8];
        const uint8_t *value = NULL;
        size_t body = 0;
        int rc = 0;
        if (leaf && lwm2m_tlv_value_encode(&n->value, scratch, &value, &body) < 0)
            return lwm2m_error_set(err, LWM2M_ERR_NOT_ACCEPTABLE, 0, "can't encode a %s in TLV",
                                   lwm2m_type_name(n->value.type));
        if (!leaf && n->path.depth > level) /* a marker at this level has no body */
            rc = encode_level(nodes + i, j - i, (uint8_t)(level + 1), NULL, &body, err);
        if (rc < 0)
            return rc;
        *size += lwm2m_tlv_header_size(id, body) + body;
        if (!out)
            continue;
        rc = lwm2m_tlv_write_header(type, id, body, out, err);
        if (rc == 0 && leaf && body && (rc = lwm2m_buf_append(out, value, body)) < 0)
            lwm2m_error_set(err, rc, out->len, "output buffer limit reached");
        if (rc == 0 && !leaf && n->path.depth > level) {
            size_t ignored = 0;
            rc = encode_level(nodes + i, j - i, (uint8_t)(level + 1), out, &ignored, err);
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int tlv_encode(const lwm2m_path_t *base, const lwm2m_node_t *nodes, size_t count,
                      lwm2m_buf_t *out, lwm2m_error_t *err)
{
    const lwm2m_node_t **sorted = NULL;
    int rc = encode_prepare(base, nodes, count, &sorted, err);
    if (rc < 0)
        return rc;
    /* Instances are wrapped only at an object path; a resource path writes the resource record
     * itself (a Multiple Resource for a multi-instance one). An empty instance at its own path
     * is an empty payload. */
    uint8_t level = base->depth == 1 ? 2 : base->depth == 4 ? 4 : 3;
    size_t first = count == 1 && sorted[0]->path.depth < level ? 1 : 0;
    size_t size = 0;
    rc = encode_level(sorted + first, count - first, level, out, &size, err);
    free(sorted);
    return rc;
}

const lwm2m_codec_t lwm2m_codec_tlv = {LWM2M_CF_TLV, "tlv", tlv_decode, tlv_encode};
