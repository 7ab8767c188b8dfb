/* ops.c - the device side of the LwM2M operations: request dispatch, Read, Discover, Execute,
 * Delete, Read-Composite and content-format negotiation. Writes are in ops_write.c. */
#include <string.h>
#include <time.h>

#include "event.h"
#include "lwm2m/codec.h"
#include "lwm2m/link.h"
#include "ops.h"

void sim_reply_init(sim_reply_t *reply)
{
    memset(reply, 0, sizeof(*reply));
    lwm2m_buf_init(&reply->body, LWM2M_BUF_DEFAULT_MAX);
    reply->code = SIM_CODE(5, 0);
}

void sim_reply_free(sim_reply_t *reply)
{
    lwm2m_buf_free(&reply->body);
}

uint8_t sim_ops_code(int rc)
{
    if (rc >= 0)
        return SIM_CODE(2, 4);
    int c = -rc;
    if (c < 400 || c > 599)
        return SIM_CODE(5, 0);
    return SIM_CODE(c / 100, c % 100);
}

void sim_ops_fail(sim_reply_t *reply, int rc)
{
    reply->code = sim_ops_code(rc);
    reply->has_format = false;
    lwm2m_buf_reset(&reply->body);
}

bool sim_ops_format_supported(const sim_t *sim, uint16_t format)
{
    if (format == LWM2M_CF_LINK)
        return true;
    for (size_t i = 0; i < sim->opt.format_count; i++)
        if (sim->opt.formats[i] == format)
            return true;
    return false;
}

static bool sim_format_multi(uint16_t format)
{
    return format == LWM2M_CF_TLV || format == LWM2M_CF_SENML_JSON ||
           format == LWM2M_CF_SENML_CBOR || format == LWM2M_CF_OMA_JSON ||
           format == LWM2M_CF_LWM2M_CBOR;
}

bool sim_ops_single_value(const sim_device_t *dev, const lwm2m_path_t *path)
{
    if (path->depth == 4)
        return true;
    if (path->depth != 3)
        return false;
    return lwm2m_model_is_multiple(dev->sim->model, path->id[0], path->id[2]) == 0;
}

uint16_t sim_ops_default_format(const sim_device_t *dev, const lwm2m_path_t *path)
{
    const sim_t *sim = dev->sim;
    if (sim_ops_single_value(dev, path)) {
        bool opaque = lwm2m_model_type(sim->model, path) == LWM2M_TYPE_OPAQUE;
        uint16_t want = opaque ? LWM2M_CF_OPAQUE : LWM2M_CF_TEXT;
        if (sim_ops_format_supported(sim, want))
            return want;
    }
    for (size_t i = 0; i < sim->opt.format_count; i++)
        if (sim_format_multi(sim->opt.formats[i]))
            return sim->opt.formats[i];
    return sim->opt.format_count ? sim->opt.formats[0] : LWM2M_CF_TLV;
}

void sim_ops_refresh_dynamic(sim_device_t *dev)
{
    lwm2m_path_t p = lwm2m_path_make(3, 3, 0, 13, 0);
    if (sim_store_get(&dev->store, &p)) {
        lwm2m_value_t now = lwm2m_value_time((int64_t)time(NULL) + dev->time_offset);
        sim_store_set(&dev->store, &p, &now);
    }
}

void sim_ops_codec_error(sim_device_t *dev, const char *what, int rc, const lwm2m_error_t *err)
{
    if (rc == LWM2M_ERR_NOT_ACCEPTABLE || rc == LWM2M_ERR_BAD_REQUEST)
        return;
    sim_emit_error(dev, what, err->message[0] ? err->message : "codec failed");
}

