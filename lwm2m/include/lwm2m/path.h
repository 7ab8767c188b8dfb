/* path.h - LwM2M paths: /, /o, /o/i, /o/i/r, /o/i/r/ri, with an optional end-device prefix. */
#ifndef LWM2M_PATH_H
#define LWM2M_PATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LWM2M_PATH_MAX_DEPTH 4
#define LWM2M_ID_MAX 65535u
#define LWM2M_PREFIX_MAX 32 /* bytes, including the terminating NUL */
/* Longest text form: "/" prefix + 4 x "/65535" + NUL. */
#define LWM2M_PATH_STR_MAX (LWM2M_PREFIX_MAX + 4 * 6 + 2)

enum {
    LWM2M_PATH_OBJECT = 0,
    LWM2M_PATH_INSTANCE = 1,
    LWM2M_PATH_RESOURCE = 2,
    LWM2M_PATH_RESOURCE_INSTANCE = 3,
};

typedef struct lwm2m_path {
    uint16_t id[LWM2M_PATH_MAX_DEPTH]; /* valid up to depth; the rest are 0 */
    uint8_t depth;                     /* 0 root, 1 object, 2 instance, 3 resource, 4 res. inst. */
    char prefix[LWM2M_PREFIX_MAX];     /* LwM2M Gateway end-device prefix, "" when none */
} lwm2m_path_t;

/* Parse flags. */
enum {
    /* Accept a leading non-numeric segment as an end-device prefix ("/d01/3303/0"). */
    LWM2M_PATH_ALLOW_PREFIX = 1u << 0,
    /* Accept what Zephyr's parser accepts: no leading '/', doubled or trailing '/'. */
    LWM2M_PATH_LENIENT = 1u << 1,
    /* Accept 65535 as an instance or resource ID (Create uses instance 65535). */
    LWM2M_PATH_ALLOW_RESERVED = 1u << 2,
};

/* Parses len bytes of text. Strict by default: "/" or ("/" id){1,4}, ids are decimal 0..65535
 * without sign or leading zeros ("0" itself is fine), 65535 refused for instance and
 * resource-instance unless LWM2M_PATH_ALLOW_RESERVED. A single trailing '/' after an object or
 * instance is accepted (link-format writes "</0/1/>"). On failure returns -400 and leaves
 * *ret_path untouched. */
int lwm2m_path_parse(const char *text, size_t len, unsigned flags, lwm2m_path_t *ret_path);

/* Writes the canonical text ("/", "/3/0/1", "/d01/3/0") with a NUL. Returns the length, or
 * -413 when size is too small. */
int lwm2m_path_format(const lwm2m_path_t *path, char *buf, size_t size);

lwm2m_path_t lwm2m_path_root(void);
/* Builds a path from depth ids; ids beyond depth are ignored. */
lwm2m_path_t lwm2m_path_make(uint8_t depth, uint16_t o, uint16_t i, uint16_t r, uint16_t ri);
/* Appends one level. Returns -400 if the path is already at depth 4. */
int lwm2m_path_append(lwm2m_path_t *path, uint16_t id);

bool lwm2m_path_equal(const lwm2m_path_t *a, const lwm2m_path_t *b);
/* Orders by prefix, then ids level by level; a parent sorts before its children. */
int lwm2m_path_compare(const lwm2m_path_t *a, const lwm2m_path_t *b);
/* True when `parent` is `child` or one of its ancestors (same prefix). */
bool lwm2m_path_contains(const lwm2m_path_t *parent, const lwm2m_path_t *child);

#endif
