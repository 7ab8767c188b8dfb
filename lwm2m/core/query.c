/* query.c - URI query lists, request lines, Execute arguments and registration parameters. */
#include "lwm2m/query.h"

#include <stdlib.h>
#include <string.h>

#include "lwm2m/value.h"

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int hex_value(unsigned char c)
{
    if (is_digit(c))
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static char *dup_text(const char *s, size_t len)
{
    char *d = malloc(len + 1);
    if (d) {
        memcpy(d, s, len);
        d[len] = 0;
    }
    return d;
}

/* ---- query lists ---- */

void lwm2m_query_clear(lwm2m_query_t *q)
{
    if (!q)
        return;
    for (size_t i = 0; i < q->count && i < LWM2M_QUERY_PARAMS_MAX; i++) {
        free(q->items[i].key);
        free(q->items[i].value);
        q->items[i].key = NULL;
        q->items[i].value = NULL;
    }
    q->count = 0;
}

const lwm2m_query_param_t *lwm2m_query_find(const lwm2m_query_t *q, const char *key)
{
    for (size_t i = 0; i < q->count; i++)
        if (strcmp(q->items[i].key, key) == 0)
            return &q->items[i];
    return NULL;
}

/* Appends decoded key/value (value NULL = valueless). Returns 0, -413 or -500. */
static int query_append(lwm2m_query_t *q, const char *key, size_t klen, const char *value,
                        size_t vlen)
{
    if (q->count >= LWM2M_QUERY_PARAMS_MAX)
        return LWM2M_ERR_TOO_LARGE;
    lwm2m_query_param_t *p = &q->items[q->count];
    p->key = dup_text(key, klen);
    p->value = value ? dup_text(value, vlen) : NULL;
    if (!p->key || (value && !p->value)) {
        free(p->key);
        free(p->value);
        p->key = p->value = NULL;
        return LWM2M_ERR_INTERNAL;
    }
    q->count++;
    return 0;
}

/* Characters a query may carry literally: RFC 3986 query chars except '&' (the separator). */
static bool is_query_char(unsigned char c)
{
    return c > 0x20 && c < 0x7f && c != '#' && c != '"' && c != '<' && c != '>' && c != '\\' &&
           c != '^' && c != '`' && c != '{' && c != '|' && c != '}' && c != '[' && c != ']';
}

/* Percent-decodes [s, s+n) into dst (LWM2M_QUERY_STR_MAX + 1 bytes). On failure returns -400
 * or -413 and sets *bad to the offending offset within s. */
static int pct_decode(const char *s, size_t n, char *dst, size_t *ret_len, size_t *bad)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        *bad = i;
        if (o >= LWM2M_QUERY_STR_MAX)
            return LWM2M_ERR_TOO_LARGE;
        if (c == '%') {
            int hi = n - i < 3 ? -1 : hex_value((unsigned char)s[i + 1]);
            int lo = n - i < 3 ? -1 : hex_value((unsigned char)s[i + 2]);
            if (hi < 0 || lo < 0)
                return LWM2M_ERR_BAD_REQUEST;
            c = (unsigned char)(hi * 16 + lo);
            if (c == 0)
                return LWM2M_ERR_BAD_REQUEST;
            i += 2;
        } else if (!is_query_char(c)) {
            return LWM2M_ERR_BAD_REQUEST;
        }
        dst[o++] = (char)c;
    }
    *ret_len = o;
    return 0;
}

static int query_error(lwm2m_error_t *err, int rc, size_t off, const char *what)
{
    if (rc == LWM2M_ERR_INTERNAL)
        return lwm2m_error_set(err, rc, off, "query: out of memory");
    return lwm2m_error_set(err, rc, off, "query: %s at byte %zu", what, off);
}