int sim_ops_encode(sim_device_t *dev, const lwm2m_path_t *paths, size_t count, bool composite,
                   uint16_t format, bool timestamps, lwm2m_buf_t *out)
{
    const lwm2m_codec_t *codec = lwm2m_codec_find(format);
    if (!codec)
        return LWM2M_ERR_NOT_ACCEPTABLE;
    lwm2m_nodes_t nodes;
    lwm2m_nodes_init(&nodes, SIM_STORE_MAX_ENTRIES, dev->sim->opt.max_body * 2);
    size_t found = 0;
    int rc = 0;
    for (size_t i = 0; i < count; i++) {
        rc = sim_store_read(&dev->store, dev->sim->model, &paths[i], &nodes);
        if (rc == 0)
            found++;
        else if (!composite || rc == LWM2M_ERR_TOO_LARGE)
            break;
    }
    if (found == 0 && rc == 0)
        rc = LWM2M_ERR_NOT_FOUND;
    if (found > 0 && composite)
        rc = 0;
    /* Only SenML and OMA JSON carry times; LwM2M CBOR, TLV and the rest have none. */
    timestamps = timestamps && (format == LWM2M_CF_SENML_JSON || format == LWM2M_CF_SENML_CBOR ||
                                format == LWM2M_CF_OMA_JSON);
    if (rc == 0 && timestamps) {
        double now = (double)time(NULL);
        for (size_t i = 0; i < nodes.count; i++) {
            nodes.items[i].has_time = true;
            nodes.items[i].time = now;
        }
    }
    if (rc == 0) {
        lwm2m_error_t err = {0};
        lwm2m_path_t base = composite ? lwm2m_path_root() : paths[0];
        rc = codec->encode(&base, nodes.items, nodes.count, out, &err);
        if (rc < 0)
            sim_ops_codec_error(dev, "encode", rc, &err);
    }
    lwm2m_nodes_clear(&nodes);
    return rc;
}

/* The response format: the Accept option, or the device's default. */
static int sim_pick_format(const sim_device_t *dev, const sim_msg_t *msg, const lwm2m_path_t *path,
                           uint16_t *ret)
{
    uint32_t accept;
    if (sim_msg_opt_uint(msg, SIM_OPT_ACCEPT, &accept)) {
        if (accept > 65535 || !sim_ops_format_supported(dev->sim, (uint16_t)accept))
            return LWM2M_ERR_NOT_ACCEPTABLE;
        *ret = (uint16_t)accept;
        return 0;
    }
    *ret = sim_ops_default_format(dev, path);
    return 0;
}

static void sim_op_read(sim_device_t *dev, const sim_addr_t *peer, const sim_msg_t *msg,
                        const lwm2m_path_t *path, sim_reply_t *reply)
{
    uint16_t format;
    int rc =
        path->depth == 0 ? LWM2M_ERR_METHOD_NOT_ALLOWED : sim_pick_format(dev, msg, path, &format);
    if (rc < 0) {
        sim_ops_fail(reply, rc);
        return;
    }
    uint64_t key = sim_block_key(msg, NULL, 0);
    if (sim_block2_cached(dev, msg, key, reply))
        return;
    sim_ops_refresh_dynamic(dev);
    rc = sim_ops_encode(dev, path, 1, false, format, false, &reply->body);
    if (rc < 0) {
        sim_ops_fail(reply, rc);
        return;
    }
    reply->code = SIM_CODE(2, 5);
    reply->has_format = true;
    reply->format = format;
    reply->block2_key = key;
    uint32_t observe;
    if (sim_msg_opt_uint(msg, SIM_OPT_OBSERVE, &observe))
        sim_observe_request(dev, peer, msg, path, 1, false, format, reply);
}

/* ---- Discover ---- */

typedef struct sim_discover {
    sim_device_t *dev;
    lwm2m_links_t links;
    uint8_t max_depth; /* deepest path level to list */
    int rc;
    lwm2m_path_t last_resource;
} sim_discover_t;

static void sim_discover_attrs(sim_discover_t *d, lwm2m_link_t *link, const lwm2m_path_t *p)
{
    const sim_attrs_t *a = sim_attrs_at(d->dev, p);
    if (!a)
        return;
    lwm2m_buf_t buf;
    lwm2m_buf_init(&buf, 1024);
    sim_attrs_format(a, &buf); /* ";pmin=10;gt=5" */
    char *s = buf.data ? (char *)buf.data : NULL;
    while (s && d->rc == 0 && *s == ';') {
        char *name = s + 1, *next = strchr(name, ';');
        if (next)
            *next = '\0';
        char *eq = strchr(name, '=');
        if (eq) {
            *eq = '\0';
            d->rc = lwm2m_link_add_attr(link, name, eq + 1, false);
        }
        if (!next)
            break;
        *next = ';';
        s = next;
    }
    lwm2m_buf_free(&buf);
}

