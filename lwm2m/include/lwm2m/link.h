/* link.h - CoRE link-format (RFC 6690) as LwM2M uses it: registration payloads, Discover and
 * Bootstrap-Discover answers, /25/x/3 IoT Device Objects. */
#ifndef LWM2M_LINK_H
#define LWM2M_LINK_H

#include <stdbool.h>
#include <stddef.h>

#include "lwm2m/buf.h"
#include "lwm2m/error.h"

typedef struct lwm2m_link_attr {
    char *name;  /* owned */
    char *value; /* owned, unescaped; NULL for a valueless attribute ("obs") */
    bool quoted; /* the value was (or is to be written) a quoted-string */
} lwm2m_link_attr_t;

typedef struct lwm2m_link {
    char *uri; /* owned, the text between < and >, e.g. "/3/0" */
    lwm2m_link_attr_t *attrs;
    size_t attr_count;
} lwm2m_link_t;

/* Bounds: a peer can't make a parse allocate more than this. */
#define LWM2M_LINKS_MAX 4096
#define LWM2M_LINK_ATTRS_MAX 32
#define LWM2M_LINK_STR_MAX 1024 /* bytes of one URI, attribute name or unescaped value */

typedef struct lwm2m_links {
    lwm2m_link_t *items;
    size_t count;
    size_t capacity;
} lwm2m_links_t;

/* Parses link-format text into `out` (which must be empty or zero-initialised), keeping the
 * order of links and attributes. Beyond RFC 6690: whitespace (SP, HTAB, CR, LF) may follow a
 * ',' (the LwM2M spec's own examples do it); a document may start with "lwm2m=1.0," as in the
 * pre-1.2 Bootstrap-Discover example (read as a "</>" link); inside a quoted-string only \"
 * and \\ are unescaped, any other backslash is kept (as Leshan does). The LwM2M attributes
 * are checked: pmin/pmax/epmin/epmax/hqmax unsigned, gt/lt/st numbers (st >= 0), dim 0..255,
 * ssid 1..65534, ver/lwm2m "major.minor", ct one or more 0..65535, edge/con 0 or 1; all of
 * them and rt/uri need a value. URIs must be path-absolute (no query, fragment or scheme),
 * percent-encoding is checked but kept as is. Returns 0, -400 (malformed, err->offset at the
 * byte), or -413 when a bound is hit. On failure `out` is cleared. */
int lwm2m_link_parse(const char *text, size_t len, lwm2m_links_t *out, lwm2m_error_t *err);
/* Writes links as link-format ("</3/0>;ver=1.1,</3/0/1>"); values with quoted=true, or that
 * need quoting, are written as quoted-strings with '"' and '\' escaped. */
int lwm2m_link_write(const lwm2m_links_t *links, lwm2m_buf_t *out, lwm2m_error_t *err);
void lwm2m_links_clear(lwm2m_links_t *links); /* accepts NULL */

/* Builders for writers (copy their arguments). Return 0, -413 or -500. */
int lwm2m_links_add(lwm2m_links_t *links, const char *uri, lwm2m_link_t **ret_link);
int lwm2m_link_add_attr(lwm2m_link_t *link, const char *name, const char *value, bool quoted);
/* The first attribute with that name, or NULL. */
const lwm2m_link_attr_t *lwm2m_link_find_attr(const lwm2m_link_t *link, const char *name);

#endif
