/* special_link.c - vector hooks for link-format, attributes, Execute arguments, Profile IDs and
 * request lines (link_format.json, attributes.json, spec-examples.json). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/attr.h"
#include "lwm2m/link.h"
#include "lwm2m/model.h"
#include "lwm2m/path.h"
#include "lwm2m/query.h"
#include "vectors.h"

static bool expects_error(json_object *vector)
{
    json_object *e;
    return json_object_object_get_ex(vector, "expected", &e) &&
           json_object_is_type(e, json_type_string) &&
           strcmp(json_object_get_string(e), "error") == 0;
}

static bool direction_has(json_object *vector, const char *which)
{
    const char *d = vec_direction(vector);
    return d && (strcmp(d, which) == 0 || strcmp(d, "both") == 0);
}

static json_object *member(json_object *obj, const char *key)
{
    json_object *v = NULL;
    return json_object_object_get_ex(obj, key, &v) ? v : NULL;
}

/* ---- link-format ---- */

static int compare_attr(const lwm2m_link_attr_t *a, json_object *ja, size_t li, size_t ai,
                        char *msg, size_t msglen)
{
    const char *name = vec_string(ja, "name");
    json_object *value = member(ja, "value"), *quoted = member(ja, "quoted");
    const char *want = value ? json_object_get_string(value) : NULL;
    if (!name || strcmp(name, a->name) != 0) {
        snprintf(msg, msglen, "link %zu attr %zu: name '%s', expected '%s'", li, ai, a->name,
                 name ? name : "?");
        return -1;
    }
    if ((want == NULL) != (a->value == NULL) || (want && strcmp(want, a->value) != 0)) {
        snprintf(msg, msglen, "link %zu attr %s: value '%s', expected '%s'", li, name,
                 a->value ? a->value : "(none)", want ? want : "(none)");
        return -1;
    }
    if (quoted && json_object_get_boolean(quoted) != a->quoted) {
        snprintf(msg, msglen, "link %zu attr %s: quoted=%d, expected %d", li, name, a->quoted,
                 json_object_get_boolean(quoted));
        return -1;
    }
    return 0;
}

static int compare_links(const lwm2m_links_t *links, json_object *inner, char *msg, size_t msglen)
{
    size_t n = json_object_array_length(inner);
    if (links->count != n) {
        snprintf(msg, msglen, "%zu links, expected %zu", links->count, n);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        json_object *jl = json_object_array_get_idx(inner, i);
        json_object *attrs = member(jl, "attributes");
        const char *uri = vec_string(jl, "uri");
        const lwm2m_link_t *l = &links->items[i];
        size_t na = attrs ? json_object_array_length(attrs) : 0;
        if (!uri || strcmp(uri, l->uri) != 0) {
            snprintf(msg, msglen, "link %zu: uri '%s', expected '%s'", i, l->uri, uri ? uri : "?");
            return -1;
        }
        if (l->attr_count != na) {
            snprintf(msg, msglen, "link %zu: %zu attributes, expected %zu", i, l->attr_count, na);
            return -1;
        }
        for (size_t k = 0; k < na; k++)
            if (compare_attr(&l->attrs[k], json_object_array_get_idx(attrs, k), i, k, msg, msglen) <
                0)
                return -1;
    }
    return 0;
}

static int links_from_json(json_object *inner, lwm2m_links_t *links)
{
    for (size_t i = 0; i < json_object_array_length(inner); i++) {
        json_object *jl = json_object_array_get_idx(inner, i);
        json_object *attrs = member(jl, "attributes");
        lwm2m_link_t *link;
        const char *uri = vec_string(jl, "uri");
        if (!uri || lwm2m_links_add(links, uri, &link) < 0)
            return -1;
        for (size_t k = 0; attrs && k < json_object_array_length(attrs); k++) {
            json_object *ja = json_object_array_get_idx(attrs, k);
            json_object *value = member(ja, "value"), *quoted = member(ja, "quoted");
            const char *name = vec_string(ja, "name");
            if (!name ||
                lwm2m_link_add_attr(link, name, value ? json_object_get_string(value) : NULL,
                                    quoted && json_object_get_boolean(quoted)) < 0)
                return -1;
        }
    }
    return 0;
}