static void sim_discover_add(sim_discover_t *d, const lwm2m_path_t *p, int dim)
{
    char uri[LWM2M_PATH_STR_MAX];
    lwm2m_link_t *link;
    if (d->rc < 0 || lwm2m_path_format(p, uri, sizeof(uri)) < 0 ||
        (d->rc = lwm2m_links_add(&d->links, uri, &link)) < 0)
        return;
    if (p->depth == 1) {
        const lwm2m_object_def_t *o = lwm2m_model_object(d->dev->sim->model, p->id[0]);
        if (o && strcmp(o->version, "1.0") != 0 && d->dev->sim->opt.version_minor > 0)
            d->rc = lwm2m_link_add_attr(link, "ver", o->version, false);
    }
    if (dim >= 0 && d->rc == 0) {
        char text[16];
        snprintf(text, sizeof(text), "%d", dim);
        d->rc = lwm2m_link_add_attr(link, "dim", text, false);
    }
    if (d->rc == 0)
        sim_discover_attrs(d, link, p);
}

static int sim_count_instances(void *ctx, const sim_entry_t *e)
{
    if (e->depth == 4)
        (*(int *)ctx)++;
    return 0;
}

static int sim_discover_visit(void *ctx, const sim_entry_t *e)
{
    sim_discover_t *d = ctx;
    lwm2m_path_t res = lwm2m_path_make(3, e->obj, e->inst, e->res, 0);
    if (!lwm2m_path_equal(&res, &d->last_resource) && d->max_depth >= 3) {
        d->last_resource = res;
        int dim = -1;
        if (lwm2m_model_is_multiple(d->dev->sim->model, e->obj, e->res) == 1) {
            dim = 0;
            sim_store_visit(&d->dev->store, &res, sim_count_instances, &dim);
        }
        sim_discover_add(d, &res, dim);
    }
    if (e->depth == 4 && d->max_depth >= 4) {
        lwm2m_path_t p = sim_entry_path(e);
        sim_discover_add(d, &p, -1);
    }
    return d->rc < 0 ? 1 : 0;
}

static int sim_discover_depth(const sim_device_t *dev, const sim_msg_t *msg,
                              const lwm2m_path_t *path, uint8_t *ret)
{
    unsigned extra = path->depth == 1 ? 2 : path->depth == 2 ? 1 : 0;
    if (path->depth == 3 && dev->sim->opt.version_minor >= 2)
        extra = 1;
    for (size_t i = 0; i < msg->opt_count; i++) {
        const sim_msg_opt_t *o = &msg->opts[i];
        if (o->number != SIM_OPT_URI_QUERY)
            continue;
        uint64_t v;
        if (o->len < 7 || memcmp(o->value, "depth=", 6) != 0 ||
            lwm2m_parse_uint64((const char *)o->value + 6, o->len - 6u, &v) < 0 || v > 3)
            return LWM2M_ERR_BAD_REQUEST;
        extra = (unsigned)v;
    }
    unsigned max = path->depth + extra;
    *ret = (uint8_t)(max > 4 ? 4 : max);
    return 0;
}

static int sim_discover_exists(const sim_device_t *dev, const lwm2m_path_t *path)
{
    const sim_store_t *st = &dev->store;
    if (path->depth == 0)
        return LWM2M_ERR_METHOD_NOT_ALLOWED;
    if (!sim_store_has_object(st, path->id[0]))
        return LWM2M_ERR_NOT_FOUND;
    if (path->depth >= 2 && !sim_store_has_instance(st, path->id[0], path->id[1]))
        return LWM2M_ERR_NOT_FOUND;
    if (path->depth >= 3 && !sim_store_has_resource(st, path->id[0], path->id[1], path->id[2]))
        return LWM2M_ERR_NOT_FOUND;
    if (path->depth == 4 && !sim_store_get(st, path))
        return LWM2M_ERR_NOT_FOUND;
    return 0;
}

