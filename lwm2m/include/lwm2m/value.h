/* value.h - typed LwM2M values, nodes (path + value + optional timestamp) and node lists. */
#ifndef LWM2M_VALUE_H
#define LWM2M_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwm2m/path.h"

typedef enum lwm2m_type {
    LWM2M_TYPE_UNKNOWN = 0, /* no model knows it: only used as a lookup result / hint */
    LWM2M_TYPE_NONE,        /* a resource with no value (e.g. an executable one) */
    LWM2M_TYPE_STRING,
    LWM2M_TYPE_INTEGER,  /* int64 */
    LWM2M_TYPE_UNSIGNED, /* uint64 */
    LWM2M_TYPE_FLOAT,    /* double */
    LWM2M_TYPE_BOOLEAN,
    LWM2M_TYPE_OPAQUE,
    LWM2M_TYPE_TIME, /* int64 seconds since the Unix epoch */
    LWM2M_TYPE_OBJLNK,
    LWM2M_TYPE_CORELNK,
    /* Markers for empty containers (a node whose path is the container, no leaf below). */
    LWM2M_TYPE_MULTIPLE, /* an empty multi-instance resource */
    LWM2M_TYPE_INSTANCE, /* an empty object instance */
} lwm2m_type_t;

/* "string", "integer", ... "multiple", "instance"; "unknown" for LWM2M_TYPE_UNKNOWN. */
const char *lwm2m_type_name(lwm2m_type_t type);
/* Inverse of lwm2m_type_name; returns LWM2M_TYPE_UNKNOWN for an unknown name. Also accepts the
 * DDF spellings ("Integer", "Unsigned Integer", "Float", "Boolean", "Opaque", "Time",
 * "Objlnk", "Corelnk", "String", "none"). */
lwm2m_type_t lwm2m_type_from_name(const char *name);

typedef struct lwm2m_objlnk {
    uint16_t object;
    uint16_t instance;
} lwm2m_objlnk_t;

/* A value. For STRING, CORELNK and OPAQUE the bytes are owned by whoever owns the value:
 * values inside an lwm2m_nodes_t are owned by the list. Strings are NUL-terminated in
 * addition to having a length (they may contain NUL in theory; len is authoritative). */
typedef struct lwm2m_value {
    lwm2m_type_t type;
    union {
        int64_t integer; /* INTEGER and TIME */
        uint64_t unsigned_integer;
        double floating;
        bool boolean;
        lwm2m_objlnk_t objlnk;
        struct {
            uint8_t *data; /* STRING, CORELNK, OPAQUE */
            size_t len;
        } bytes;
    } u;
} lwm2m_value_t;

typedef struct lwm2m_node {
    lwm2m_path_t path;
    lwm2m_value_t value;
    bool has_time;
    double time; /* SenML / OMA JSON record time: absolute seconds (may be fractional) */
} lwm2m_node_t;

/* A growable list of nodes with a hard bound on the number of nodes and on the total bytes of
 * string/opaque data, so a peer can't make us allocate without limit. */
typedef struct lwm2m_nodes {
    lwm2m_node_t *items;
    size_t count;
    size_t capacity;
    size_t max_count; /* 0 means LWM2M_NODES_DEFAULT_MAX */
    size_t bytes;     /* total string/opaque bytes held */
    size_t max_bytes; /* 0 means LWM2M_NODES_DEFAULT_MAX_BYTES */
} lwm2m_nodes_t;

#define LWM2M_NODES_DEFAULT_MAX 8192
#define LWM2M_NODES_DEFAULT_MAX_BYTES (4u * 1024u * 1024u)

/* Zero-initialised lwm2m_nodes_t is a valid empty list with default bounds. */
void lwm2m_nodes_init(lwm2m_nodes_t *nodes, size_t max_count, size_t max_bytes);
/* Frees every value's bytes and the array; the list is empty and reusable afterwards.
 * Accepts NULL. */
void lwm2m_nodes_clear(lwm2m_nodes_t *nodes);

/* Appends a node with a copy of the value's bytes. Returns 0, or -413 when a bound is hit,
 * -500 on allocation failure. On success *ret_node (if not NULL) points at the new node, valid
 * until the next append. */
int lwm2m_nodes_add(lwm2m_nodes_t *nodes, const lwm2m_path_t *path, const lwm2m_value_t *value,
                    lwm2m_node_t **ret_node);
/* Removes `prefix` from the nodes that carry exactly that end-device prefix. Used for a
 * device's alternate root path ("/lwm2m/3/0/0" decodes with prefix "lwm2m"). */
void lwm2m_nodes_strip_prefix(lwm2m_nodes_t *nodes, const char *prefix);
/* Sorts by path (stable for equal paths). */
void lwm2m_nodes_sort(lwm2m_nodes_t *nodes);

/* Value constructors (no allocation: bytes point at the caller's memory). */
lwm2m_value_t lwm2m_value_integer(int64_t v);
lwm2m_value_t lwm2m_value_unsigned(uint64_t v);
lwm2m_value_t lwm2m_value_float(double v);
lwm2m_value_t lwm2m_value_boolean(bool v);
lwm2m_value_t lwm2m_value_time(int64_t v);
lwm2m_value_t lwm2m_value_objlnk(uint16_t object, uint16_t instance);
lwm2m_value_t lwm2m_value_bytes(lwm2m_type_t type, const void *data, size_t len);
lwm2m_value_t lwm2m_value_none(lwm2m_type_t type);

/* Objlnk text "oid:iid" (strict: decimal, no whitespace, each part 0..65535). -400 on error. */
int lwm2m_objlnk_parse(const char *text, size_t len, lwm2m_objlnk_t *ret);
/* Writes "oid:iid" and a NUL; needs 12 bytes. Returns the length. */
int lwm2m_objlnk_format(lwm2m_objlnk_t link, char *buf, size_t size);

/* Strict decimal parsers over len bytes (no whitespace, optional '-' for int64). -400 on
 * syntax error, -413 (out of range) on overflow. */
int lwm2m_parse_int64(const char *text, size_t len, int64_t *ret);
int lwm2m_parse_uint64(const char *text, size_t len, uint64_t *ret);
/* A decimal float: [-]digits[.digits][(e|E)[+-]digits], also "NaN", "Infinity", "-Infinity". */
int lwm2m_parse_double(const char *text, size_t len, double *ret);
/* Shortest text that reads back as the same double; whole numbers get ".0" ("3.0").
 * Returns the length. buf needs 32 bytes. */
int lwm2m_format_double(double v, char *buf, size_t size);

#endif
