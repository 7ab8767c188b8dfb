/* path.c - parsing, formatting and comparing LwM2M paths. */
#include "lwm2m/path.h"

#include <stdio.h>
#include <string.h>

#include "lwm2m/error.h"

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_prefix_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-' ||
           c == '_' || c == '.' || c == '~';
}

/* Parses one segment [s, e) as an id. Returns 0, or -400. */
static int parse_id(const char *s, const char *e, bool strict, uint16_t *ret)
{
    if (s == e || e - s > 5)
        return LWM2M_ERR_BAD_REQUEST;
    if (strict && *s == '0' && e - s > 1)
        return LWM2M_ERR_BAD_REQUEST; /* leading zero */
    unsigned long v = 0;
    for (const char *p = s; p < e; p++) {
        if (!is_digit(*p))
            return LWM2M_ERR_BAD_REQUEST;
        v = v * 10 + (unsigned long)(*p - '0');
    }
    if (v > LWM2M_ID_MAX)
        return LWM2M_ERR_BAD_REQUEST;
    *ret = (uint16_t)v;
    return 0;
}

int lwm2m_path_parse(const char *text, size_t len, unsigned flags, lwm2m_path_t *ret_path)
{
    bool lenient = flags & LWM2M_PATH_LENIENT;
    const char *p = text;
    const char *end = text + len;
    lwm2m_path_t path;
    memset(&path, 0, sizeof(path));

    if (!text)
        return LWM2M_ERR_BAD_REQUEST;
    if (p < end && *p == '/')
        p++;
    else if (!lenient)
        return LWM2M_ERR_BAD_REQUEST;

    bool first = true;
    while (p < end) {
        const char *seg = p;
        while (p < end && *p != '/')
            p++;
        const char *seg_end = p;
        if (p < end)
            p++; /* skip '/' */
        if (seg == seg_end) {
            if (lenient)
                continue;
            return LWM2M_ERR_BAD_REQUEST; /* empty segment: "//" */
        }
        if (first && flags & LWM2M_PATH_ALLOW_PREFIX && !is_digit(*seg)) {
            size_t n = (size_t)(seg_end - seg);
            if (n >= LWM2M_PREFIX_MAX)
                return LWM2M_ERR_BAD_REQUEST;
            for (const char *c = seg; c < seg_end; c++)
                if (!is_prefix_char(*c))
                    return LWM2M_ERR_BAD_REQUEST;
            memcpy(path.prefix, seg, n);
            path.prefix[n] = 0;
            first = false;
            continue;
        }
        first = false;
        if (path.depth >= LWM2M_PATH_MAX_DEPTH)
            return LWM2M_ERR_BAD_REQUEST;
        uint16_t id;
        if (parse_id(seg, seg_end, !lenient, &id) < 0)
            return LWM2M_ERR_BAD_REQUEST;
        if (id == LWM2M_ID_MAX && !(flags & LWM2M_PATH_ALLOW_RESERVED) &&
            (path.depth == LWM2M_PATH_INSTANCE || path.depth == LWM2M_PATH_RESOURCE_INSTANCE))
            return LWM2M_ERR_BAD_REQUEST;
        path.id[path.depth++] = id;
    }
    /* "</0/1/>" appears in link-format; a trailing '/' after a resource does not. */
    if (!lenient && len > 1 && text[len - 1] == '/' && path.depth >= 3)
        return LWM2M_ERR_BAD_REQUEST;
    *ret_path = path;
    return 0;
}

int lwm2m_path_format(const lwm2m_path_t *path, char *buf, size_t size)
{
    size_t off = 0;
    int n;
    if (size == 0)
        return LWM2M_ERR_TOO_LARGE;
    buf[0] = 0;
    if (path->prefix[0]) {
        n = snprintf(buf, size, "/%s", path->prefix);
        if (n < 0 || (size_t)n >= size)
            return LWM2M_ERR_TOO_LARGE;
        off = (size_t)n;
    }
    if (path->depth == 0 && off == 0) {
        if (size < 2)
            return LWM2M_ERR_TOO_LARGE;
        buf[0] = '/';
        buf[1] = 0;
        return 1;
    }
    for (uint8_t i = 0; i < path->depth && i < LWM2M_PATH_MAX_DEPTH; i++) {
        n = snprintf(buf + off, size - off, "/%u", (unsigned)path->id[i]);
        if (n < 0 || (size_t)n >= size - off)
            return LWM2M_ERR_TOO_LARGE;
        off += (size_t)n;
    }
    return (int)off;
}

lwm2m_path_t lwm2m_path_root(void)
{
    lwm2m_path_t p;
    memset(&p, 0, sizeof(p));
    return p;
}

lwm2m_path_t lwm2m_path_make(uint8_t depth, uint16_t o, uint16_t i, uint16_t r, uint16_t ri)
{
    lwm2m_path_t p = lwm2m_path_root();
    uint16_t ids[4] = {o, i, r, ri};
    if (depth > LWM2M_PATH_MAX_DEPTH)
        depth = LWM2M_PATH_MAX_DEPTH;
    for (uint8_t k = 0; k < depth; k++)
        p.id[k] = ids[k];
    p.depth = depth;
    return p;
}

int lwm2m_path_append(lwm2m_path_t *path, uint16_t id)
{
    if (path->depth >= LWM2M_PATH_MAX_DEPTH)
        return LWM2M_ERR_BAD_REQUEST;
    path->id[path->depth++] = id;
    return 0;
}

bool lwm2m_path_equal(const lwm2m_path_t *a, const lwm2m_path_t *b)
{
    return lwm2m_path_compare(a, b) == 0;
}

int lwm2m_path_compare(const lwm2m_path_t *a, const lwm2m_path_t *b)
{
    int c = strcmp(a->prefix, b->prefix);
    if (c)
        return c < 0 ? -1 : 1;
    for (uint8_t i = 0; i < LWM2M_PATH_MAX_DEPTH; i++) {
        if (i >= a->depth || i >= b->depth)
            return a->depth < b->depth ? -1 : (a->depth > b->depth ? 1 : 0);
        if (a->id[i] != b->id[i])
            return a->id[i] < b->id[i] ? -1 : 1;
    }
    return 0;
}

bool lwm2m_path_contains(const lwm2m_path_t *parent, const lwm2m_path_t *child)
{
    if (strcmp(parent->prefix, child->prefix) != 0 || parent->depth > child->depth)
        return false;
    for (uint8_t i = 0; i < parent->depth; i++)
        if (parent->id[i] != child->id[i])
            return false;
    return true;
}