static void sim_op_discover(sim_device_t *dev, const sim_msg_t *msg, const lwm2m_path_t *path,
                            sim_reply_t *reply)
{
    sim_discover_t d = {.dev = dev};
    int rc = sim_discover_exists(dev, path);
    if (rc == 0)
        rc = sim_discover_depth(dev, msg, path, &d.max_depth);
    if (rc < 0) {
        sim_ops_fail(reply, rc);
        return;
    }
    d.last_resource = lwm2m_path_root();
    if (path->depth <= 2)
        sim_discover_add(&d, path, -1);
    if (path->depth == 1 && d.max_depth >= 2) {
        const sim_store_t *st = &dev->store;
        for (size_t i = 0; i < st->instance_count && d.rc == 0; i++) {
            if (st->instances[i].obj != path->id[0])
                continue;
            lwm2m_path_t inst = lwm2m_path_make(2, path->id[0], st->instances[i].inst, 0, 0);
            sim_discover_add(&d, &inst, -1);
            sim_store_visit(st, &inst, sim_discover_visit, &d);
        }
    } else if (path->depth >= 2) {
        if (path->depth == 4)
            sim_discover_add(&d, path, -1);
        else
            sim_store_visit(&dev->store, path, sim_discover_visit, &d);
    }
    lwm2m_error_t err = {0};
    if (d.rc == 0)
        d.rc = lwm2m_link_write(&d.links, &reply->body, &err);
    lwm2m_links_clear(&d.links);
    if (d.rc < 0) {
        sim_ops_fail(reply, d.rc);
        return;
    }
    reply->code = SIM_CODE(2, 5);
    reply->has_format = true;
    reply->format = LWM2M_CF_LINK;
    reply->block2_key = sim_block_key(msg, NULL, 0);
}

/* ---- Execute ---- */

/* arg-list = arg *("," arg); arg = DIGIT ["=" "'" *CHAR "'"] (Core §5.4.5). */
static bool sim_execute_args_valid(const uint8_t *p, size_t len)
{
    size_t i = 0;
    if (len == 0)
        return true;
    for (;;) {
        if (i >= len || p[i] < '0' || p[i] > '9')
            return false;
        i++;
        if (i < len && p[i] == '=') {
            if (++i >= len || p[i] != '\'')
                return false;
            for (i++; i < len && p[i] != '\''; i++)
                if (p[i] < 0x21 || p[i] == '"' || p[i] > 0x7E)
                    return false;
            if (i >= len)
                return false;
            i++;
        }
        if (i == len)
            return true;
        if (p[i++] != ',')
            return false;
    }
}

static void sim_op_execute(sim_device_t *dev, const lwm2m_path_t *path, const uint8_t *payload,
                           size_t len, sim_reply_t *reply)
{
    if (!sim_store_has_instance(&dev->store, path->id[0], path->id[1]) ||
        !sim_store_has_resource(&dev->store, path->id[0], path->id[1], path->id[2])) {
        sim_ops_fail(reply, LWM2M_ERR_NOT_FOUND);
        return;
    }
    if (!sim_execute_args_valid(payload, len)) {
        sim_ops_fail(reply, LWM2M_ERR_BAD_REQUEST);
        return;
    }
    sim_event_t ev;
    char text[LWM2M_PATH_STR_MAX];
    lwm2m_path_format(path, text, sizeof(text));
    sim_event_device(&ev, "execute", dev);
    sim_event_str(&ev, "path", text);
    sim_event_strn(&ev, "args", (const char *)payload, len);
    sim_event_end(&ev);
    reply->code = sim_client_execute(dev, path, (const char *)payload, len);
}

/* ---- Delete ---- */

