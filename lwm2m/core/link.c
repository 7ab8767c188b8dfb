/* link.c - CoRE link-format (RFC 6690) parser and writer, with the LwM2M attribute checks. */
#include "lwm2m/link.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/value.h"

/* ---- character classes (RFC 3986, RFC 5987 attr-char, RFC 6690 ptoken) ---- */

static bool is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool is_hex(unsigned char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* pchar without pct-encoded, plus '/': what a path-absolute may contain literally. */
static bool is_uri_char(unsigned char c)
{
    return is_alpha(c) || is_digit(c) || (c && strchr("-._~!$&'()*+,;=:@/", c));
}

static bool is_parmname_char(unsigned char c)
{
    return is_alpha(c) || is_digit(c) || (c && strchr("!#$&+-.^_`|~", c));
}

static bool is_ptoken_char(unsigned char c)
{
    return is_alpha(c) || is_digit(c) || (c && strchr("!#$%&'()*+-./:<=>?@[]^_`{|}~", c));
}

static bool is_link_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Length of the well-formed UTF-8 sequence at s (at most n bytes), 0 when malformed. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    size_t need;
    uint32_t cp;
    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        need = 2, cp = s[0] & 0x1fu;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        need = 3, cp = s[0] & 0x0fu;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        need = 4, cp = s[0] & 0x07u;
    else
        return 0;
    if (n < need)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3fu);
    }
    if ((need == 3 && cp < 0x800) || (need == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return need;
}

/* qdtext: any byte but CTLs (HTAB allowed) and '"'; bytes >= 0x80 must form UTF-8. Returns the
 * length of the character at s, 0 when it isn't allowed. */
static size_t qdtext_len(const unsigned char *s, size_t n)
{
    if (s[0] == '"' || s[0] == 0x7f || (s[0] < 0x20 && s[0] != '\t'))
        return 0;
    return utf8_len(s, n);
}

/* ---- building ---- */

static char *dup_text(const char *s, size_t len)
{
    char *d = malloc(len + 1);
    if (d) {
        memcpy(d, s, len);
        d[len] = 0;
    }
    return d;
}

static void link_free_members(lwm2m_link_t *link)
{
    for (size_t i = 0; i < link->attr_count; i++) {
        free(link->attrs[i].name);
        free(link->attrs[i].value);
    }
    free(link->attrs);
    free(link->uri);
}

void lwm2m_links_clear(lwm2m_links_t *links)
{
    if (!links)
        return;
    for (size_t i = 0; i < links->count; i++)
        link_free_members(&links->items[i]);
    free(links->items);
    links->items = NULL;
    links->count = 0;
    links->capacity = 0;
}

int lwm2m_links_add(lwm2m_links_t *links, const char *uri, lwm2m_link_t **ret_link)
{
    if (!uri)
        return LWM2M_ERR_BAD_REQUEST;
    if (links->count >= LWM2M_LINKS_MAX)
        return LWM2M_ERR_TOO_LARGE;
    if (links->count == links->capacity) {
        size_t cap = links->capacity ? links->capacity * 2 : 8;
        if (cap > LWM2M_LINKS_MAX)
            cap = LWM2M_LINKS_MAX;
        lwm2m_link_t *items = realloc(links->items, cap * sizeof(*items));
        if (!items)
            return LWM2M_ERR_INTERNAL;
        links->items = items;
        links->capacity = cap;
    }
    lwm2m_link_t *link = &links->items[links->count];
    memset(link, 0, sizeof(*link));
    link->uri = dup_text(uri, strlen(uri));
    if (!link->uri)
        return LWM2M_ERR_INTERNAL;
    links->count++;
    if (ret_link)
        *ret_link = link;
    return 0;
}

int lwm2m_link_add_attr(lwm2m_link_t *link, const char *name, const char *value, bool quoted)
{
    if (!name)
        return LWM2M_ERR_BAD_REQUEST;
    if (link->attr_count >= LWM2M_LINK_ATTRS_MAX)
        return LWM2M_ERR_TOO_LARGE;
    size_t n = link->attr_count;
    if (n == 0 || (n >= 4 && (n & (n - 1)) == 0)) { /* capacity is 4, 8, 16, 32 */
        size_t cap = n ? n * 2 : 4;
        lwm2m_link_attr_t *attrs = realloc(link->attrs, cap * sizeof(*attrs));
        if (!attrs)
            return LWM2M_ERR_INTERNAL;
        link->attrs = attrs;
    }
    lwm2m_link_attr_t *a = &link->attrs[n];
    a->name = dup_text(name, strlen(name));
    a->value = value ? dup_text(value, strlen(value)) : NULL;
    a->quoted = value ? quoted : false;
    if (!a->name || (value && !a->value)) {
        free(a->name);
        free(a->value);
        return LWM2M_ERR_INTERNAL;
    }
    link->attr_count++;
    return 0;
}

const lwm2m_link_attr_t *lwm2m_link_find_attr(const lwm2m_link_t *link, const char *name)
{
    for (size_t i = 0; i < link->attr_count; i++)
        if (strcmp(link->attrs[i].name, name) == 0)
            return &link->attrs[i];
    return NULL;
}

/* ---- LwM2M attribute checks ---- */

enum attr_kind {
    KIND_UINT,
    KIND_NUMBER,
    KIND_STEP,
    KIND_DIM,
    KIND_SSID,
    KIND_VERSION,
    KIND_CT,
    KIND_BIT,
    KIND_TEXT
};

static const struct {
    const char *name;
    enum attr_kind kind;
} link_attr_kinds[] = {
    {"pmin", KIND_UINT},  {"pmax", KIND_UINT}, {"epmin", KIND_UINT},  {"epmax", KIND_UINT},
    {"hqmax", KIND_UINT}, {"gt", KIND_NUMBER}, {"lt", KIND_NUMBER},   {"st", KIND_STEP},
    {"dim", KIND_DIM},    {"ssid", KIND_SSID}, {"ver", KIND_VERSION}, {"lwm2m", KIND_VERSION},
    {"ct", KIND_CT},      {"edge", KIND_BIT},  {"con", KIND_BIT},     {"rt", KIND_TEXT},
    {"uri", KIND_TEXT},
};

static bool parse_uint_max(const char *s, size_t len, uint64_t max, uint64_t *ret)
{
    uint64_t v;
    if (lwm2m_parse_uint64(s, len, &v) < 0 || v > max)
        return false;
    *ret = v;
    return true;
}

static bool is_version(const char *v)
{
    const char *dot = strchr(v, '.');
    uint64_t x;
    return dot && parse_uint_max(v, (size_t)(dot - v), 255, &x) &&
           parse_uint_max(dot + 1, strlen(dot + 1), 255, &x);
}

/* "110" or "110 112 11544": content-format numbers separated by single spaces. */
static bool is_ct_list(const char *v)
{
    uint64_t x;
    for (;;) {
        const char *sp = strchr(v, ' ');
        size_t n = sp ? (size_t)(sp - v) : strlen(v);
        if (!parse_uint_max(v, n, 65535, &x))
            return false;
        if (!sp)
            return true;
        v = sp + 1;
    }
}

static bool kind_accepts(enum attr_kind kind, const char *v)
{
    uint64_t x;
    double d;
    size_t n = strlen(v);
    switch (kind) {
    case KIND_UINT:
        return parse_uint_max(v, n, UINT32_MAX, &x);
    case KIND_NUMBER:
    case KIND_STEP:
        if (lwm2m_parse_double(v, n, &d) < 0 || !isfinite(d))
            return false;
        return kind == KIND_NUMBER || d >= 0;
    case KIND_DIM:
        return parse_uint_max(v, n, 255, &x);
    case KIND_SSID:
        return parse_uint_max(v, n, 65534, &x) && x >= 1;
    case KIND_VERSION:
        return is_version(v);
    case KIND_CT:
        return is_ct_list(v);
    case KIND_BIT:
        return strcmp(v, "0") == 0 || strcmp(v, "1") == 0;
    case KIND_TEXT:
        return true;
    }
    return false;
}

/* Checks a known LwM2M attribute's value; unknown names pass. Returns NULL or a reason. */
static const char *check_lwm2m_attr(const char *name, const char *value)
{
    for (size_t i = 0; i < sizeof(link_attr_kinds) / sizeof(link_attr_kinds[0]); i++) {
        if (strcmp(link_attr_kinds[i].name, name) != 0)
            continue;
        if (!value)
            return "needs a value";
        return kind_accepts(link_attr_kinds[i].kind, value) ? NULL : "has an invalid value";
    }
    return NULL;
}

/* ---- parser ---- */

typedef struct link_parser {
    const char *text;
    size_t len;
    size_t pos;
    lwm2m_error_t *err;
    char name[LWM2M_LINK_STR_MAX + 1];
    char value[LWM2M_LINK_STR_MAX + 1];
} link_parser_t;

static int fail(link_parser_t *p, size_t at, const char *what)
{
    return lwm2m_error_set(p->err, LWM2M_ERR_BAD_REQUEST, at, "link-format: %s at byte %zu", what,
                           at);
}

static int too_large(link_parser_t *p, size_t at, const char *what)
{
    return lwm2m_error_set(p->err, LWM2M_ERR_TOO_LARGE, at, "link-format: %s at byte %zu", what,
                           at);
}

static int add_failed(link_parser_t *p, int rc, const char *what)
{
    if (rc == LWM2M_ERR_TOO_LARGE)
        return too_large(p, p->pos, what);
    return lwm2m_error_set(p->err, rc, p->pos, "link-format: out of memory");
}

/* "<" path-absolute ">" into p->value; p->pos is at '<'. */
static int parse_uri(link_parser_t *p)
{
    const unsigned char *t = (const unsigned char *)p->text;
    size_t start = ++p->pos, n = 0;
    while (p->pos < p->len && t[p->pos] != '>') {
        unsigned char c = t[p->pos];
        if (c == '%') {
            if (p->len - p->pos < 3 || !is_hex(t[p->pos + 1]) || !is_hex(t[p->pos + 2]))
                return fail(p, p->pos, "bad percent-encoding in URI");
        } else if (!is_uri_char(c)) {
            return fail(p, p->pos, "character not allowed in URI");
        }
        size_t step = c == '%' ? 3 : 1;
        if (n + step > LWM2M_LINK_STR_MAX)
            return too_large(p, p->pos, "URI too long");
        memcpy(p->value + n, p->text + p->pos, step);
        n += step;
        p->pos += step;
    }
    if (p->pos >= p->len)
        return fail(p, p->pos, "unterminated URI");
    p->value[n] = 0;
    if (n == 0 || p->value[0] != '/' || (n > 1 && p->value[1] == '/'))
        return fail(p, start, "URI must be an absolute path");
    p->pos++; /* '>' */
    return 0;
}

static int parse_name(link_parser_t *p)
{
    size_t start = p->pos;
    while (p->pos < p->len && is_parmname_char((unsigned char)p->text[p->pos]))
        p->pos++;
    size_t n = p->pos - start;
    if (n == 0)
        return fail(p, start, "expected a parameter name");
    if (n > LWM2M_LINK_STR_MAX)
        return too_large(p, start, "parameter name too long");
    memcpy(p->name, p->text + start, n);
    p->name[n] = 0;
    return 0;
}

/* A quoted-string into p->value; p->pos is at the opening '"'. */
static int parse_quoted(link_parser_t *p)
{
    const unsigned char *t = (const unsigned char *)p->text;
    size_t open = p->pos++, n = 0;
    for (;;) {
        if (p->pos >= p->len)
            return fail(p, open, "unterminated quoted-string");
        if (t[p->pos] == '"')
            break;
        size_t step = 1;
        const char *from = p->text + p->pos;
        if (t[p->pos] == '\\') {
            if (p->pos + 1 >= p->len)
                return fail(p, open, "unterminated quoted-string");
            if (t[p->pos + 1] == '"' || t[p->pos + 1] == '\\') {
                from++;
                p->pos++; /* the escaped byte is copied below; other backslashes stay */
            }
        } else {
            step = qdtext_len(t + p->pos, p->len - p->pos);
            if (step == 0)
                return fail(p, p->pos, "character not allowed in quoted-string");
        }
        if (n + step > LWM2M_LINK_STR_MAX)
            return too_large(p, p->pos, "value too long");
        memcpy(p->value + n, from, step);
        n += step;
        p->pos += step;
    }
    p->value[n] = 0;
    p->pos++; /* closing '"' */
    return 0;
}

static int parse_ptoken(link_parser_t *p)
{
    size_t start = p->pos;
    while (p->pos < p->len && is_ptoken_char((unsigned char)p->text[p->pos]))
        p->pos++;
    size_t n = p->pos - start;
    if (n == 0)
        return fail(p, start, "expected a value");
    if (n > LWM2M_LINK_STR_MAX)
        return too_large(p, start, "value too long");
    memcpy(p->value, p->text + start, n);
    p->value[n] = 0;
    return 0;
}

/* parmname [ "=" ( ptoken / quoted-string ) ], appended to link. */
static int parse_param(link_parser_t *p, lwm2m_link_t *link)
{
    size_t start = p->pos;
    bool has_value = false, quoted = false;
    int rc = parse_name(p);
    if (rc < 0)
        return rc;
    if (p->pos < p->len && p->text[p->pos] == '=') {
        p->pos++;
        has_value = true;
        quoted = p->pos < p->len && p->text[p->pos] == '"';
        rc = quoted ? parse_quoted(p) : parse_ptoken(p);
        if (rc < 0)
            return rc;
    }
    const char *why = check_lwm2m_attr(p->name, has_value ? p->value : NULL);
    if (why)
        return lwm2m_error_set(p->err, LWM2M_ERR_BAD_REQUEST, start,
                               "link-format: attribute %s %s at byte %zu", p->name, why, start);
    rc = lwm2m_link_add_attr(link, p->name, has_value ? p->value : NULL, quoted);
    return rc < 0 ? add_failed(p, rc, "too many attributes") : 0;
}

static int parse_params(link_parser_t *p, lwm2m_link_t *link)
{
    while (p->pos < p->len && p->text[p->pos] == ';') {
        p->pos++;
        int rc = parse_param(p, link);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* The pre-1.2 Bootstrap-Discover example starts "lwm2m=1.0,</0/0>...": the spec lets servers
 * accept it, so a leading "lwm2m=" becomes the attribute of an implicit "</>" link. */
static bool starts_legacy_root(const link_parser_t *p)
{
    return p->len > 6 && memcmp(p->text, "lwm2m=", 6) == 0;
}

static int parse_link(link_parser_t *p, lwm2m_links_t *out)
{
    lwm2m_link_t *link;
    int rc;
    if (p->pos == 0 && starts_legacy_root(p)) {
        if ((rc = lwm2m_links_add(out, "/", &link)) < 0)
            return add_failed(p, rc, "too many links");
        if ((rc = parse_param(p, link)) < 0)
            return rc;
        return parse_params(p, link);
    }
    if (p->pos >= p->len || p->text[p->pos] != '<')
        return fail(p, p->pos, "expected '<'");
    if ((rc = parse_uri(p)) < 0)
        return rc;
    if ((rc = lwm2m_links_add(out, p->value, &link)) < 0)
        return add_failed(p, rc, "too many links");
    return parse_params(p, link);
}

static int parse_document(link_parser_t *p, lwm2m_links_t *out)
{
    if (p->len == 0)
        return 0;
    for (;;) {
        int rc = parse_link(p, out);
        if (rc < 0)
            return rc;
        if (p->pos == p->len)
            return 0;
        if (p->text[p->pos] != ',')
            return fail(p, p->pos, "expected ',' or ';'");
        p->pos++;
        while (p->pos < p->len && is_link_space((unsigned char)p->text[p->pos]))
            p->pos++;
        if (p->pos == p->len)
            return fail(p, p->pos, "expected a link after ','");
    }
}

int lwm2m_link_parse(const char *text, size_t len, lwm2m_links_t *out, lwm2m_error_t *err)
{
    link_parser_t *p = malloc(sizeof(*p));
    if (!p)
        return lwm2m_error_set(err, LWM2M_ERR_INTERNAL, 0, "link-format: out of memory");
    p->text = text ? text : "";
    p->len = text ? len : 0;
    p->pos = 0;
    p->err = err;
    int rc = parse_document(p, out);
    free(p);
    if (rc < 0)
        lwm2m_links_clear(out);
    return rc;
}

/* ---- writer ---- */

static bool uri_is_valid(const char *uri)
{
    const unsigned char *u = (const unsigned char *)uri;
    size_t n = strlen(uri);
    if (n == 0 || n > LWM2M_LINK_STR_MAX || u[0] != '/' || (n > 1 && u[1] == '/'))
        return false;
    for (size_t i = 0; i < n; i++) {
        if (u[i] == '%') {
            if (n - i < 3 || !is_hex(u[i + 1]) || !is_hex(u[i + 2]))
                return false;
            i += 2;
        } else if (!is_uri_char(u[i])) {
            return false;
        }
    }
    return true;
}

static bool name_is_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > LWM2M_LINK_STR_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_parmname_char((unsigned char)name[i]))
            return false;
    return true;
}

static bool is_ptoken(const char *v)
{
    if (!*v)
        return false;
    for (; *v; v++)
        if (!is_ptoken_char((unsigned char)*v))
            return false;
    return true;
}

/* Writes v as a quoted-string, escaping '"' and '\'. -400 for bytes a quoted-string can't
 * carry (control characters, malformed UTF-8). */
static int write_quoted(lwm2m_buf_t *out, const char *v)
{
    const unsigned char *s = (const unsigned char *)v;
    size_t n = strlen(v);
    int rc = lwm2m_buf_append_byte(out, '"');
    for (size_t i = 0; rc == 0 && i < n;) {
        if (s[i] == '"' || s[i] == '\\') {
            uint8_t esc[2] = {'\\', s[i]};
            rc = lwm2m_buf_append(out, esc, 2);
            i++;
            continue;
        }
        size_t step = qdtext_len(s + i, n - i);
        if (step == 0)
            return LWM2M_ERR_BAD_REQUEST;
        rc = lwm2m_buf_append(out, s + i, step);
        i += step;
    }
    return rc < 0 ? rc : lwm2m_buf_append_byte(out, '"');
}

static int write_attr(lwm2m_buf_t *out, const lwm2m_link_attr_t *a)
{
    if (!a->name || !name_is_valid(a->name))
        return LWM2M_ERR_BAD_REQUEST;
    int rc = lwm2m_buf_append_byte(out, ';');
    if (rc == 0)
        rc = lwm2m_buf_append_str(out, a->name);
    if (rc < 0 || !a->value)
        return rc;
    if (strlen(a->value) > LWM2M_LINK_STR_MAX)
        return LWM2M_ERR_BAD_REQUEST;
    rc = lwm2m_buf_append_byte(out, '=');
    if (rc < 0)
        return rc;
    if (a->quoted || !is_ptoken(a->value))
        return write_quoted(out, a->value);
    return lwm2m_buf_append_str(out, a->value);
}

static int write_link(lwm2m_buf_t *out, const lwm2m_link_t *link, size_t *ret_bad_attr)
{
    *ret_bad_attr = SIZE_MAX;
    if (!link->uri || !uri_is_valid(link->uri))
        return LWM2M_ERR_BAD_REQUEST;
    int rc = lwm2m_buf_append_byte(out, '<');
    if (rc == 0)
        rc = lwm2m_buf_append_str(out, link->uri);
    if (rc == 0)
        rc = lwm2m_buf_append_byte(out, '>');
    for (size_t i = 0; rc == 0 && i < link->attr_count; i++) {
        rc = write_attr(out, &link->attrs[i]);
        if (rc == LWM2M_ERR_BAD_REQUEST)
            *ret_bad_attr = i;
    }
    return rc;
}

int lwm2m_link_write(const lwm2m_links_t *links, lwm2m_buf_t *out, lwm2m_error_t *err)
{
    for (size_t i = 0; i < links->count; i++) {
        size_t bad_attr;
        int rc = i ? lwm2m_buf_append_byte(out, ',') : 0;
        if (rc == 0)
            rc = write_link(out, &links->items[i], &bad_attr);
        if (rc == LWM2M_ERR_BAD_REQUEST && bad_attr == SIZE_MAX)
            return lwm2m_error_set(err, rc, i, "link-format: link %zu has an invalid URI", i);
        if (rc == LWM2M_ERR_BAD_REQUEST)
            return lwm2m_error_set(err, rc, i, "link-format: link %zu attribute %zu is invalid", i,
                                   bad_attr);
        if (rc < 0)
            return lwm2m_error_set(err, rc, i, "link-format: output buffer full at link %zu", i);
    }
    return 0;
}