static int links_decode(const char *text, size_t len, json_object *inner, char *msg, size_t msglen)
{
    lwm2m_links_t links = {0};
    lwm2m_error_t err = {0};
    int rc = lwm2m_link_parse(text, len, &links, &err);
    if (rc < 0)
        snprintf(msg, msglen, "parse failed (%d): %s", rc, err.message);
    else
        rc = compare_links(&links, inner, msg, msglen);
    lwm2m_links_clear(&links);
    return rc < 0 ? -1 : 0;
}

static int links_encode(const char *text, size_t len, json_object *inner, char *msg, size_t msglen)
{
    lwm2m_links_t links = {0};
    lwm2m_buf_t out = {0};
    lwm2m_error_t err = {0};
    int rc = links_from_json(inner, &links);
    if (rc < 0)
        snprintf(msg, msglen, "can't build the expected links");
    else if ((rc = lwm2m_link_write(&links, &out, &err)) < 0)
        snprintf(msg, msglen, "write failed (%d): %s", rc, err.message);
    else if (out.len != len || (len && memcmp(out.data, text, len) != 0))
        snprintf(msg, msglen, "wrote '%s', expected '%s'", out.data ? (char *)out.data : "", text),
            rc = -1;
    lwm2m_links_clear(&links);
    lwm2m_buf_free(&out);
    return rc < 0 ? -1 : 0;
}

int vec_links(json_object *vector, json_object *inner, char *msg, size_t msglen)
{
    size_t len = 0;
    char *text = (char *)vec_payload(vector, &len);
    int rc = 0;
    if (!text) {
        snprintf(msg, msglen, "vector has no text");
        return -1;
    }
    if (expects_error(vector)) {
        lwm2m_links_t links = {0};
        if (lwm2m_link_parse(text, len, &links, NULL) == 0) {
            snprintf(msg, msglen, "parsed, expected an error");
            rc = -1;
        }
        lwm2m_links_clear(&links);
    } else if (!inner || !json_object_is_type(inner, json_type_array)) {
        snprintf(msg, msglen, "expected.links is not an array");
        rc = -1;
    } else {
        if (direction_has(vector, "decode"))
            rc = links_decode(text, len, inner, msg, msglen);
        if (rc == 0 && direction_has(vector, "encode"))
            rc = links_encode(text, len, inner, msg, msglen);
    }
    free(text);
    return rc;
}

/* ---- attributes ---- */

/* Whether attrs holds the expected {"name", "value"?} entry. */
static int compare_one_attr(const lwm2m_attrs_t *a, json_object *ja, char *msg, size_t msglen)
{
    const char *name = vec_string(ja, "name");
    json_object *value = member(ja, "value");
    int id = 0;
    while (id < LWM2M_ATTR_COUNT && (!name || strcmp(lwm2m_attr_name(id), name) != 0))
        id++;
    if (id == LWM2M_ATTR_COUNT) {
        snprintf(msg, msglen, "expected attribute '%s' is unknown", name ? name : "?");
        return -1;
    }
    uint32_t bit = LWM2M_ATTR_BIT(id);
    bool valued = value != NULL || id == LWM2M_ATTR_CANCEL;
    if (!((valued ? a->present : a->unset) & bit)) {
        snprintf(msg, msglen, "%s: not %s", name, valued ? "set" : "unset");
        return -1;
    }
    if (!value)
        return 0;
    double want = json_object_get_double(value), got;
    switch (id) {
    case LWM2M_ATTR_VER:
        if (strcmp(a->ver, json_object_get_string(value)) != 0) {
            snprintf(msg, msglen, "ver: '%s', expected '%s'", a->ver,
                     json_object_get_string(value));
            return -1;
        }
        return 0;
    case LWM2M_ATTR_LT:
    case LWM2M_ATTR_GT:
    case LWM2M_ATTR_ST:
        got = id == LWM2M_ATTR_LT ? a->lt : id == LWM2M_ATTR_GT ? a->gt : a->st;
        break;
    case LWM2M_ATTR_DIM:
        got = a->dim;
        break;
    case LWM2M_ATTR_EDGE:
    case LWM2M_ATTR_CON:
        got = id == LWM2M_ATTR_EDGE ? a->edge : a->con;
        break;
    default:
        got = id == LWM2M_ATTR_PMIN    ? a->pmin
              : id == LWM2M_ATTR_PMAX  ? a->pmax
              : id == LWM2M_ATTR_EPMIN ? a->epmin
              : id == LWM2M_ATTR_EPMAX ? a->epmax
                                       : a->hqmax;
    }
    if (got != want && fabs(got - want) > 1e-12 * fabs(want)) {
        snprintf(msg, msglen, "%s: %.17g, expected %.17g", name, got, want);
        return -1;
    }
    return 0;
}