/* One "key[=value]" segment at text[off, off+n). */
static int parse_segment(lwm2m_query_t *q, const char *text, size_t off, size_t n,
                         lwm2m_error_t *err)
{
    char key[LWM2M_QUERY_STR_MAX + 1], value[LWM2M_QUERY_STR_MAX + 1];
    size_t klen, vlen = 0, bad;
    const char *seg = text + off;
    const char *eq = memchr(seg, '=', n);
    size_t kraw = eq ? (size_t)(eq - seg) : n;
    if (n == 0)
        return query_error(err, LWM2M_ERR_BAD_REQUEST, off, "empty parameter");
    if (kraw == 0)
        return query_error(err, LWM2M_ERR_BAD_REQUEST, off, "empty parameter name");
    int rc = pct_decode(seg, kraw, key, &klen, &bad);
    if (rc < 0)
        return query_error(err, rc, off + bad, "bad parameter name");
    if (eq) {
        rc = pct_decode(eq + 1, n - kraw - 1, value, &vlen, &bad);
        if (rc < 0)
            return query_error(err, rc, off + kraw + 1 + bad, "bad parameter value");
    }
    rc = query_append(q, key, klen, eq ? value : NULL, vlen);
    return rc < 0 ? query_error(err, rc, off, "too many parameters") : 0;
}

int lwm2m_query_parse(const char *text, size_t len, lwm2m_query_t *out, lwm2m_error_t *err)
{
    size_t start = 0;
    if (!text || len == 0)
        return 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && text[i] != '&')
            continue;
        int rc = parse_segment(out, text, start, i - start, err);
        if (rc < 0) {
            lwm2m_query_clear(out);
            return rc;
        }
        start = i + 1;
    }
    return 0;
}

int lwm2m_query_add_segment(lwm2m_query_t *q, const char *seg, size_t len, lwm2m_error_t *err)
{
    const char *eq = memchr(seg, '=', len);
    size_t klen = eq ? (size_t)(eq - seg) : len;
    size_t vlen = eq ? len - klen - 1 : 0;
    if (len == 0 || klen == 0)
        return query_error(err, LWM2M_ERR_BAD_REQUEST, 0, "empty parameter name");
    if (memchr(seg, 0, len))
        return query_error(err, LWM2M_ERR_BAD_REQUEST,
                           (size_t)((const char *)memchr(seg, 0, len) - seg), "NUL byte");
    if (klen > LWM2M_QUERY_STR_MAX || vlen > LWM2M_QUERY_STR_MAX)
        return query_error(err, LWM2M_ERR_TOO_LARGE, 0, "parameter too long");
    int rc = query_append(q, seg, klen, eq ? eq + 1 : NULL, vlen);
    return rc < 0 ? query_error(err, rc, 0, "too many parameters") : 0;
}

/* ---- request lines ---- */

static const char *const request_methods[] = {"GET",   "POST",  "PUT",   "DELETE",
                                              "FETCH", "PATCH", "iPATCH"};

void lwm2m_request_line_clear(lwm2m_request_line_t *line)
{
    if (!line)
        return;
    for (size_t i = 0; i < line->segment_count && i < LWM2M_REQUEST_SEGMENTS_MAX; i++) {
        free(line->segments[i]);
        line->segments[i] = NULL;
    }
    line->segment_count = 0;
    line->method[0] = 0;
    lwm2m_query_clear(&line->query);
}

static int parse_method(const char *text, size_t len, lwm2m_request_line_t *out, size_t *pos,
                        lwm2m_error_t *err)
{
    const char *sp = memchr(text, ' ', len);
    size_t n = sp ? (size_t)(sp - text) : len;
    for (size_t i = 0; i < sizeof(request_methods) / sizeof(request_methods[0]); i++) {
        if (strlen(request_methods[i]) == n && memcmp(request_methods[i], text, n) == 0) {
            memcpy(out->method, text, n);
            out->method[n] = 0;
            if (!sp)
                break;
            *pos = n + 1;
            return 0;
        }
    }
    return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, sp ? 0 : n,
                           "request: expected a method and a space at byte %zu", sp ? 0 : n);
}

