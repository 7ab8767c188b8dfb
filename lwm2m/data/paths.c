/* paths.c - composite path lists (Read-Composite, Observe-Composite request bodies): SenML-ETCH
 * JSON/CBOR (320/322) and plain SenML JSON/CBOR records with names only (110/112). */
#include <string.h>

#include "senml_internal.h"

typedef struct path_list {
    senml_names_t names;
    lwm2m_path_t *paths;
    size_t max, count;
} path_list_t;

static const senml_format_t *paths_format(uint16_t content_format)
{
    switch (content_format) {
    case LWM2M_CF_SENML_JSON:
    case LWM2M_CF_SENML_ETCH_JSON:
        return &senml_json_format;
    case LWM2M_CF_SENML_CBOR:
    case LWM2M_CF_SENML_ETCH_CBOR:
        return &senml_cbor_format;
    default:
        return NULL;
    }
}

/* A record names a path (bn + n, bn carrying over) and nothing else: a value or a time is
 * refused, as Leshan and Anjay Lite do. */
static int path_record(void *ctx, const senml_record_t *rec, lwm2m_error_t *err)
{
    path_list_t *list = ctx;
    lwm2m_path_t path;
    if (rec->fields & SENML_F_VALUES)
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, rec->offset,
                               "path list record carries a value");
    if (rec->fields & (SENML_F_BT | SENML_F_T))
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, rec->offset,
                               "path list record carries a time");
    int rc = senml_resolve_name(&list->names, rec, &path, err);
    if (rc < 0)
        return rc;
    if (list->count >= list->max)
        return lwm2m_error_set(err, LWM2M_ERR_TOO_LARGE, rec->offset, "more than %zu paths",
                               list->max);
    list->paths[list->count++] = path;
    return 0;
}

int lwm2m_paths_decode(uint16_t content_format, const uint8_t *data, size_t len,
                       lwm2m_path_t *paths, size_t max_paths, size_t *ret_count, lwm2m_error_t *err)
{
    const senml_format_t *fmt = paths_format(content_format);
    path_list_t list = {.paths = paths, .max = paths ? max_paths : 0};
    if (!fmt)
        return lwm2m_error_set(err, LWM2M_ERR_UNSUPPORTED_FORMAT, 0,
                               "content format %u carries no path list", content_format);
    int rc = fmt->parse(data, len, path_record, &list, err);
    if (rc < 0)
        return rc;
    if (ret_count)
        *ret_count = list.count;
    return 0;
}

/* Each path in full in n, no bn: [{"n":"/3/0/0"},{"n":"/1/0/1"}]. */
int lwm2m_paths_encode(uint16_t content_format, const lwm2m_path_t *paths, size_t count,
                       lwm2m_buf_t *out, lwm2m_error_t *err)
{
    const senml_format_t *fmt = paths_format(content_format);
    char name[LWM2M_PATH_STR_MAX];
    if (!fmt)
        return lwm2m_error_set(err, LWM2M_ERR_UNSUPPORTED_FORMAT, 0,
                               "content format %u carries no path list", content_format);
    int rc = fmt->begin(out, count);
    for (size_t i = 0; rc == 0 && i < count; i++) {
        int len = lwm2m_path_format(&paths[i], name, sizeof(name));
        if (len < 0)
            return lwm2m_error_set(err, LWM2M_ERR_NOT_ACCEPTABLE, 0, "path %zu too long", i);
        senml_record_t rec = {.fields = SENML_F_N, .n = {name, (size_t)len}};
        if ((rc = fmt->record(out, &rec, i, err)) < 0)
            return rc;
    }
    if (rc == 0)
        rc = fmt->end(out);
    return rc < 0 ? lwm2m_error_set(err, rc, 0, "output buffer full") : 0;
}