static int compare_attrs(const lwm2m_attrs_t *a, json_object *inner, char *msg, size_t msglen)
{
    size_t n = json_object_array_length(inner), given = 0;
    for (uint32_t bits = a->present | a->unset; bits; bits &= bits - 1)
        given++;
    if (given != n) {
        snprintf(msg, msglen, "%zu attributes, expected %zu", given, n);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (compare_one_attr(a, json_object_array_get_idx(inner, i), msg, msglen) < 0)
            return -1;
    return 0;
}

/* Parses the text and, when the vector names a target path, validates against it (with the
 * resource type from the built-in model). */
static int attrs_parse_checked(json_object *vector, const char *text, size_t len,
                               lwm2m_attrs_t *attrs, lwm2m_error_t *err)
{
    const char *path_text = vec_string(vector, "path");
    lwm2m_path_t path;
    int rc = lwm2m_attrs_parse(text, len, attrs, err);
    if (rc < 0 || !path_text)
        return rc;
    if (lwm2m_path_parse(path_text, strlen(path_text), 0, &path) < 0)
        return lwm2m_error_set(err, LWM2M_ERR_BAD_REQUEST, 0, "bad vector path %s", path_text);
    lwm2m_model_t *model = lwm2m_model_new_builtin();
    lwm2m_type_t type =
        model && path.depth >= 3 ? lwm2m_model_type(model, &path) : LWM2M_TYPE_UNKNOWN;
    lwm2m_model_free(model);
    return lwm2m_attrs_validate(attrs, path.depth, type, err);
}

static int attrs_encode(const char *text, size_t len, json_object *inner, char *msg, size_t msglen)
{
    lwm2m_attrs_t attrs = {0};
    lwm2m_buf_t out = {0};
    lwm2m_error_t err = {0};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < json_object_array_length(inner); i++) {
        json_object *ja = json_object_array_get_idx(inner, i), *value = member(ja, "value");
        const char *name = vec_string(ja, "name"), *v;
        v = value ? json_object_get_string(value) : NULL;
        rc = lwm2m_attrs_add(&attrs, name ? name : "", name ? strlen(name) : 0, v,
                             v ? strlen(v) : 0, &err);
        if (rc < 0)
            snprintf(msg, msglen, "can't build the expected set: %s", err.message);
    }
    if (rc == 0 && (rc = lwm2m_attrs_write(&attrs, &out, &err)) < 0)
        snprintf(msg, msglen, "write failed: %s", err.message);
    if (rc == 0 && (out.len != len || (len && memcmp(out.data, text, len) != 0))) {
        snprintf(msg, msglen, "wrote '%s', expected '%s'", out.data ? (char *)out.data : "", text);
        rc = -1;
    }
    lwm2m_buf_free(&out);
    return rc < 0 ? -1 : 0;
}