/* Path segments of text[*pos, end): "/" alone or ("/" segment)+. */
static int parse_request_path(const char *text, size_t end, lwm2m_request_line_t *out, size_t *pos,
                              lwm2m_error_t *err)
{
    char seg[LWM2M_QUERY_STR_MAX + 1];
    size_t p = *pos, n, bad;
    if (p >= end || text[p] != '/')
        return query_error(err, LWM2M_ERR_BAD_REQUEST, p, "path must start with '/'");
    if (end - p == 1) {
        *pos = end;
        return 0;
    }
    while (p < end) {
        size_t s = ++p; /* skip '/' */
        while (p < end && text[p] != '/')
            p++;
        if (p == s)
            return query_error(err, LWM2M_ERR_BAD_REQUEST, s, "empty path segment");
        if (out->segment_count >= LWM2M_REQUEST_SEGMENTS_MAX)
            return query_error(err, LWM2M_ERR_TOO_LARGE, s, "too many path segments");
        int rc = pct_decode(text + s, p - s, seg, &n, &bad);
        if (rc == 0 && memchr(seg, '/', n))
            rc = LWM2M_ERR_BAD_REQUEST, bad = 0; /* "%2F" would change the path's shape */
        if (rc < 0)
            return query_error(err, rc, s + bad, "bad path segment");
        out->segments[out->segment_count] = dup_text(seg, n);
        if (!out->segments[out->segment_count])
            return query_error(err, LWM2M_ERR_INTERNAL, s, "");
        out->segment_count++;
    }
    *pos = p;
    return 0;
}

int lwm2m_request_line_parse(const char *text, size_t len, lwm2m_request_line_t *out,
                             lwm2m_error_t *err)
{
    size_t pos = 0;
    if (!text)
        text = "", len = 0;
    const char *q = memchr(text, '?', len);
    size_t path_end = q ? (size_t)(q - text) : len;
    int rc = parse_method(text, len, out, &pos, err);
    if (rc == 0 && pos > path_end)
        rc = query_error(err, LWM2M_ERR_BAD_REQUEST, path_end, "'?' before the path");
    if (rc == 0)
        rc = parse_request_path(text, path_end, out, &pos, err);
    if (rc == 0 && q) {
        rc = lwm2m_query_parse(q + 1, len - path_end - 1, &out->query, err);
        if (rc < 0 && err)
            err->offset += path_end + 1;
    }
    if (rc < 0)
        lwm2m_request_line_clear(out);
    return rc;
}

/* ---- Execute arguments ---- */

/* The ABNF's CHAR (%x21 / %x23-26 / %x28-5B / %x5D-7E) plus SP, see query.h. */
static bool is_exec_char(unsigned char c)
{
    return c >= 0x20 && c <= 0x7e && c != '"' && c != '\'' && c != '\\';
}

static int exec_error(lwm2m_error_t *err, size_t off, const char *what)
{
    return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, off, "execute arguments: %s at byte %zu",
                           what, off);
}

/* One argument at text[*pos]; advances *pos past it. */
static int parse_exec_arg(const char *text, size_t len, size_t *pos, lwm2m_exec_arg_t *arg,
                          lwm2m_error_t *err)
{
    size_t p = *pos;
    if (p >= len || !is_digit((unsigned char)text[p]))
        return exec_error(err, p, "expected a digit");
    memset(arg, 0, sizeof(*arg));
    arg->digit = (uint8_t)(text[p++] - '0');
    if (p < len && text[p] == '=') {
        if (++p >= len || text[p] != '\'')
            return exec_error(err, p, "expected a quote");
        size_t start = ++p;
        while (p < len && text[p] != '\'') {
            if (!is_exec_char((unsigned char)text[p]))
                return exec_error(err, p, "character not allowed in a value");
            p++;
        }
        if (p >= len)
            return exec_error(err, start - 1, "unterminated value");
        arg->has_value = true;
        arg->value = text + start;
        arg->value_len = p - start;
        p++;
    }
    *pos = p;
    return 0;
}