static void sim_op_delete(sim_device_t *dev, const lwm2m_path_t *path, sim_reply_t *reply)
{
    if (path->depth != 2) {
        sim_ops_fail(reply, LWM2M_ERR_METHOD_NOT_ALLOWED);
        return;
    }
    const lwm2m_object_def_t *o = lwm2m_model_object(dev->sim->model, path->id[0]);
    if (!sim_store_has_instance(&dev->store, path->id[0], path->id[1])) {
        sim_ops_fail(reply, LWM2M_ERR_NOT_FOUND);
        return;
    }
    if (path->id[0] <= 1 || path->id[0] == 3 || (o && !o->multiple)) {
        sim_ops_fail(reply, LWM2M_ERR_METHOD_NOT_ALLOWED);
        return;
    }
    sim_store_remove_instance(&dev->store, path->id[0], path->id[1]);
    sim_observe_removed(dev, path);
    sim_client_objects_changed(dev);
    reply->code = SIM_CODE(2, 2);
}

/* ---- Read-Composite (FETCH) ---- */

static void sim_op_fetch(sim_device_t *dev, const sim_addr_t *peer, const sim_msg_t *msg,
                         const uint8_t *payload, size_t len, sim_reply_t *reply)
{
    uint32_t cf = 0, accept;
    if (!sim_msg_opt_uint(msg, SIM_OPT_CONTENT_FORMAT, &cf) ||
        (cf != LWM2M_CF_SENML_ETCH_JSON && cf != LWM2M_CF_SENML_ETCH_CBOR &&
         cf != LWM2M_CF_SENML_JSON && cf != LWM2M_CF_SENML_CBOR)) {
        sim_ops_fail(reply, LWM2M_ERR_UNSUPPORTED_FORMAT);
        return;
    }
    uint16_t format = (cf == LWM2M_CF_SENML_ETCH_JSON || cf == LWM2M_CF_SENML_JSON)
                          ? LWM2M_CF_SENML_JSON
                          : LWM2M_CF_SENML_CBOR;
    if (sim_msg_opt_uint(msg, SIM_OPT_ACCEPT, &accept))
        format = (uint16_t)accept;
    if ((format != LWM2M_CF_SENML_JSON && format != LWM2M_CF_SENML_CBOR &&
         format != LWM2M_CF_LWM2M_CBOR) ||
        !sim_ops_format_supported(dev->sim, format)) {
        sim_ops_fail(reply, LWM2M_ERR_NOT_ACCEPTABLE);
        return;
    }
    uint64_t key = sim_block_key(msg, payload, len);
    if (sim_block2_cached(dev, msg, key, reply))
        return;
    lwm2m_path_t paths[SIM_MAX_COMPOSITE];
    size_t count = 0;
    lwm2m_error_t err = {0};
    int rc = lwm2m_paths_decode((uint16_t)cf, payload, len, paths, SIM_MAX_COMPOSITE, &count, &err);
    if (rc == 0 && count == 0)
        rc = LWM2M_ERR_BAD_REQUEST;
    if (rc < 0) {
        sim_ops_codec_error(dev, "paths", rc, &err);
        sim_ops_fail(reply, rc);
        return;
    }
    sim_ops_refresh_dynamic(dev);
    rc = sim_ops_encode(dev, paths, count, true, format, false, &reply->body);
    if (rc < 0) {
        sim_ops_fail(reply, rc);
        return;
    }
    reply->code = SIM_CODE(2, 5);
    reply->has_format = true;
    reply->format = format;
    reply->block2_key = key;
    uint32_t observe;
    if (sim_msg_opt_uint(msg, SIM_OPT_OBSERVE, &observe))
        sim_observe_request(dev, peer, msg, paths, count, true, format, reply);
}

/* ---- dispatch ---- */

/* Refuses critical options the device does not understand (RFC 7252 §5.4.1). */
static bool sim_options_understood(const sim_msg_t *msg)
{
    for (size_t i = 0; i < msg->opt_count; i++) {
        uint16_t n = msg->opts[i].number;
        if (!(n & 1))
            continue;
        if (n != SIM_OPT_IF_MATCH && n != SIM_OPT_URI_HOST && n != SIM_OPT_IF_NONE_MATCH &&
            n != SIM_OPT_URI_PORT && n != SIM_OPT_URI_PATH && n != SIM_OPT_URI_QUERY &&
            n != SIM_OPT_ACCEPT && n != SIM_OPT_BLOCK2 && n != SIM_OPT_BLOCK1)
            return false;
    }
    return true;
}