int vec_attributes(json_object *vector, json_object *inner, char *msg, size_t msglen)
{
    size_t len = 0;
    char *text = (char *)vec_payload(vector, &len);
    lwm2m_attrs_t attrs;
    lwm2m_error_t err = {0};
    int rc = 0;
    if (!text) {
        snprintf(msg, msglen, "vector has no text");
        return -1;
    }
    if (expects_error(vector)) {
        if (attrs_parse_checked(vector, text, len, &attrs, &err) == 0) {
            snprintf(msg, msglen, "accepted, expected an error");
            rc = -1;
        }
    } else if (!inner || !json_object_is_type(inner, json_type_array)) {
        snprintf(msg, msglen, "expected.attributes is not an array");
        rc = -1;
    } else {
        if (direction_has(vector, "decode")) {
            rc = attrs_parse_checked(vector, text, len, &attrs, &err);
            if (rc < 0)
                snprintf(msg, msglen, "rejected (%d): %s", rc, err.message);
            else
                rc = compare_attrs(&attrs, inner, msg, msglen);
        }
        if (rc == 0 && direction_has(vector, "encode"))
            rc = attrs_encode(text, len, inner, msg, msglen);
    }
    free(text);
    return rc < 0 ? -1 : 0;
}

/* ---- Execute arguments ---- */

int vec_execute_args(json_object *vector, json_object *inner, char *msg, size_t msglen)
{
    size_t len = 0;
    char *text = (char *)vec_payload(vector, &len);
    lwm2m_exec_args_t args;
    lwm2m_error_t err = {0};
    int rc;
    if (!text) {
        snprintf(msg, msglen, "vector has no text");
        return -1;
    }
    rc = lwm2m_exec_args_parse(text, len, &args, &err);
    if (expects_error(vector)) {
        if (rc == 0)
            snprintf(msg, msglen, "parsed, expected an error");
        free(text);
        return rc == 0 ? -1 : 0;
    }
    if (rc < 0)
        snprintf(msg, msglen, "parse failed: %s", err.message);
    else if (!inner || args.count != json_object_array_length(inner))
        snprintf(msg, msglen, "%zu arguments, expected %zu", args.count,
                 inner ? json_object_array_length(inner) : 0),
            rc = -1;
    for (size_t i = 0; rc == 0 && i < args.count; i++) {
        json_object *ja = json_object_array_get_idx(inner, i), *digit = member(ja, "digit");
        const char *want = vec_string(ja, "value");
        const lwm2m_exec_arg_t *a = &args.items[i];
        if (!digit || json_object_get_int(digit) != a->digit || (want != NULL) != a->has_value ||
            (want && (strlen(want) != a->value_len || memcmp(want, a->value, a->value_len)))) {
            snprintf(msg, msglen, "argument %zu: %u='%.*s' differs", i, (unsigned)a->digit,
                     (int)a->value_len, a->has_value ? a->value : "");
            rc = -1;
        }
    }
    free(text);
    return rc < 0 ? -1 : 0;
}

/* ---- Profile IDs ---- */

static int compare_profile_id(const lwm2m_profile_id_t *id, json_object *jp, size_t i, char *msg,
                              size_t msglen)
{
    const char *kind = vec_string(jp, "kind");
    const char *text = vec_string(jp, id->dynamic ? "hash_hex" : "id");
    json_object *suite = member(jp, "suite");
    if (!kind || strcmp(kind, id->dynamic ? "dynamic" : "static") != 0 || !text ||
        strcmp(text, id->text) != 0 ||
        (id->dynamic && (!suite || json_object_get_int(suite) != id->suite))) {
        snprintf(msg, msglen, "profile id %zu: %s %u '%s' differs", i,
                 id->dynamic ? "dynamic" : "static", (unsigned)id->suite, id->text);
        return -1;
    }
    return 0;
}