int lwm2m_exec_args_parse(const char *text, size_t len, lwm2m_exec_args_t *ret, lwm2m_error_t *err)
{
    lwm2m_exec_args_t args;
    unsigned seen = 0;
    size_t pos = 0;
    args.count = 0;
    while (text && len > 0) {
        size_t start = pos;
        lwm2m_exec_arg_t *arg = &args.items[args.count];
        int rc = parse_exec_arg(text, len, &pos, arg, err);
        if (rc < 0)
            return rc;
        if (seen & (1u << arg->digit))
            return exec_error(err, start, "repeated argument");
        seen |= 1u << arg->digit;
        args.count++; /* at most 10 distinct digits, so items can't overflow */
        if (pos == len)
            break;
        if (text[pos] != ',')
            return exec_error(err, pos, "expected ','");
        pos++;
    }
    *ret = args;
    return 0;
}

int lwm2m_exec_args_write(const lwm2m_exec_args_t *args, lwm2m_buf_t *out, lwm2m_error_t *err)
{
    unsigned seen = 0;
    if (args->count > LWM2M_EXEC_ARGS_MAX)
        return exec_error(err, 0, "too many arguments");
    for (size_t i = 0; i < args->count; i++) {
        const lwm2m_exec_arg_t *a = &args->items[i];
        if (a->digit > 9 || (seen & (1u << a->digit)))
            return exec_error(err, i, "bad or repeated digit in argument");
        seen |= 1u << a->digit;
        for (size_t k = 0; a->has_value && k < a->value_len; k++)
            if (!is_exec_char((unsigned char)a->value[k]))
                return exec_error(err, i, "character not allowed in argument");
        int rc = lwm2m_buf_printf(out, "%s%u", i ? "," : "", (unsigned)a->digit);
        if (rc == 0 && a->has_value) {
            rc = lwm2m_buf_append(out, "='", 2);
            if (rc == 0)
                rc = lwm2m_buf_append(out, a->value, a->value_len);
            if (rc == 0)
                rc = lwm2m_buf_append_byte(out, '\'');
        }
        if (rc < 0)
            return lwm2m_error_set(err, rc, i, "execute arguments: output buffer full");
    }
    return 0;
}

/* ---- registration parameters ---- */

int lwm2m_version_parse(const char *text, size_t len, lwm2m_version_t *ret)
{
    const char *dot = text ? memchr(text, '.', len) : NULL;
    uint64_t major, minor;
    if (!dot || lwm2m_parse_uint64(text, (size_t)(dot - text), &major) < 0 ||
        lwm2m_parse_uint64(dot + 1, len - (size_t)(dot - text) - 1, &minor) < 0)
        return LWM2M_ERR_BAD_REQUEST;
    if (major != 1 || minor > 2)
        return LWM2M_ERR_PRECONDITION_FAILED;
    *ret = (lwm2m_version_t)(LWM2M_VERSION_1_0 + (int)minor);
    return 0;
}

const char *lwm2m_version_name(lwm2m_version_t version)
{
    switch (version) {
    case LWM2M_VERSION_1_0:
        return "1.0";
    case LWM2M_VERSION_1_1:
        return "1.1";
    case LWM2M_VERSION_1_2:
        return "1.2";
    }
    return "?";
}

int lwm2m_binding_parse(const char *text, size_t len, lwm2m_version_t version, unsigned *ret)
{
    static const char letters[] = "UMHTSNQ";
    unsigned flags = 0;
    if (!text || len == 0)
        return LWM2M_ERR_BAD_REQUEST;
    for (size_t i = 0; i < len; i++) {
        const char *l = text[i] ? strchr(letters, text[i]) : NULL;
        if (!l)
            return LWM2M_ERR_BAD_REQUEST;
        unsigned bit = 1u << (l - letters);
        if (flags & bit)
            return LWM2M_ERR_BAD_REQUEST;
        if (((bit & (LWM2M_BINDING_T | LWM2M_BINDING_N)) && version < LWM2M_VERSION_1_1) ||
            ((bit & (LWM2M_BINDING_M | LWM2M_BINDING_H)) && version < LWM2M_VERSION_1_2))
            return LWM2M_ERR_BAD_REQUEST;
        flags |= bit;
    }
    if (flags == LWM2M_BINDING_Q)
        return LWM2M_ERR_BAD_REQUEST; /* queue mode of no transport */
    *ret = flags;
    return 0;
}

