/* lwm2m_codec.c - the lwm2m-codec command-line tool: decode and encode LwM2M payloads in every
 * content format, to and from the JSON node format. For integrators and for tests. */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lwm2m/codec.h"
#include "lwm2m/ddf.h"
#include "lwm2m/link.h"
#include "nodejson.h"

#define INPUT_MAX (16u * 1024u * 1024u)
#define PATHS_MAX 4096

static void usage(FILE *f)
{
    fprintf(f,
            "usage: lwm2m-codec decode --format F [--path P] [--type T] [--objects DIR] [--hex]\n"
            "       lwm2m-codec encode --format F [--path P] [--hex]\n"
            "\n"
            "decode reads a payload on stdin (raw bytes, or hex text with --hex) and prints JSON\n"
            "nodes; encode reads JSON nodes on stdin and writes the payload (hex with --hex).\n"
            "F is a name or a Content-Format number: text (0), link (40), opaque (42), cbor (60),\n"
            "senml-json (110), senml-cbor (112), senml-etch-json (320), senml-etch-cbor (322),\n"
            "tlv (11542), oma-json (11543), lwm2m-cbor (11544).\n"
            "  --path P      request path the payload belongs to (default /)\n"
            "  --type T      type of a single value no object model knows (string, integer,\n"
            "                unsigned, float, boolean, opaque, time, objlnk, corelnk)\n"
            "  --objects DIR also load the OMA DDF XML files in DIR\n"
            "  --hex         payload as hex text instead of raw bytes\n"
            "Exit status: 0 ok, 1 malformed input, 2 usage error.\n");
}