int vec_profile_ids(json_object *vector, json_object *inner, char *msg, size_t msglen)
{
    size_t len = 0;
    char *text = (char *)vec_payload(vector, &len);
    lwm2m_profile_ids_t ids;
    lwm2m_error_t err = {0};
    int rc;
    if (!text) {
        snprintf(msg, msglen, "vector has no text");
        return -1;
    }
    rc = lwm2m_profile_ids_parse(text, len, &ids, &err);
    free(text);
    if (expects_error(vector)) {
        if (rc == 0)
            snprintf(msg, msglen, "parsed, expected an error");
        return rc == 0 ? -1 : 0;
    }
    if (rc < 0) {
        snprintf(msg, msglen, "parse failed: %s", err.message);
        return -1;
    }
    if (!inner || ids.count != json_object_array_length(inner)) {
        snprintf(msg, msglen, "%zu profile ids, expected %zu", ids.count,
                 inner ? json_object_array_length(inner) : 0);
        return -1;
    }
    for (size_t i = 0; i < ids.count; i++)
        if (compare_profile_id(&ids.items[i], json_object_array_get_idx(inner, i), i, msg, msglen) <
            0)
            return -1;
    return 0;
}

/* ---- request lines ---- */

static int compare_request(const lwm2m_request_line_t *line, json_object *inner, char *msg,
                           size_t msglen)
{
    const char *method = vec_string(inner, "method");
    json_object *path = member(inner, "path"), *query = member(inner, "query");
    size_t np = path ? json_object_array_length(path) : 0, i = 0;
    if (!method || strcmp(method, line->method) != 0 || np != line->segment_count) {
        snprintf(msg, msglen, "method %s with %zu segments differs", line->method,
                 line->segment_count);
        return -1;
    }
    for (i = 0; i < np; i++) {
        if (strcmp(json_object_get_string(json_object_array_get_idx(path, i)), line->segments[i]) !=
            0) {
            snprintf(msg, msglen, "path segment %zu '%s' differs", i, line->segments[i]);
            return -1;
        }
    }
    i = 0;
    if (!query || !json_object_is_type(query, json_type_object))
        query = json_object_new_object(); /* leaks nothing: freed below */
    else
        json_object_get(query);
    json_object_object_foreach(query, key, val)
    {
        const lwm2m_query_param_t *p = i < line->query.count ? &line->query.items[i] : NULL;
        const char *want = val ? json_object_get_string(val) : NULL;
        if (!p || strcmp(p->key, key) != 0 || (want == NULL) != (p->value == NULL) ||
            (want && strcmp(want, p->value) != 0)) {
            snprintf(msg, msglen, "query parameter %zu (%s) differs", i, key);
            json_object_put(query);
            return -1;
        }
        i++;
    }
    json_object_put(query);
    if (i != line->query.count) {
        snprintf(msg, msglen, "%zu query parameters, expected %zu", line->query.count, i);
        return -1;
    }
    return 0;
}

int vec_request(json_object *vector, json_object *inner, char *msg, size_t msglen)
{
    size_t len = 0;
    char *text = (char *)vec_payload(vector, &len);
    lwm2m_request_line_t line = {0};
    lwm2m_error_t err = {0};
    int rc;
    if (!text) {
        snprintf(msg, msglen, "vector has no text");
        return -1;
    }
    rc = lwm2m_request_line_parse(text, len, &line, &err);
    free(text);
    if (expects_error(vector)) {
        if (rc == 0)
            snprintf(msg, msglen, "parsed, expected an error");
        lwm2m_request_line_clear(&line);
        return rc == 0 ? -1 : 0;
    }
    if (rc < 0)
        snprintf(msg, msglen, "parse failed: %s", err.message);
    else if (!inner)
        snprintf(msg, msglen, "expected.request is missing"), rc = -1;
    else
        rc = compare_request(&line, inner, msg, msglen);
    lwm2m_request_line_clear(&line);
    return rc < 0 ? -1 : 0;
}