int lwm2m_endpoint_validate(const char *ep, size_t len)
{
    if (!ep || len == 0 || len > LWM2M_ENDPOINT_MAX)
        return LWM2M_ERR_BAD_REQUEST;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)ep[i] <= 0x20 || (unsigned char)ep[i] >= 0x7f)
            return LWM2M_ERR_BAD_REQUEST;
    return 0;
}

int lwm2m_lifetime_parse(const char *text, size_t len, uint32_t *ret)
{
    uint64_t v;
    if (!text || lwm2m_parse_uint64(text, len, &v) < 0 || v == 0 || v > UINT32_MAX)
        return LWM2M_ERR_BAD_REQUEST;
    *ret = (uint32_t)v;
    return 0;
}

int lwm2m_msisdn_validate(const char *text, size_t len)
{
    if (!text)
        return LWM2M_ERR_BAD_REQUEST;
    size_t i = len > 0 && text[0] == '+';
    if (len - i == 0 || len - i > 15)
        return LWM2M_ERR_BAD_REQUEST;
    for (; i < len; i++)
        if (!is_digit((unsigned char)text[i]))
            return LWM2M_ERR_BAD_REQUEST;
    return 0;
}

/* RFC 6920 section 9.4 suites 1..6: sha-256 truncated to 256, 128, 120, 96, 64, 32 bits. */
static const uint8_t pid_suite_hex_digits[] = {0, 64, 32, 30, 24, 16, 8};

static bool is_static_pid_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '.' ||
           c == '_' || c == '-';
}

static int parse_profile_id(const char *s, size_t n, lwm2m_profile_id_t *id)
{
    const char *colon = memchr(s, ':', n);
    uint64_t suite;
    memset(id, 0, sizeof(*id));
    if (!colon) {
        if (n == 0 || n >= LWM2M_PROFILE_ID_TEXT_MAX)
            return LWM2M_ERR_BAD_REQUEST;
        for (size_t i = 0; i < n; i++)
            if (!is_static_pid_char((unsigned char)s[i]))
                return LWM2M_ERR_BAD_REQUEST;
        memcpy(id->text, s, n);
        return 0;
    }
    size_t slen = (size_t)(colon - s), hlen = n - slen - 1;
    if (lwm2m_parse_uint64(s, slen, &suite) < 0 || suite < 1 || suite > 6 ||
        hlen != pid_suite_hex_digits[suite])
        return LWM2M_ERR_BAD_REQUEST;
    for (size_t i = 0; i < hlen; i++) {
        unsigned char c = (unsigned char)colon[1 + i];
        if (hex_value(c) < 0)
            return LWM2M_ERR_BAD_REQUEST;
        id->text[i] = (char)(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
    }
    id->dynamic = true;
    id->suite = (uint8_t)suite;
    return 0;
}

int lwm2m_profile_ids_parse(const char *text, size_t len, lwm2m_profile_ids_t *ret,
                            lwm2m_error_t *err)
{
    lwm2m_profile_ids_t ids;
    size_t start = 0;
    ids.count = 0;
    if (!text || len == 0)
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, 0, "pid: empty");
    for (size_t i = 0; i <= len; i++) {
        if (i < len && text[i] != ',')
            continue;
        if (ids.count >= LWM2M_PROFILE_IDS_MAX)
            return lwm2m_error_set(err, LWM2M_ERR_TOO_LARGE, start, "pid: more than %d IDs",
                                   LWM2M_PROFILE_IDS_MAX);
        if (parse_profile_id(text + start, i - start, &ids.items[ids.count]) < 0)
            return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, start,
                                   "pid: invalid Profile ID at byte %zu", start);
        ids.count++;
        start = i + 1;
    }
    *ret = ids;
    return 0;
}