static void sim_op_post(sim_device_t *dev, const sim_msg_t *msg, const lwm2m_path_t *path,
                        const uint8_t *payload, size_t len, sim_reply_t *reply)
{
    const lwm2m_resource_def_t *def;
    switch (path->depth) {
    case 1:
        sim_op_create(dev, msg, path, payload, len, reply);
        return;
    case 2:
        sim_op_write(dev, msg, path, false, payload, len, reply);
        return;
    case 3:
        def = lwm2m_model_resource(dev->sim->model, path->id[0], path->id[2]);
        if (def && (def->operations & LWM2M_OP_EXECUTE))
            sim_op_execute(dev, path, payload, len, reply);
        else if (def && def->multiple && (def->operations & LWM2M_OP_WRITE))
            sim_op_write(dev, msg, path, false, payload, len, reply);
        else
            sim_ops_fail(reply, def ? LWM2M_ERR_METHOD_NOT_ALLOWED : LWM2M_ERR_NOT_FOUND);
        return;
    default:
        sim_ops_fail(reply, LWM2M_ERR_METHOD_NOT_ALLOWED);
    }
}

static void sim_op_put(sim_device_t *dev, const sim_msg_t *msg, const lwm2m_path_t *path,
                       const uint8_t *payload, size_t len, sim_reply_t *reply)
{
    bool has_query = sim_msg_opt(msg, SIM_OPT_URI_QUERY) != NULL;
    if (len == 0 && has_query && !sim_msg_opt(msg, SIM_OPT_CONTENT_FORMAT)) {
        int rc = sim_attrs_write(dev, path, msg);
        if (rc < 0)
            sim_ops_fail(reply, rc);
        else
            reply->code = SIM_CODE(2, 4);
        if (rc == 0)
            sim_observe_changed(dev, NULL);
        return;
    }
    if (path->depth < 2) {
        sim_ops_fail(reply, LWM2M_ERR_METHOD_NOT_ALLOWED);
        return;
    }
    sim_op_write(dev, msg, path, true, payload, len, reply);
}

void sim_ops_handle(sim_device_t *dev, const sim_addr_t *peer, const sim_msg_t *msg,
                    const uint8_t *payload, size_t payload_len, sim_reply_t *reply)
{
    char text[256];
    int n = sim_msg_uri_path(msg, text, sizeof(text));
    lwm2m_path_t path;
    if (!sim_options_understood(msg)) {
        sim_ops_fail(reply, -402);
        return;
    }
    if (n < 0 || lwm2m_path_parse(text, (size_t)n, 0, &path) < 0) {
        sim_ops_fail(reply, LWM2M_ERR_NOT_FOUND);
        return;
    }
    uint32_t accept = 0;
    bool has_accept = sim_msg_opt_uint(msg, SIM_OPT_ACCEPT, &accept);
    switch (msg->code) {
    case SIM_GET:
        if (has_accept && accept == LWM2M_CF_LINK)
            sim_op_discover(dev, msg, &path, reply);
        else
            sim_op_read(dev, peer, msg, &path, reply);
        break;
    case SIM_PUT:
        sim_op_put(dev, msg, &path, payload, payload_len, reply);
        break;
    case SIM_POST:
        sim_op_post(dev, msg, &path, payload, payload_len, reply);
        break;
    case SIM_DELETE:
        sim_op_delete(dev, &path, reply);
        break;
    case SIM_FETCH:
        sim_op_fetch(dev, peer, msg, payload, payload_len, reply);
        break;
    case SIM_IPATCH:
        sim_op_write_composite(dev, msg, payload, payload_len, reply);
        break;
    default:
        sim_ops_fail(reply, LWM2M_ERR_METHOD_NOT_ALLOWED);
    }
}
