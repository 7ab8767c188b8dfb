/* run_vectors.c - runs the third-party LwM2M test vectors (../shared/lwm2m-vectors) through
 * the library: node-list vectors through the codec table, the other shapes through hooks
 * (vectors.h). Prints each failure, a per-file count and a closing "N passed, N failed".
 *
 * usage: run_vectors [-v] [-d DEVIATIONS] FILE.json|DIR ...
 *
 * A deviations file lists vectors we deliberately don't follow: "<id> accept|reject <reason>".
 * "accept" means we decode successfully what the vector says must fail; "reject" means we
 * refuse what the vector expects to decode. The runner checks that behaviour instead, so a
 * deviation is still an assertion that can fail. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/codec.h"
#include "lwm2m/link.h"
#include "nodejson.h"
#include "vectors.h"

#define MSG_MAX 512

typedef enum deviation_kind {
    DEVIATION_ACCEPT,   /* we decode what the vector says must fail */
    DEVIATION_REJECT,   /* we refuse what the vector expects to decode */
    DEVIATION_SEMANTIC, /* encode: our bytes differ but mean the same (both decode to it) */
} deviation_kind_t;

typedef struct deviation {
    char id[128];
    deviation_kind_t kind;
} deviation_t;

static deviation_t deviations[256];
static size_t deviation_count;
static bool verbose;