static int param_error(lwm2m_error_t *err, int code, size_t index, const char *key,
                       const char *what)
{
    return lwm2m_error_set(err, code, index, "registration: parameter %s %s", key, what);
}

/* Checks one known parameter's value into p. Returns 0, -400 or -412. */
static int read_register_param(const lwm2m_query_param_t *qp, size_t index,
                               lwm2m_register_params_t *p, lwm2m_error_t *err)
{
    const char *k = qp->key, *v = qp->value;
    size_t n = v ? strlen(v) : 0;
    int rc = 0;
    if (strcmp(k, "Q") == 0) {
        if (v)
            return param_error(err, LWM2M_ERR_BAD_REQUEST, index, k, "takes no value");
        p->binding |= LWM2M_BINDING_Q;
        return 0;
    }
    if (!v || n == 0)
        return param_error(err, LWM2M_ERR_BAD_REQUEST, index, k, "needs a value");
    if (strcmp(k, "ep") == 0) {
        rc = lwm2m_endpoint_validate(v, n);
        p->endpoint = v;
    } else if (strcmp(k, "lt") == 0) {
        rc = lwm2m_lifetime_parse(v, n, &p->lifetime);
        p->has_lifetime = true;
    } else if (strcmp(k, "lwm2m") == 0) {
        rc = lwm2m_version_parse(v, n, &p->version);
        p->has_version = true;
    } else if (strcmp(k, "sms") == 0) {
        rc = lwm2m_msisdn_validate(v, n);
        p->sms = v;
    } else if (strcmp(k, "pid") == 0) {
        rc = lwm2m_profile_ids_parse(v, n, &p->profile_ids, NULL);
        p->has_profile_ids = true;
    }
    if (rc == LWM2M_ERR_PRECONDITION_FAILED)
        return param_error(err, rc, index, k, "names an unsupported version");
    return rc < 0 ? param_error(err, LWM2M_ERR_BAD_REQUEST, index, k, "is invalid") : 0;
}

int lwm2m_register_params_parse(const lwm2m_query_t *q, bool register_request,
                                lwm2m_register_params_t *ret, lwm2m_error_t *err)
{
    static const char *const known[] = {"ep", "lt", "lwm2m", "b", "Q", "sms", "pid"};
    lwm2m_register_params_t p;
    const lwm2m_query_param_t *b = NULL;
    memset(&p, 0, sizeof(p));
    p.version = LWM2M_VERSION_1_0;
    for (size_t i = 0; i < q->count; i++) {
        size_t k = 0;
        while (k < sizeof(known) / sizeof(known[0]) && strcmp(known[k], q->items[i].key) != 0)
            k++;
        if (k == sizeof(known) / sizeof(known[0]))
            continue; /* an extension parameter */
        if (lwm2m_query_find(q, known[k]) != &q->items[i])
            return param_error(err, LWM2M_ERR_BAD_REQUEST, i, known[k], "is repeated");
        if (k == 3) {
            b = &q->items[i]; /* b= is read once the version is known */
            continue;
        }
        int rc = read_register_param(&q->items[i], i, &p, err);
        if (rc < 0)
            return rc;
    }
    if (b) {
        unsigned letters;
        if (!b->value || lwm2m_binding_parse(b->value, strlen(b->value), p.version, &letters) < 0)
            return param_error(err, LWM2M_ERR_BAD_REQUEST, (size_t)(b - q->items), "b",
                               "is invalid");
        p.binding |= letters;
        p.has_binding = true;
    }
    if (register_request && !p.endpoint)
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, 0, "registration: ep is missing");
    *ret = p;
    return 0;
}
