/* attr.h - LwM2M notification attributes as Write-Attributes and Observe queries carry them
 * ("pmin=10&pmax=60&gt=45.5"): parsing, checking against the target path and resource type,
 * writing back; and the Discover depth parameter. */
#ifndef LWM2M_ATTR_H
#define LWM2M_ATTR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwm2m/buf.h"
#include "lwm2m/error.h"
#include "lwm2m/query.h"
#include "lwm2m/value.h"

/* In the order lwm2m_attrs_write emits them. */
typedef enum lwm2m_attr_id {
    LWM2M_ATTR_DIM = 0, /* dim and ver are read-only properties: parsed (Leshan's query */
    LWM2M_ATTR_VER,     /* parser knows them) but refused by lwm2m_attrs_validate */
    LWM2M_ATTR_PMIN,
    LWM2M_ATTR_PMAX,
    LWM2M_ATTR_EPMIN,
    LWM2M_ATTR_EPMAX,
    LWM2M_ATTR_HQMAX, /* 1.2 */
    LWM2M_ATTR_LT,
    LWM2M_ATTR_GT,
    LWM2M_ATTR_ST,
    LWM2M_ATTR_EDGE,   /* 1.2 */
    LWM2M_ATTR_CON,    /* 1.2 */
    LWM2M_ATTR_CANCEL, /* LwM2M 1.0 Write-Attributes "cancel": never takes a value */
    LWM2M_ATTR_COUNT
} lwm2m_attr_id_t;

#define LWM2M_ATTR_BIT(id) (1u << (id))
#define LWM2M_ATTR_VER_MAX 16

/*
 * A parsed query. Each attribute appears at most once: either in `present` (it had a value,
 * held in the matching field; "cancel" is present without a value) or in `unset` (its name
 * came alone, "pmin", which removes it at that level). A zero-initialised struct is empty.
 */
typedef struct lwm2m_attrs {
    uint32_t present; /* LWM2M_ATTR_BIT(id) */
    uint32_t unset;
    uint32_t pmin, pmax, epmin, epmax; /* seconds */
    uint32_t hqmax;
    double lt, gt, st; /* finite; st >= 0 */
    bool edge, con;
    uint8_t dim;
    char ver[LWM2M_ATTR_VER_MAX]; /* "major.minor" */
} lwm2m_attrs_t;

/* "pmin", "gt", ...; NULL for an out-of-range id. */
const char *lwm2m_attr_name(lwm2m_attr_id_t id);

/* Parses "pmin=10&pmax=60&lt" (no leading '?', no percent-decoding: CoAP options carry plain
 * text). Rejects empty segments, unknown names, a name given twice, "name=" with an empty
 * value, a value on cancel and no value on dim/ver; pmin/pmax/epmin/epmax/hqmax are decimal
 * 0..UINT32_MAX, gt/lt/st decimal numbers (exponent allowed, st >= 0), edge/con 0 or 1, dim
 * 0..255, ver "major.minor". Cross-attribute and path checks are lwm2m_attrs_validate's.
 * An empty text gives an empty set. Returns 0 or -400 (err->offset at the byte); *ret is
 * untouched on failure. */
int lwm2m_attrs_parse(const char *text, size_t len, lwm2m_attrs_t *ret, lwm2m_error_t *err);
/* The same over parameters already split (CoAP Uri-Query options); err->offset is the index
 * of the offending parameter. */
int lwm2m_attrs_from_query(const lwm2m_query_t *query, lwm2m_attrs_t *ret, lwm2m_error_t *err);
/* Adds one parameter (value NULL: valueless) to attrs with the rules above. Returns 0 or -400
 * with a reason in err (offset 0); attrs is unchanged on failure. */
int lwm2m_attrs_add(lwm2m_attrs_t *attrs, const char *name, size_t name_len, const char *value,
                    size_t value_len, lwm2m_error_t *err);

/*
 * Checks a set against its target: depth is the path depth (1 object .. 4 resource instance),
 * type the resource's type or LWM2M_TYPE_UNKNOWN when no model knows it (type checks are then
 * skipped). Refuses: any attribute on the root; dim and ver (read-only); gt/lt/st/edge above
 * resource level; gt/lt/st on a non-numeric resource (integer, unsigned, float); edge on a
 * non-boolean resource; and the cross rules between values given in this set: pmin <= pmax,
 * epmin <= epmax, lt < gt, lt + 2*st < gt. Returns 0 or -400.
 */
int lwm2m_attrs_validate(const lwm2m_attrs_t *attrs, uint8_t depth, lwm2m_type_t type,
                         lwm2m_error_t *err);

/* Appends the set as a query ("pmin=5&pmax=60&lt=10&gt=20.1&epmin"), in lwm2m_attr_id_t
 * order, numbers in plain decimal (never an exponent: "0.0000000000009223372"). Writes nothing
 * for an empty set. Returns 0, -400 (a value the parser would refuse) or the buffer's -413 /
 * -500. */
int lwm2m_attrs_write(const lwm2m_attrs_t *attrs, lwm2m_buf_t *out, lwm2m_error_t *err);

/* Formats a finite double in plain decimal with the fewest digits that read back exactly:
 * "10", "20.1", "-0.5", "10000000000000000000". Returns the length, -400 for NaN/infinity or
 * -413 when size is too small (LWM2M_ATTR_NUMBER_MAX is always enough). */
#define LWM2M_ATTR_NUMBER_MAX 400
int lwm2m_attr_format_number(double v, char *buf, size_t size);

/* Discover's depth query value: "0".."3". Returns 0 or -400. */
int lwm2m_discover_depth_parse(const char *text, size_t len, uint8_t *ret);

#endif