const char *vec_string(json_object *obj, const char *key)
{
    json_object *v;
    if (!obj || !json_object_object_get_ex(obj, key, &v) ||
        !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

const char *vec_direction(json_object *vector)
{
    const char *d = vec_string(vector, "direction");
    return d ? d : "decode";
}

unsigned char *vec_payload(json_object *vector, size_t *len)
{
    const char *hex = vec_string(vector, "bytes_hex");
    const char *text = vec_string(vector, "text");
    if (hex) {
        size_t hl = strlen(hex);
        unsigned char *buf = malloc(hl / 2 + 1);
        long n = buf ? nodejson_hex_decode(hex, hl, buf, hl / 2) : -1;
        if (n < 0) {
            free(buf);
            return NULL;
        }
        buf[n] = 0;
        *len = (size_t)n;
        return buf;
    }
    if (text) {
        *len = strlen(text);
        return (unsigned char *)strdup(text);
    }
    return NULL;
}

static int vector_content_format(json_object *vector)
{
    json_object *cf;
    if (!json_object_object_get_ex(vector, "content_format", &cf) ||
        !json_object_is_type(cf, json_type_int))
        return -1;
    return json_object_get_int(cf);
}

static bool single_value_format(int cf)
{
    return cf == LWM2M_CF_TEXT || cf == LWM2M_CF_OPAQUE || cf == LWM2M_CF_CBOR;
}

/* The request path of a vector ("/3/0", or "/1?depth=1" for Discover): root when absent. */
static lwm2m_path_t vector_base(json_object *vector)
{
    lwm2m_path_t base = lwm2m_path_root();
    const char *p = vec_string(vector, "path");
    if (p && *p) {
        size_t n = strcspn(p, "?");
        lwm2m_path_parse(p, n, LWM2M_PATH_ALLOW_PREFIX | LWM2M_PATH_ALLOW_RESERVED, &base);
    }
    return base;
}

/* Expected nodes with "" paths (single-value vectors) get the vector's path, or "/". */
static int parse_expected_nodes(json_object *vector, json_object *expected, lwm2m_nodes_t *out,
                                char *msg, size_t msglen)
{
    json_object *copy = NULL;
    json_object_deep_copy(expected, &copy, NULL);
    const char *vpath = vec_string(vector, "path");
    for (size_t i = 0; i < json_object_array_length(copy); i++) {
        json_object *n = json_object_array_get_idx(copy, i);
        const char *p = vec_string(n, "path");
        if (!p || !*p)
            json_object_object_add(n, "path",
                                   json_object_new_string(vpath && *vpath ? vpath : "/"));
    }
    int rc = nodejson_parse(copy, out, msg, msglen);
    json_object_put(copy);
    return rc;
}

/* A model for the vector: the built-in one, with each resource the expected nodes name
 * given the type the source test used (Leshan's loaded model, Zephyr's reader calls). */
static lwm2m_model_t *vector_model(const lwm2m_nodes_t *expected)
{
    lwm2m_model_t *model = lwm2m_model_new_builtin();
    for (size_t i = 0; model && i < expected->count; i++) {
        const lwm2m_node_t *n = &expected->items[i];
        if (n->path.depth < 3 || n->value.type == LWM2M_TYPE_MULTIPLE ||
            n->value.type == LWM2M_TYPE_INSTANCE)
            continue;
        uint16_t oid = n->path.id[0], rid = n->path.id[2];
        const lwm2m_object_def_t *old = lwm2m_model_object(model, oid);
        const lwm2m_resource_def_t *r = lwm2m_model_resource(model, oid, rid);
        bool multiple = n->path.depth == 4;
        lwm2m_type_t type = n->value.type;
        /* The same resource with two types in one vector (a Leshan test using different
         * instances of a test object): no model type, the payload decides. */
        for (size_t k = 0; k < expected->count; k++) {
            const lwm2m_node_t *o = &expected->items[k];
            if (o->path.depth >= 3 && o->path.id[0] == oid && o->path.id[2] == rid &&
                o->value.type != n->value.type)
                type = LWM2M_TYPE_UNKNOWN;
        }
        if (r && r->type == type && r->multiple == multiple)
            continue;
        size_t count = old ? old->resource_count : 0;
        lwm2m_object_def_t *o = calloc(1, sizeof(*o));
        lwm2m_resource_def_t *res = calloc(count + 1, sizeof(*res));
        size_t k = 0;
        for (size_t j = 0; j < count; j++) {
            if (old->resources[j].id == rid)
                continue;
            res[k] = old->resources[j];
            res[k].name = strdup(old->resources[j].name);
            res[k].units = strdup(old->resources[j].units);
            res[k].range = strdup(old->resources[j].range);
            k++;
        }
        res[k] = (lwm2m_resource_def_t){.id = rid,
                                        .name = strdup("test"),
                                        .type = type,
                                        .operations = LWM2M_OP_READ | LWM2M_OP_WRITE,
                                        .multiple = multiple,
                                        .units = strdup(""),
                                        .range = strdup("")};
        k++;
        for (size_t a = 1; a < k; a++) /* keep resources sorted by id */
            for (size_t b = a; b > 0 && res[b - 1].id > res[b].id; b--) {
                lwm2m_resource_def_t t = res[b];
                res[b] = res[b - 1];
                res[b - 1] = t;
            }
        o->id = oid;
        o->name = strdup(old ? old->name : "test");
        o->version = strdup(old ? old->version : "1.0");
        o->urn = strdup(old ? old->urn : "");
        o->multiple = true;
        o->resources = res;
        o->resource_count = k;
        lwm2m_model_add_owned(model, o);
    }
    return model;
}

static bool times_equal(const lwm2m_node_t *a, const lwm2m_node_t *b)
{
    if (a->has_time != b->has_time)
        return false;
    return !a->has_time || fabs(a->time - b->time) <= 1e-6 * fmax(1.0, fabs(b->time));
}

static void describe(const lwm2m_node_t *n, char *buf, size_t size)
{
    char p[LWM2M_PATH_STR_MAX];
    lwm2m_path_format(&n->path, p, sizeof(p));
    json_object *v = nodejson_value(&n->value);
    snprintf(buf, size, "%s %s %s%s", p, lwm2m_type_name(n->value.type),
             v ? json_object_to_json_string(v) : "null", n->has_time ? " (timed)" : "");
    json_object_put(v);
}

static int compare_nodes(lwm2m_nodes_t *got, lwm2m_nodes_t *want, bool ignore_paths, char *msg,
                         size_t msglen)
{
    if (got->count != want->count) {
        char first[160] = "";
        if (got->count)
            describe(&got->items[0], first, sizeof(first));
        snprintf(msg, msglen, "got %zu nodes, want %zu (first got: %s)", got->count, want->count,
                 first);
        return -1;
    }
    if (!ignore_paths) {
        lwm2m_nodes_sort(got);
        lwm2m_nodes_sort(want);
    }
    for (size_t i = 0; i < got->count; i++) {
        lwm2m_node_t *g = &got->items[i], *w = &want->items[i];
        bool same_path = ignore_paths || lwm2m_path_equal(&g->path, &w->path);
        if (!same_path || !nodejson_value_equal(&g->value, &w->value) || !times_equal(g, w)) {
            char a[200], b[200];
            describe(g, a, sizeof(a));
            describe(w, b, sizeof(b));
            snprintf(msg, msglen, "node %zu: got %s, want %s", i, a, b);
            return -1;
        }
    }
    return 0;
}

static bool any_prefix(const lwm2m_nodes_t *nodes, const char *prefix)
{
    for (size_t i = 0; nodes && i < nodes->count; i++)
        if (strcmp(nodes->items[i].path.prefix, prefix) == 0)
            return true;
    return false;
}

/* Decodes the vector's payload. `want` (may be NULL) tells an alternate root path from an
 * end-device prefix: a request path "/lwm2m/3/0/0" whose expected nodes carry no prefix. */
static int decode_payload(int cf, json_object *vector, const lwm2m_model_t *model,
                          lwm2m_type_t hint, const lwm2m_nodes_t *want, lwm2m_nodes_t *out,
                          lwm2m_error_t *err)
{
    const lwm2m_codec_t *codec = lwm2m_codec_find((uint16_t)cf);
    size_t len = 0;
    unsigned char *payload = vec_payload(vector, &len);
    lwm2m_path_t base = vector_base(vector);
    lwm2m_decode_opts_t opts = {.model = model, .type_hint = hint};
    int rc =
        codec ? codec->decode(payload ? payload : (unsigned char *)"", len, &base, &opts, out, err)
              : lwm2m_error_set(err, LWM2M_ERR_UNSUPPORTED_FORMAT, 0, "no codec");
    /* The server strips a device's alternate root path from what it decodes; so do we. */
    if (rc == 0 && want && base.prefix[0] && !any_prefix(want, base.prefix))
        lwm2m_nodes_strip_prefix(out, base.prefix);
    free(payload);
    return rc;
}

/* Encode-error vectors carry no input, only notes describing it; these are those inputs. */
static const char *encode_error_input(const char *id)
{
    static const struct {
        const char *id, *nodes;
    } inputs[] = {
        {"text-leshan-encode-multiple-error", /* notes: multi-instance resource {0:1,1:5} */
         "[{\"path\":\"/3/0/6/0\",\"type\":\"integer\",\"value\":1},"
         "{\"path\":\"/3/0/6/1\",\"type\":\"integer\",\"value\":5}]"},
    };
    for (size_t i = 0; id && i < sizeof(inputs) / sizeof(inputs[0]); i++)
        if (strcmp(inputs[i].id, id) == 0)
            return inputs[i].nodes;
    return NULL;
}

/* Zephyr's error vectors for single-value formats name the reader call in their id
 * ("text-zephyr-get-s32-overflow"); that call is the type the test decoded with. */
static lwm2m_type_t hint_from_id(const char *id)
{
    static const struct {
        const char *part;
        lwm2m_type_t type;
    } parts[] = {{"-s8", LWM2M_TYPE_INTEGER},    {"-s16", LWM2M_TYPE_INTEGER},
                 {"-s32", LWM2M_TYPE_INTEGER},   {"-s64", LWM2M_TYPE_INTEGER},
                 {"-float", LWM2M_TYPE_FLOAT},   {"-bool", LWM2M_TYPE_BOOLEAN},
                 {"-objlnk", LWM2M_TYPE_OBJLNK}, {"-time", LWM2M_TYPE_TIME},
                 {"-opaque", LWM2M_TYPE_OPAQUE}, {"-string", LWM2M_TYPE_STRING}};
    for (size_t i = 0; id && i < sizeof(parts) / sizeof(parts[0]); i++) {
        const char *at = strstr(id, parts[i].part);
        size_t n = strlen(parts[i].part);
        if (at && (at[n] == '-' || at[n] == 0))
            return parts[i].type;
    }
    return LWM2M_TYPE_UNKNOWN;
}

/* Node-list vectors and "error" vectors of a codec. */
static int run_codec_vector(json_object *vector, int cf, json_object *expected, bool want_error,
                            char *msg, size_t msglen)
{
    const char *dir = vec_direction(vector);
    bool do_decode = strcmp(dir, "encode") != 0;
    bool do_encode = strcmp(dir, "decode") != 0;
    lwm2m_nodes_t want = {0}, got = {0};
    lwm2m_error_t err = {0};
    int result = -1;

    if (!lwm2m_codec_find((uint16_t)cf)) {
        snprintf(msg, msglen, "no codec for content format %d", cf);
        return -1;
    }
    if (!want_error && parse_expected_nodes(vector, expected, &want, msg, msglen) < 0)
        goto out;
    lwm2m_type_t hint =
        single_value_format(cf) && want.count ? want.items[0].value.type : LWM2M_TYPE_UNKNOWN;
    if (want_error && single_value_format(cf))
        hint = hint_from_id(vec_string(vector, "id"));
    lwm2m_model_t *model = vector_model(&want);
    if (want_error && do_decode) {
        int rc = decode_payload(cf, vector, model, hint, &want, &got, &err);
        if (rc == 0)
            snprintf(msg, msglen, "decoded %zu nodes, want an error", got.count);
        result = rc < 0 ? 0 : -1;
        goto out_model;
    }
    if (want_error) { /* the encoder must refuse the input the notes describe */
        const char *input = encode_error_input(vec_string(vector, "id"));
        json_object *j = input ? json_tokener_parse(input) : NULL;
        lwm2m_buf_t buf = {0};
        lwm2m_path_t base = vector_base(vector);
        if (!j || nodejson_parse(j, &want, msg, msglen) < 0) {
            snprintf(msg, msglen, "no input known for this encode-error vector");
        } else if (lwm2m_codec_find((uint16_t)cf)
                       ->encode(&base, want.items, want.count, &buf, &err) == 0) {
            snprintf(msg, msglen, "encoded %zu bytes, want an error", buf.len);
        } else {
            result = 0;
        }
        json_object_put(j);
        lwm2m_buf_free(&buf);
        goto out_model;
    }
    /* Encode first: compare_nodes sorts the lists it compares. */
    bool encoded_ok = false;
    if (do_encode) {
        lwm2m_buf_t buf = {0};
        lwm2m_path_t base = vector_base(vector);
        size_t len = 0;
        unsigned char *payload = vec_payload(vector, &len);
        const lwm2m_codec_t *codec = lwm2m_codec_find((uint16_t)cf);
        if (codec->encode(&base, want.items, want.count, &buf, &err) < 0) {
            snprintf(msg, msglen, "encode failed: %s", err.message);
        } else if (buf.len != len || (len && memcmp(buf.data, payload, len) != 0)) {
            if (vec_string(vector, "text"))
                snprintf(msg, msglen, "encoded '%.*s', want '%s'", (int)buf.len,
                         buf.data ? (const char *)buf.data : "", (const char *)payload);
            else {
                char *h = malloc(buf.len * 2 + 1);
                nodejson_hex_encode(buf.data, buf.len, h);
                snprintf(msg, msglen, "encoded %s, want %s", h, vec_string(vector, "bytes_hex"));
                free(h);
            }
        } else {
            encoded_ok = true;
        }
        free(payload);
        lwm2m_buf_free(&buf);
        if (!encoded_ok)
            goto out_model;
    }
    if (do_decode) {
        if (decode_payload(cf, vector, model, hint, &want, &got, &err) < 0) {
            snprintf(msg, msglen, "decode failed: %s (at byte %zu)", err.message, err.offset);
            goto out_model;
        }
        if (compare_nodes(&got, &want, single_value_format(cf), msg, msglen) < 0)
            goto out_model;
    }
    result = 0;
out_model:
    lwm2m_model_free(model);
out:
    lwm2m_nodes_clear(&want);
    lwm2m_nodes_clear(&got);
    return result;
}

static int run_path_vector(json_object *vector, json_object *expected, char *msg, size_t msglen)
{
    static const char *const levels[] = {"object", "instance", "resource", "resource_instance"};
    const char *text = vec_string(vector, "text");
    const char *source = vec_string(vector, "source");
    unsigned flags = source && strncmp(source, "zephyr/", 7) == 0 ? LWM2M_PATH_LENIENT : 0;
    lwm2m_path_t p;
    if (!text || lwm2m_path_parse(text, strlen(text), flags, &p) < 0) {
        snprintf(msg, msglen, "path '%s' refused", text ? text : "");
        return -1;
    }
    for (uint8_t i = 0; i < 4; i++) {
        json_object *v;
        json_object_object_get_ex(expected, levels[i], &v);
        bool want_present = v && json_object_is_type(v, json_type_int);
        if (want_present != (i < p.depth) || (want_present && json_object_get_int(v) != p.id[i])) {
            snprintf(msg, msglen, "level %s differs (depth %u)", levels[i], p.depth);
            return -1;
        }
    }
    return 0;
}

static int run_objlnk_vector(json_object *vector, json_object *expected, char *msg, size_t msglen)
{
    const char *text = vec_string(vector, "text");
    lwm2m_objlnk_t link;
    bool want_error = json_object_is_type(expected, json_type_string);
    if (strcmp(vec_direction(vector), "encode") == 0) {
        const char *v = vec_string(json_object_array_get_idx(expected, 0), "value");
        char out[16];
        if (!v || lwm2m_objlnk_parse(v, strlen(v), &link) < 0 ||
            lwm2m_objlnk_format(link, out, sizeof(out)) < 0 || strcmp(out, text) != 0) {
            snprintf(msg, msglen, "formatted objlnk differs from '%s'", text);
            return -1;
        }
        return 0;
    }
    int rc = lwm2m_objlnk_parse(text ? text : "", text ? strlen(text) : 0, &link);
    if (want_error) {
        snprintf(msg, msglen, "'%s' accepted", text ? text : "");
        return rc < 0 ? 0 : -1;
    }
    char out[16];
    lwm2m_objlnk_format(link, out, sizeof(out));
    const char *v = vec_string(json_object_array_get_idx(expected, 0), "value");
    if (rc < 0 || !v || strcmp(out, v) != 0) {
        snprintf(msg, msglen, "'%s' parsed as %s", text ? text : "", rc < 0 ? "error" : out);
        return -1;
    }
    return 0;
}

static const struct {
    const char *shape;
    vec_special_fn fn;
} specials[] = {
    {"tlv", vec_tlv_raw},
    {"tlv_value", vec_tlv_value},
    {"senml", vec_senml_raw},
    {"json", vec_oma_json_raw},
    {"links", vec_links},
    {"attributes", vec_attributes},
    {"execute_args", vec_execute_args},
    {"profile_ids", vec_profile_ids},
    {"request", vec_request},
    {"mqtt", vec_mqtt},
    {"coap", vec_coap},
};

static int run_vector(const char *file, json_object *vector, char *msg, size_t msglen)
{
    json_object *expected;
    int cf = vector_content_format(vector);
    if (!json_object_object_get_ex(vector, "expected", &expected)) {
        snprintf(msg, msglen, "no expected");
        return -1;
    }
    bool want_error = json_object_is_type(expected, json_type_string);
    if (strstr(file, "objlnk.json") && cf < 0)
        return run_objlnk_vector(vector, expected, msg, msglen);
    if (want_error && strstr(file, "attributes.json"))
        return vec_attributes(vector, NULL, msg, msglen);
    if (want_error && cf == LWM2M_CF_LINK)
        return vec_links(vector, NULL, msg, msglen);
    if (want_error || json_object_is_type(expected, json_type_array))
        return run_codec_vector(vector, cf, expected, want_error, msg, msglen);
    if (json_object_object_get_ex(expected, "object", NULL))
        return run_path_vector(vector, expected, msg, msglen);
    json_object *inner;
    if (json_object_object_get_ex(expected, "paths", &inner))
        return cf == LWM2M_CF_OMA_JSON ? vec_oma_json_paths(vector, inner, msg, msglen)
                                       : vec_senml_paths(vector, inner, msg, msglen);
    for (size_t i = 0; i < sizeof(specials) / sizeof(specials[0]); i++)
        if (json_object_object_get_ex(expected, specials[i].shape, &inner))
            return specials[i].fn(vector, inner, msg, msglen);
    snprintf(msg, msglen, "unknown expected shape");
    return -1;
}

static const deviation_t *find_deviation(const char *id)
{
    for (size_t i = 0; i < deviation_count; i++)
        if (strcmp(deviations[i].id, id) == 0)
            return &deviations[i];
    return NULL;
}

/* An encode vector we write differently: their bytes must decode to the expected nodes, and
 * our own encoding of those nodes must decode back to them too. */
static int run_semantic_deviation(json_object *vector, char *msg, size_t msglen)
{
    json_object *expected;
    int cf = vector_content_format(vector);
    const lwm2m_codec_t *codec = lwm2m_codec_find((uint16_t)cf);
    lwm2m_nodes_t want = {0}, theirs = {0}, ours = {0};
    lwm2m_buf_t buf = {0};
    lwm2m_error_t err = {0};
    int result = -1;
    json_object_object_get_ex(vector, "expected", &expected);
    if (!codec || parse_expected_nodes(vector, expected, &want, msg, msglen) < 0)
        return -1;
    lwm2m_model_t *model = vector_model(&want);
    lwm2m_type_t hint =
        single_value_format(cf) && want.count ? want.items[0].value.type : LWM2M_TYPE_UNKNOWN;
    lwm2m_path_t base = vector_base(vector);
    lwm2m_decode_opts_t opts = {.model = model, .type_hint = hint};
    if (decode_payload(cf, vector, model, hint, &want, &theirs, &err) < 0) {
        snprintf(msg, msglen, "their bytes don't decode: %s", err.message);
    } else if (compare_nodes(&theirs, &want, single_value_format(cf), msg, msglen) < 0) {
        /* msg says how */
    } else if (codec->encode(&base, want.items, want.count, &buf, &err) < 0) {
        snprintf(msg, msglen, "encode failed: %s", err.message);
    } else if (codec->decode(buf.data, buf.len, &base, &opts, &ours, &err) < 0) {
        snprintf(msg, msglen, "our bytes don't decode: %s", err.message);
    } else {
        result = compare_nodes(&ours, &want, single_value_format(cf), msg, msglen);
    }
    lwm2m_buf_free(&buf);
    lwm2m_nodes_clear(&want);
    lwm2m_nodes_clear(&theirs);
    lwm2m_nodes_clear(&ours);
    lwm2m_model_free(model);
    return result;
}

/* Checks the behaviour a deviation promises: accept = decodes, reject = refuses,
 * semantic = same meaning. */
static int run_deviation(json_object *vector, const deviation_t *dev, char *msg, size_t msglen)
{
    if (dev->kind == DEVIATION_SEMANTIC)
        return run_semantic_deviation(vector, msg, msglen);
    bool accept = dev->kind == DEVIATION_ACCEPT;
    int cf = vector_content_format(vector);
    lwm2m_nodes_t got = {0};
    lwm2m_error_t err = {0};
    int rc;
    if (cf == LWM2M_CF_LINK) {
        lwm2m_links_t links = {0};
        size_t len = 0;
        unsigned char *p = vec_payload(vector, &len);
        rc = lwm2m_link_parse(p ? (const char *)p : "", len, &links, &err);
        lwm2m_links_clear(&links);
        free(p);
    } else {
        rc = decode_payload(cf, vector, NULL, LWM2M_TYPE_UNKNOWN, NULL, &got, &err);
    }
    lwm2m_nodes_clear(&got);
    if ((rc == 0) != accept) {
        snprintf(msg, msglen, "deviation says %s, but the decoder %s it",
                 accept ? "accept" : "reject", rc == 0 ? "accepted" : "refused");
        return -1;
    }
    return 0;
}

static void run_file(const char *path, unsigned *total_pass, unsigned *total_fail)
{
    const char *file = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    json_object *arr = json_object_from_file(path);
    unsigned pass = 0, fail = 0, deviated = 0;
    if (!arr || !json_object_is_type(arr, json_type_array)) {
        printf("FAIL %s: cannot read a JSON array of vectors\n", path);
        (*total_fail)++;
        json_object_put(arr);
        return;
    }
    for (size_t i = 0; i < json_object_array_length(arr); i++) {
        json_object *v = json_object_array_get_idx(arr, i);
        const char *id = vec_string(v, "id");
        char msg[MSG_MAX] = "";
        const deviation_t *dev = id ? find_deviation(id) : NULL;
        int rc =
            dev ? run_deviation(v, dev, msg, sizeof(msg)) : run_vector(file, v, msg, sizeof(msg));
        if (rc == 0) {
            pass++;
            deviated += dev != NULL;
            if (verbose)
                printf("ok   %s %s%s\n", file, id ? id : "?", dev ? " (documented deviation)" : "");
        } else {
            fail++;
            printf("FAIL %s %s: %s\n", file, id ? id : "?", msg);
        }
    }
    printf("%s: %u/%u passed", file, pass, pass + fail);
    if (deviated)
        printf(" (%u by documented deviation)", deviated);
    printf("\n");
    *total_pass += pass;
    *total_fail += fail;
    json_object_put(arr);
}

static int load_deviations(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[512];
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f) && deviation_count < 256) {
        char id[128], kind[16];
        if (line[0] == '#' || sscanf(line, "%127s %15s", id, kind) != 2)
            continue;
        deviation_t *d = &deviations[deviation_count++];
        snprintf(d->id, sizeof(d->id), "%s", id);
        d->kind = strcmp(kind, "accept") == 0   ? DEVIATION_ACCEPT
                  : strcmp(kind, "reject") == 0 ? DEVIATION_REJECT
                                                : DEVIATION_SEMANTIC;
    }
    fclose(f);
    return 0;
}

