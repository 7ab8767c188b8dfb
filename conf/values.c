/* values.c - checks for single configuration values: names, paths, URIs, topics, listen
 * addresses, LwM2M paths and notification attributes. No side effects beyond stat(2). */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf_internal.h"

__attribute__((format(printf, 3, 4))) static int fail(char *why, size_t why_len, const char *fmt,
                                                      ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_len, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

static bool is_control(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

int conf_check_printable(const char *value, char *why, size_t why_len)
{
    for (const char *p = value; *p; p++) {
        if (is_control((unsigned char)*p))
            return fail(why, why_len, "control characters are not allowed");
    }
    return 0;
}

/* LwM2M binding modes (Server /1/x/7): each of U, Q, S, N, T at most once. */
int conf_check_binding(const char *value, char *why, size_t why_len)
{
    for (const char *p = value; *p; p++) {
        if (!strchr("UQSNT", *p))
            return fail(why, why_len, "expected binding letters from U, Q, S, N, T");
        if (strchr(p + 1, *p))
            return fail(why, why_len, "binding letter '%c' given twice", *p);
    }
    return 0;
}

int conf_check_id(const char *value, char *why, size_t why_len)
{
    for (const char *p = value; *p; p++) {
        char c = *p;
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-';
        if (!ok)
            return fail(why, why_len, "only letters, digits, '_' and '-' are allowed");
    }
    return 0;
}

int conf_check_file(const char *value, char *why, size_t why_len)
{
    struct stat st;
    if (value[0] == '\0')
        return 0;
    if (stat(value, &st) < 0 || access(value, R_OK) < 0)
        return fail(why, why_len, "%s: cannot read: %s", value, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return fail(why, why_len, "%s: not a regular file", value);
    return 0;
}

int conf_check_dir(const char *value, char *why, size_t why_len)
{
    struct stat st;
    if (value[0] == '\0')
        return 0;
    if (stat(value, &st) < 0)
        return fail(why, why_len, "%s: cannot read: %s", value, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return fail(why, why_len, "%s: not a directory", value);
    if (access(value, R_OK | X_OK) < 0)
        return fail(why, why_len, "%s: cannot read: %s", value, strerror(errno));
    return 0;
}

/* Decimal 1..65535, digits only. */
static int parse_port(const char *s, size_t len, uint16_t *ret)
{
    unsigned long v = 0;
    if (len == 0 || len > 5)
        return -EINVAL;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -EINVAL;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (v < 1 || v > 65535)
        return -EINVAL;
    *ret = (uint16_t)v;
    return 0;
}

static const char *const uri_schemes[] = {"tcp", "mqtt", "ssl", "mqtts", "ws", "wss"};

static int check_host(const char *host, size_t len, char *why, size_t why_len)
{
    char buf[INET6_ADDRSTRLEN];
    struct in6_addr a6;
    if (len > 0 && host[0] == '[') {
        if (len < 3 || host[len - 1] != ']' || len - 2 >= sizeof(buf))
            return fail(why, why_len, "bad IPv6 address in brackets");
        memcpy(buf, host + 1, len - 2);
        buf[len - 2] = '\0';
        if (inet_pton(AF_INET6, buf, &a6) != 1)
            return fail(why, why_len, "bad IPv6 address in brackets");
        return 0;
    }
    if (len == 0 || len > 253)
        return fail(why, why_len, "expected a host name or address");
    for (size_t i = 0; i < len; i++) {
        char c = host[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '.' || c == '_';
        if (!ok)
            return fail(why, why_len, "bad character in host name");
    }
    return 0;
}

/* scheme://host[:port][/path], path only for WebSockets; host a name, IPv4 or [IPv6]. */
/* firmware.pull_uri: "coap://host[:port]" or "coaps://..."; no path, query or credentials. */
int conf_check_coap_uri(const char *value, char *why, size_t why_len)
{
    if (value[0] == '\0')
        return 0;
    const char *auth = NULL;
    if (strncmp(value, "coap://", 7) == 0)
        auth = value + 7;
    else if (strncmp(value, "coaps://", 8) == 0)
        auth = value + 8;
    else
        return fail(why, why_len, "expected coap://host[:port] or coaps://host[:port]");
    if (auth[0] == '\0' || strpbrk(auth, "/?#@ "))
        return fail(why, why_len, "expected coap://host[:port] (no path, query or user)");
    return 0;
}

int conf_check_uri(const char *value, char *why, size_t why_len)
{
    if (value[0] == '\0')
        return 0;
    const char *sep = strstr(value, "://");
    if (!sep)
        return fail(why, why_len, "expected scheme://host[:port], e.g. tcp://127.0.0.1:1883");
    size_t slen = (size_t)(sep - value);
    bool known = false, websocket = false;
    for (size_t i = 0; i < sizeof(uri_schemes) / sizeof(uri_schemes[0]); i++) {
        if (strlen(uri_schemes[i]) == slen && strncmp(value, uri_schemes[i], slen) == 0) {
            known = true;
            websocket = i >= 4;
        }
    }
    if (!known)
        return fail(why, why_len, "unknown scheme, expected tcp, mqtt, ssl, mqtts, ws or wss");
    const char *auth = sep + 3;
    size_t alen = strcspn(auth, "/");
    if (auth[alen] == '/' && !websocket)
        return fail(why, why_len, "a path is only allowed with ws:// and wss://");
    if (memchr(auth, '@', alen))
        return fail(why, why_len, "no credentials in the URI: use mqtt.username and password");
    size_t hlen = alen;
    const char *host_end = auth[0] == '[' ? memchr(auth, ']', alen) : NULL;
    if (!host_end)
        host_end = auth;
    const char *colon = memchr(host_end, ':', alen - (size_t)(host_end - auth));
    if (colon) {
        uint16_t port;
        hlen = (size_t)(colon - auth);
        if (parse_port(colon + 1, alen - hlen - 1, &port) < 0)
            return fail(why, why_len, "expected a port 1..65535 after ':'");
    }
    if (check_host(auth, hlen, why, why_len) < 0)
        return -EINVAL;
    return conf_check_printable(auth + alen, why, why_len);
}

bool conf_uri_is_tls(const char *uri)
{
    return strncmp(uri, "ssl://", 6) == 0 || strncmp(uri, "mqtts://", 8) == 0 ||
           strncmp(uri, "wss://", 6) == 0;
}

int conf_check_topic_root(const char *value, char *why, size_t why_len)
{
    size_t len = strlen(value);
    if (len == 0)
        return fail(why, why_len, "must not be empty");
    if (strpbrk(value, "+#"))
        return fail(why, why_len, "wildcards '+' and '#' are not allowed");
    if (strchr(value, '$'))
        return fail(why, why_len, "'$' is not allowed");
    if (value[0] == '/' || value[len - 1] == '/')
        return fail(why, why_len, "must not start or end with '/'");
    if (strstr(value, "//"))
        return fail(why, why_len, "empty topic levels ('//') are not allowed");
    return conf_check_printable(value, why, why_len);
}

int conf_check_topic_prefix(const char *value, char *why, size_t why_len)
{
    return value[0] == '\0' ? 0 : conf_check_topic_root(value, why, why_len);
}

int conf_check_glob(const char *value, char *why, size_t why_len)
{
    return conf_check_printable(value, why, why_len);
}

static int parse_path(const char *text, uint16_t ids[4], uint8_t *ret_depth, char *why,
                      size_t why_len)
{
    const char *p = text;
    uint8_t depth = 0;
    if (*p != '/')
        return fail(why, why_len, "expected a path starting with '/', e.g. /3303/0/5700");
    while (*p == '/') {
        p++;
        size_t n = strspn(p, "0123456789");
        if (n == 0)
            return fail(why, why_len, "expected a number after '/'");
        if (depth == 4)
            return fail(why, why_len, "at most 4 levels (object/instance/resource/instance)");
        if (n > 1 && p[0] == '0')
            return fail(why, why_len, "ids have no leading zeros");
        unsigned long v = n > 5 ? 99999 : strtoul(p, NULL, 10);
        if (v > 65535 || (v == 65535 && depth > 0))
            return fail(why, why_len, "ids are 0..65535 (65535 only for objects)");
        ids[depth++] = (uint16_t)v;
        p += n;
    }
    if (*p != '\0')
        return fail(why, why_len, "expected digits and '/' only, e.g. /3303/0/5700");
    *ret_depth = depth;
    return 0;
}

int conf_parse_lwm2m_path(const char *text, uint16_t ids[4], uint8_t *ret_depth)
{
    char why[8];
    return parse_path(text, ids, ret_depth, why, sizeof(why));
}

int conf_check_lwm2m_path(const char *value, char *why, size_t why_len)
{
    uint16_t ids[4];
    uint8_t depth;
    return parse_path(value, ids, &depth, why, why_len);
}

static const char *const attr_names[] = {"pmin",  "pmax",  "gt",   "lt",  "st",
                                         "epmin", "epmax", "edge", "con", "hqmax"};
enum { A_PMIN, A_PMAX, A_GT, A_LT, A_ST, A_EPMIN, A_EPMAX, A_EDGE, A_CON, A_HQMAX, A_COUNT };

/* Parses one "name=value"; returns the attribute index or -EINVAL. */
static int parse_attribute(const char *s, size_t len, double *ret, char *why, size_t why_len)
{
    const char *eq = memchr(s, '=', len);
    if (!eq || eq == s)
        return fail(why, why_len, "expected name=value pairs joined by '&'");
    size_t nlen = (size_t)(eq - s), vlen = len - nlen - 1;
    int idx = -1;
    for (int i = 0; i < A_COUNT; i++) {
        if (strlen(attr_names[i]) == nlen && strncmp(s, attr_names[i], nlen) == 0)
            idx = i;
    }
    if (idx < 0)
        return fail(why, why_len,
                    "unknown attribute '%.*s' (pmin, pmax, gt, lt, st, epmin, "
                    "epmax, edge, con, hqmax)",
                    (int)(nlen > 16 ? 16 : nlen), s);
    char buf[32], *end;
    if (vlen == 0 || vlen >= sizeof(buf))
        return fail(why, why_len, "%s: expected a number", attr_names[idx]);
    memcpy(buf, eq + 1, vlen);
    buf[vlen] = '\0';
    bool decimal = idx == A_GT || idx == A_LT || idx == A_ST;
    if (!strchr("0123456789+-.", buf[0]))
        return fail(why, why_len, "%s: expected a number", attr_names[idx]);
    bool flag = idx == A_EDGE || idx == A_CON;
    double v = decimal ? strtod(buf, &end) : (double)strtoul(buf, &end, 10);
    if (*end != '\0' || (!decimal && (buf[0] < '0' || buf[0] > '9')) || !isfinite(v) ||
        (flag && v > 1) || (!decimal && v > 4294967295.0))
        return fail(why, why_len, "%s: expected %s", attr_names[idx],
                    flag      ? "0 or 1"
                    : decimal ? "a number"
                              : "an integer >= 0");
    *ret = v;
    return idx;
}

int conf_check_attributes(const char *value, char *why, size_t why_len)
{
    double v[A_COUNT];
    bool seen[A_COUNT] = {false};
    for (const char *p = value; *p;) {
        size_t len = strcspn(p, "&");
        double x = 0;
        int idx = parse_attribute(p, len, &x, why, why_len);
        if (idx < 0)
            return idx;
        if (seen[idx])
            return fail(why, why_len, "%s given twice", attr_names[idx]);
        seen[idx] = true;
        v[idx] = x;
        p += len;
        if (*p == '&' && *++p == '\0')
            return fail(why, why_len, "trailing '&'");
    }
    if (seen[A_PMIN] && seen[A_PMAX] && v[A_PMIN] > v[A_PMAX])
        return fail(why, why_len, "pmin must not exceed pmax");
    if (seen[A_EPMIN] && seen[A_EPMAX] && v[A_EPMIN] > v[A_EPMAX])
        return fail(why, why_len, "epmin must not exceed epmax");
    if (seen[A_LT] && seen[A_GT] && v[A_LT] >= v[A_GT])
        return fail(why, why_len, "lt must be below gt");
    return 0;
}

bool conf_listen_overlap(const lmg_conf_listen_t *a, const lmg_conf_listen_t *b)
{
    if (a->family != b->family || a->port != b->port)
        return false;
    if (a->family == AF_INET) {
        const struct in_addr *x = &((const struct sockaddr_in *)&a->sa)->sin_addr;
        const struct in_addr *y = &((const struct sockaddr_in *)&b->sa)->sin_addr;
        return x->s_addr == y->s_addr || x->s_addr == INADDR_ANY || y->s_addr == INADDR_ANY;
    }
    const struct in6_addr *x = &((const struct sockaddr_in6 *)&a->sa)->sin6_addr;
    const struct in6_addr *y = &((const struct sockaddr_in6 *)&b->sa)->sin6_addr;
    return memcmp(x, y, sizeof(*x)) == 0 || IN6_IS_ADDR_UNSPECIFIED(x) ||
           IN6_IS_ADDR_UNSPECIFIED(y);
}

static int fill_sockaddr(int family, const char *addr, uint16_t port, lmg_conf_listen_t *ret)
{
    memset(&ret->sa, 0, sizeof(ret->sa));
    if (family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)&ret->sa;
        if (inet_pton(AF_INET, addr, &in->sin_addr) != 1)
            return -EINVAL;
        in->sin_family = AF_INET;
        in->sin_port = htons(port);
        ret->sa_len = sizeof(*in);
    } else {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ret->sa;
        if (inet_pton(AF_INET6, addr, &in6->sin6_addr) != 1)
            return -EINVAL;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        ret->sa_len = sizeof(*in6);
    }
    ret->family = family;
    ret->port = port;
    return 0;
}

int conf_parse_listen(const char *text, lmg_conf_listen_t *ret, char *why, size_t why_len)
{
    static const char usage[] = "expected \"address:port\" with an IPv4 address or an IPv6 "
                                "address in brackets, e.g. \"0.0.0.0:5683\" or \"[::]:5683\"";
    char addr[INET6_ADDRSTRLEN];
    const char *colon;
    const char *host = text;
    int family = AF_INET;
    size_t len = strlen(text);
    if (len >= sizeof(ret->text))
        return fail(why, why_len, "%s", usage);
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close || close[1] != ':')
            return fail(why, why_len, "%s", usage);
        host = text + 1;
        colon = close + 1;
        family = AF_INET6;
    } else {
        colon = strrchr(text, ':');
        if (colon && memchr(text, ':', (size_t)(colon - text)))
            return fail(why, why_len, "IPv6 addresses go in brackets, e.g. \"[::]:5683\"");
    }
    size_t hlen = colon ? (size_t)(colon - host) - (family == AF_INET6) : 0;
    if (!colon || hlen == 0 || hlen >= sizeof(addr))
        return fail(why, why_len, "%s", usage);
    memcpy(addr, host, hlen);
    addr[hlen] = '\0';
    uint16_t port;
    if (parse_port(colon + 1, strlen(colon + 1), &port) < 0)
        return fail(why, why_len, "expected a port 1..65535 after ':'");
    if (fill_sockaddr(family, addr, port, ret) < 0)
        return fail(why, why_len, "%s", usage);
    memcpy(ret->text, text, len + 1);
    return 0;
}
