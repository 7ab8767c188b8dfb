/* conf_internal.h - the schema table and the load context shared by conf/'s source files. */
#ifndef LMG_CONF_INTERNAL_H
#define LMG_CONF_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/config.h"

typedef enum conf_type {
    CONF_GROUP,  /* a group of keys */
    CONF_RULES,  /* a list of groups (conf_lists): observe rules, bootstrap accounts */
    CONF_INT,    /* int field */
    CONF_INT64,  /* int64_t field */
    CONF_BOOL,   /* bool field */
    CONF_STRING, /* char * field, owned */
    CONF_ENUM,   /* enum field (int-sized), written as a string */
    CONF_LISTEN, /* lmg_conf_listen_list_t field, a string or a list of "address:port" */
} conf_type_t;

enum {
    CONF_F_SECRET = 1u << 0,   /* never printed */
    CONF_F_REQUIRED = 1u << 1, /* must be present (inside its group or rule) */
    CONF_F_PATH = 1u << 2,     /* a file system path, made absolute against the config dir */
};

/* The lists of groups, and where each lives in lmg_conf_t. A key's `list` says which list's
 * element its offset points into (CONF_LIST_NONE: lmg_conf_t itself); a CONF_RULES key's
 * `holds` says which list it is. */
enum { CONF_LIST_NONE = 0, CONF_LIST_OBSERVE, CONF_LIST_BOOTSTRAP, CONF_LIST_END };
#define CONF_LIST_COUNT (CONF_LIST_END - 1)
typedef struct conf_list {
    const char *norm; /* the normalised element key, "observe[]" */
    size_t elem_size;
    size_t items_offset; /* of the element array pointer in lmg_conf_t */
    size_t count_offset; /* of its size_t count */
} conf_list_t;
extern const conf_list_t conf_lists[CONF_LIST_COUNT]; /* index: list - 1 */

typedef struct conf_enum {
    const char *name;
    int value;
} conf_enum_t;

/* Checks a string value; on failure writes the reason (no key, no file) and returns -EINVAL. */
typedef int (*conf_check_fn)(const char *value, char *why, size_t why_len);

typedef struct conf_key {
    const char *key; /* "mqtt.keepalive"; members of a list of groups as "observe[].path" */
    conf_type_t type;
    long long min, max;       /* integer bounds; string length bounds; list length bounds */
    const char *def;          /* the default as text (lists comma separated); NULL for groups */
    const conf_enum_t *names; /* CONF_ENUM: the accepted names, NULL-terminated */
    size_t offset;
    unsigned flags;
    conf_check_fn check; /* CONF_STRING: extra validation, may be NULL */
    const char *doc;
    unsigned char list;  /* CONF_LIST_*: whose element the offset is into */
    unsigned char holds; /* CONF_RULES: the CONF_LIST_* it is */
} conf_key_t;

extern const conf_key_t conf_schema[];
extern const size_t conf_schema_count;

/* The entry for a normalised key (list indexes written "[]"), or NULL. */
const conf_key_t *conf_schema_find(const char *key);
/* The closest schema key to an unknown normalised key, or NULL when nothing is close. */
const char *conf_schema_suggest(const char *key);
/* The name of an enum value, "?" when unknown. */
const char *conf_enum_name(const conf_enum_t *names, int value);
/* The textual type of an entry for messages and docs ("integer", "one of: a, b"). */
void conf_type_describe(const conf_key_t *k, char *buf, size_t len);

/* Value checks (values.c). */
int conf_check_id(const char *value, char *why, size_t why_len);
int conf_check_file(const char *value, char *why, size_t why_len);
int conf_check_dir(const char *value, char *why, size_t why_len);
int conf_check_uri(const char *value, char *why, size_t why_len);
int conf_check_coap_uri(const char *value, char *why, size_t why_len);
int conf_check_topic_root(const char *value, char *why, size_t why_len);
int conf_check_topic_prefix(const char *value, char *why, size_t why_len);
int conf_check_lwm2m_path(const char *value, char *why, size_t why_len);
int conf_check_attributes(const char *value, char *why, size_t why_len);
int conf_check_glob(const char *value, char *why, size_t why_len);
int conf_check_printable(const char *value, char *why, size_t why_len);
int conf_check_binding(const char *value, char *why, size_t why_len);
int conf_parse_listen(const char *text, lmg_conf_listen_t *ret, char *why, size_t why_len);
int conf_parse_lwm2m_path(const char *text, uint16_t ids[4], uint8_t *ret_depth);
bool conf_uri_is_tls(const char *uri);
/* Whether binding both would clash: same family and port, same address or a wildcard. */
bool conf_listen_overlap(const lmg_conf_listen_t *a, const lmg_conf_listen_t *b);

/* Where a setting came from; file NULL = not configured (a default). */
typedef struct conf_loc {
    const char *file;
    unsigned line;
} conf_loc_t;

typedef struct conf_ctx {
    lmg_conf_t *conf;
    lmg_conf_messages_t *msgs;
    size_t errors; /* all errors, also those past LMG_CONF_MAX_MESSAGES */
    bool oom;
    const char *name; /* the main file as given, for messages */
    char *base_dir;   /* absolute directory for @include and relative paths, or NULL */
    char *shown_dir;  /* directory prefix for included file names in messages, or NULL */
    conf_loc_t *locs; /* per schema entry: where it was set (top-level keys only) */
    conf_loc_t *list_locs[CONF_LIST_COUNT]; /* per list element: where its group starts */
    char **names; /* display names of included files, freed with the context */
    size_t name_count;
} conf_ctx_t;

/* Appends "loc.file:loc.line: key: reason" (or "file: key: reason" when line is 0). */
void conf_error(conf_ctx_t *ctx, conf_loc_t loc, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Appends a message as is. */
void conf_message(conf_ctx_t *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The location recorded for a top-level key, or the first set one of a fallback list. */
conf_loc_t conf_loc_of(const conf_ctx_t *ctx, const char *key);
bool conf_is_set(const conf_ctx_t *ctx, const char *key);

/* Cross-key checks and derived values (check.c). conf_resolve returns 0 or -ENOMEM. */
void conf_check_all(conf_ctx_t *ctx);
int conf_resolve(lmg_conf_t *conf);

/* Field access through the table. */
static inline void *conf_field(void *base, const conf_key_t *k)
{
    return (char *)base + k->offset;
}

#endif