static int name_compare(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_path(const char *path, unsigned *pass, unsigned *fail)
{
    DIR *d = opendir(path);
    if (!d) {
        run_file(path, pass, fail);
        return;
    }
    char *names[64];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 64) {
        size_t l = strlen(e->d_name);
        if (l > 5 && strcmp(e->d_name + l - 5, ".json") == 0)
            names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(names[0]), name_compare);
    for (size_t i = 0; i < n; i++) {
        char full[4096];
        snprintf(full, sizeof(full), "%s/%s", path, names[i]);
        run_file(full, pass, fail);
        free(names[i]);
    }
    if (n == 0) {
        printf("FAIL %s: no vector files\n", path);
        (*fail)++;
    }
}

int main(int argc, char **argv)
{
    unsigned pass = 0, fail = 0;
    int files = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-v") == 0) {
            verbose = true;
        } else if (strcmp(argv[i], "-d") == 0 && i + 1 < argc) {
            if (load_deviations(argv[++i]) < 0) {
                printf("cannot read deviations file %s\n", argv[i]);
                return 2;
            }
        } else {
            run_path(argv[i], &pass, &fail);
            files++;
        }
    }
    if (files == 0) {
        fprintf(stderr, "usage: run_vectors [-v] [-d DEVIATIONS] FILE.json|DIR ...\n");
        return 2;
    }
    printf("%u passed, %u failed\n", pass, fail);
    return fail ? 1 : 0;
}