static int read_all(FILE *f, unsigned char **ret, size_t *ret_len)
{
    size_t cap = 4096, len = 0;
    unsigned char *buf = malloc(cap);
    if (!buf)
        return -1;
    for (;;) {
        if (len == cap) {
            if (cap >= INPUT_MAX) {
                free(buf);
                return -2;
            }
            cap *= 2;
            unsigned char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                return -1;
            }
            buf = nb;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    *ret = buf;
    *ret_len = len;
    return 0;
}

/* Hex text to bytes in place, ignoring whitespace. */
static long unhex_in_place(unsigned char *buf, size_t len)
{
    size_t w = 0;
    for (size_t r = 0; r < len; r++)
        if (buf[r] != ' ' && buf[r] != '\n' && buf[r] != '\r' && buf[r] != '\t')
            buf[w++] = buf[r];
    return nodejson_hex_decode((const char *)buf, w, buf, w);
}

static int fail_decode(const lwm2m_error_t *err)
{
    const char *msg = err->message[0] ? err->message : "malformed input";
    if (strstr(msg, "byte"))
        fprintf(stderr, "error: %s\n", msg);
    else
        fprintf(stderr, "error: %s (at byte %zu)\n", msg, err->offset);
    return 1;
}

static void print_json(json_object *j)
{
    puts(
        json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

static json_object *links_to_json(const lwm2m_links_t *links)
{
    json_object *arr = json_object_new_array();
    for (size_t i = 0; i < links->count; i++) {
        const lwm2m_link_t *l = &links->items[i];
        json_object *o = json_object_new_object(), *attrs = json_object_new_array();
        json_object_object_add(o, "uri", json_object_new_string(l->uri));
        for (size_t k = 0; k < l->attr_count; k++) {
            json_object *a = json_object_new_object();
            json_object_object_add(a, "name", json_object_new_string(l->attrs[k].name));
            if (l->attrs[k].value)
                json_object_object_add(a, "value", json_object_new_string(l->attrs[k].value));
            if (l->attrs[k].quoted)
                json_object_object_add(a, "quoted", json_object_new_boolean(1));
            json_object_array_add(attrs, a);
        }
        json_object_object_add(o, "attributes", attrs);
        json_object_array_add(arr, o);
    }
    json_object *top = json_object_new_object();
    json_object_object_add(top, "links", arr);
    return top;
}

static int json_to_links(json_object *top, lwm2m_links_t *links)
{
    json_object *arr;
    if (!json_object_object_get_ex(top, "links", &arr) ||
        !json_object_is_type(arr, json_type_array))
        return -1;
    for (size_t i = 0; i < json_object_array_length(arr); i++) {
        json_object *o = json_object_array_get_idx(arr, i), *uri, *attrs;
        lwm2m_link_t *link;
        if (!json_object_object_get_ex(o, "uri", &uri) ||
            lwm2m_links_add(links, json_object_get_string(uri), &link) < 0)
            return -1;
        if (!json_object_object_get_ex(o, "attributes", &attrs))
            continue;
        for (size_t k = 0; k < json_object_array_length(attrs); k++) {
            json_object *a = json_object_array_get_idx(attrs, k), *name, *value, *quoted;
            if (!json_object_object_get_ex(a, "name", &name))
                return -1;
            const char *v = json_object_object_get_ex(a, "value", &value)
                                ? json_object_get_string(value)
                                : NULL;
            bool q =
                json_object_object_get_ex(a, "quoted", &quoted) && json_object_get_boolean(quoted);
            if (lwm2m_link_add_attr(link, json_object_get_string(name), v, q) < 0)
                return -1;
        }
    }
    return 0;
}

static bool is_paths_format(int cf)
{
    return cf == LWM2M_CF_SENML_ETCH_JSON || cf == LWM2M_CF_SENML_ETCH_CBOR;
}

static int format_number(const char *name)
{
    static const struct {
        const char *name;
        int cf;
    } extra[] = {{"link", LWM2M_CF_LINK},
                 {"senml-etch-json", LWM2M_CF_SENML_ETCH_JSON},
                 {"senml-etch-cbor", LWM2M_CF_SENML_ETCH_CBOR}};
    for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
        if (strcmp(name, extra[i].name) == 0)
            return extra[i].cf;
    const lwm2m_codec_t *c = lwm2m_codec_find_by_name(name);
    if (c)
        return c->content_format;
    char *end;
    long cf = strtol(name, &end, 10);
    if (*name && !*end && (cf == LWM2M_CF_LINK || is_paths_format((int)cf)))
        return (int)cf;
    return -1;
}

static void print_model_error(void *ctx, const char *path, const lwm2m_error_t *err)
{
    (void)ctx;
    fprintf(stderr, "warning: %s: %s\n", path, err->message);
}

static int do_decode(int cf, const lwm2m_path_t *base, lwm2m_type_t hint, const char *objects,
                     unsigned char *in, size_t len)
{
    lwm2m_error_t err = {0};
    if (cf == LWM2M_CF_LINK) {
        lwm2m_links_t links = {0};
        while (len && (in[len - 1] == '\n' || in[len - 1] == '\r')) /* from echo / files */
            len--;
        if (lwm2m_link_parse((const char *)in, len, &links, &err) < 0)
            return fail_decode(&err);
        json_object *j = links_to_json(&links);
        print_json(j);
        json_object_put(j);
        lwm2m_links_clear(&links);
        return 0;
    }
    if (is_paths_format(cf)) {
        lwm2m_path_t *paths = calloc(PATHS_MAX, sizeof(*paths));
        size_t count = 0;
        if (!paths)
            return 2;
        if (lwm2m_paths_decode((uint16_t)cf, in, len, paths, PATHS_MAX, &count, &err) < 0) {
            free(paths);
            return fail_decode(&err);
        }
        json_object *arr = json_object_new_array(), *top = json_object_new_object();
        for (size_t i = 0; i < count; i++) {
            char p[LWM2M_PATH_STR_MAX];
            lwm2m_path_format(&paths[i], p, sizeof(p));
            json_object_array_add(arr, json_object_new_string(p));
        }
        json_object_object_add(top, "paths", arr);
        print_json(top);
        json_object_put(top);
        free(paths);
        return 0;
    }
    lwm2m_model_t *model = lwm2m_model_new_builtin();
    if (!model)
        return 2;
    if (objects && lwm2m_ddf_load_dir(model, objects, print_model_error, NULL) < 0) {
        fprintf(stderr, "error: can't read object directory %s\n", objects);
        lwm2m_model_free(model);
        return 2;
    }
    lwm2m_decode_opts_t opts = {.model = model, .type_hint = hint};
    lwm2m_nodes_t nodes = {0};
    const lwm2m_codec_t *codec = lwm2m_codec_find((uint16_t)cf);
    int rc = codec->decode(in, len, base, &opts, &nodes, &err);
    if (rc == 0) {
        json_object *j = nodejson_from_nodes(nodes.items, nodes.count);
        print_json(j);
        json_object_put(j);
    }
    lwm2m_nodes_clear(&nodes);
    lwm2m_model_free(model);
    return rc < 0 ? fail_decode(&err) : 0;
}

static int write_output(const lwm2m_buf_t *out, bool hex)
{
    if (hex) {
        char *h = malloc(out->len * 2 + 1);
        if (!h)
            return 2;
        nodejson_hex_encode(out->data, out->len, h);
        puts(h);
        free(h);
    } else if (out->len && fwrite(out->data, 1, out->len, stdout) != out->len) {
        return 2;
    }
    return 0;
}

static int do_encode(int cf, const lwm2m_path_t *base, bool hex, unsigned char *in, size_t len)
{
    lwm2m_error_t err = {0};
    struct json_tokener *tok = json_tokener_new();
    json_object *j = json_tokener_parse_ex(tok, (const char *)in, (int)len);
    if (!j) {
        fprintf(stderr, "error: input is not JSON: %s (at byte %zu)\n",
                json_tokener_error_desc(json_tokener_get_error(tok)),
                json_tokener_get_parse_end(tok));
        json_tokener_free(tok);
        return 1;
    }
    json_tokener_free(tok);
    lwm2m_buf_t out = {0};
    int rc = 0;
    if (cf == LWM2M_CF_LINK) {
        lwm2m_links_t links = {0};
        if (json_to_links(j, &links) < 0) {
            fprintf(stderr,
                    "error: expected {\"links\": [{\"uri\": ..., \"attributes\": [...]}]}\n");
            rc = 1;
        } else if (lwm2m_link_write(&links, &out, &err) < 0) {
            rc = fail_decode(&err);
        }
        lwm2m_links_clear(&links);
    } else if (is_paths_format(cf)) {
        json_object *arr;
        lwm2m_path_t *paths = calloc(PATHS_MAX, sizeof(*paths));
        size_t n = 0;
        if (!json_object_object_get_ex(j, "paths", &arr) ||
            !json_object_is_type(arr, json_type_array) || !paths) {
            fprintf(stderr, "error: expected {\"paths\": [\"/3/0/0\", ...]}\n");
            rc = 1;
        } else {
            for (n = 0; n < json_object_array_length(arr) && n < PATHS_MAX && rc == 0; n++) {
                const char *p = json_object_get_string(json_object_array_get_idx(arr, n));
                if (!p || lwm2m_path_parse(p, strlen(p), LWM2M_PATH_ALLOW_PREFIX, &paths[n]) < 0) {
                    fprintf(stderr, "error: path %zu: bad path\n", n);
                    rc = 1;
                }
            }
            if (rc == 0 && lwm2m_paths_encode((uint16_t)cf, paths, n, &out, &err) < 0)
                rc = fail_decode(&err);
        }
        free(paths);
    } else {
        lwm2m_nodes_t nodes = {0};
        char msg[160];
        if (nodejson_parse(j, &nodes, msg, sizeof(msg)) < 0) {
            fprintf(stderr, "error: %s\n", msg);
            rc = 1;
        } else if (lwm2m_codec_find((uint16_t)cf)
                       ->encode(base, nodes.items, nodes.count, &out, &err) < 0) {
            rc = fail_decode(&err);
        }
        lwm2m_nodes_clear(&nodes);
    }
    json_object_put(j);
    if (rc == 0)
        rc = write_output(&out, hex);
    lwm2m_buf_free(&out);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option options[] = {{"format", required_argument, NULL, 'f'},
                                            {"path", required_argument, NULL, 'p'},
                                            {"type", required_argument, NULL, 't'},
                                            {"objects", required_argument, NULL, 'o'},
                                            {"hex", no_argument, NULL, 'x'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    const char *format = NULL, *path_text = "/", *type_text = NULL, *objects = NULL;
    bool hex = false;
    int c;

    if (argc < 2 || (strcmp(argv[1], "decode") != 0 && strcmp(argv[1], "encode") != 0)) {
        usage(argc >= 2 && strcmp(argv[1], "--help") == 0 ? stdout : stderr);
        return argc >= 2 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
    }
    bool decode = strcmp(argv[1], "decode") == 0;
    optind = 2;
    while ((c = getopt_long(argc, argv, "f:p:t:o:xh", options, NULL)) != -1) {
        switch (c) {
        case 'f':
            format = optarg;
            break;
        case 'p':
            path_text = optarg;
            break;
        case 't':
            type_text = optarg;
            break;
        case 'o':
            objects = optarg;
            break;
        case 'x':
            hex = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    int cf = format ? format_number(format) : -1;
    if (cf < 0) {
        fprintf(stderr, "error: --format: unknown format '%s'\n", format ? format : "");
        return 2;
    }
    lwm2m_path_t base;
    if (lwm2m_path_parse(path_text, strlen(path_text),
                         LWM2M_PATH_ALLOW_PREFIX | LWM2M_PATH_ALLOW_RESERVED, &base) < 0) {
        fprintf(stderr, "error: --path: bad path '%s'\n", path_text);
        return 2;
    }
    lwm2m_type_t hint = LWM2M_TYPE_UNKNOWN;
    if (type_text) {
        hint = lwm2m_type_from_name(type_text);
        if (hint == LWM2M_TYPE_UNKNOWN || hint == LWM2M_TYPE_MULTIPLE ||
            hint == LWM2M_TYPE_INSTANCE) {
            fprintf(stderr, "error: --type: unknown type '%s'\n", type_text);
            return 2;
        }
    }
    unsigned char *in;
    size_t len;
    int rc = read_all(stdin, &in, &len);
    if (rc < 0) {
        fprintf(stderr, "error: %s\n", rc == -2 ? "input larger than 16 MiB" : strerror(errno));
        return 1;
    }
    if (decode && hex) {
        long n = unhex_in_place(in, len);
        if (n < 0) {
            fprintf(stderr, "error: --hex: input is not hex\n");
            free(in);
            return 1;
        }
        len = (size_t)n;
    }
    rc = decode ? do_decode(cf, &base, hint, objects, in, len) : do_encode(cf, &base, hex, in, len);
    free(in);
    return rc;
}
