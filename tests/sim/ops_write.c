/* ops_write.c - Write (replace and partial update), Create and Write-Composite: decode with the
 * project's codecs, check every value against the object model, then apply all or nothing. */
#include <json-c/json.h>
#include <string.h>

#include "event.h"
#include "lwm2m/codec.h"
#include "nodejson.h"
#include "ops.h"

#define SIM_WRITE_EVENT_TEXT_MAX 256 /* longer strings are reported by size and hash */

static int sim_decode(sim_device_t *dev, const sim_msg_t *msg, const lwm2m_path_t *base,
                      const uint8_t *payload, size_t len, lwm2m_nodes_t *out)
{
    uint32_t cf;
    if (!sim_msg_opt_uint(msg, SIM_OPT_CONTENT_FORMAT, &cf)) {
        if (!sim_ops_single_value(dev, base))
            return LWM2M_ERR_BAD_REQUEST;
        cf = lwm2m_model_type(dev->sim->model, base) == LWM2M_TYPE_OPAQUE ? LWM2M_CF_OPAQUE
                                                                          : LWM2M_CF_TEXT;
    }
    const lwm2m_codec_t *codec = cf <= 65535 ? lwm2m_codec_find((uint16_t)cf) : NULL;
    if (!codec || !sim_ops_format_supported(dev->sim, (uint16_t)cf))
        return LWM2M_ERR_UNSUPPORTED_FORMAT;
    lwm2m_decode_opts_t opts = {dev->sim->model, LWM2M_TYPE_UNKNOWN};
    lwm2m_error_t err = {0};
    int rc = codec->decode(payload, len, base, &opts, out, &err);
    if (rc < 0)
        sim_ops_codec_error(dev, "decode", rc, &err);
    return rc;
}

/* Checks one decoded node for a write under `target`; *ret gets the value in the model's type
 * (pointing at the node's bytes). */
static int sim_check_node(const sim_device_t *dev, const lwm2m_node_t *node,
                          const lwm2m_path_t *target, bool create, lwm2m_value_t *ret)
{
    const lwm2m_path_t *p = &node->path;
    if (!lwm2m_path_contains(target, p) || p->prefix[0])
        return LWM2M_ERR_BAD_REQUEST;
    if (p->depth < 3) {
        if (p->depth == 2 && node->value.type == LWM2M_TYPE_INSTANCE) {
            *ret = node->value;
            return 0;
        }
        return LWM2M_ERR_BAD_REQUEST;
    }
    const lwm2m_resource_def_t *def = lwm2m_model_resource(dev->sim->model, p->id[0], p->id[2]);
    if (!def)
        return LWM2M_ERR_NOT_FOUND;
    if (def->type == LWM2M_TYPE_NONE || (!create && !(def->operations & LWM2M_OP_WRITE)))
        return LWM2M_ERR_METHOD_NOT_ALLOWED;
    if (p->depth == 4 && !def->multiple)
        return LWM2M_ERR_BAD_REQUEST;
    if (node->value.type == LWM2M_TYPE_MULTIPLE) {
        if (p->depth != 3 || !def->multiple)
            return LWM2M_ERR_BAD_REQUEST;
        *ret = node->value;
        return 0;
    }
    if (p->depth == 3 && def->multiple)
        return LWM2M_ERR_BAD_REQUEST;
    if (sim_value_coerce(&node->value, def->type, ret) < 0 ||
        sim_value_check_range(ret, def->range) < 0)
        return LWM2M_ERR_BAD_REQUEST;
    return 0;
}

/* Checks every node and replaces its value by the converted one. Returns the first error. */
static int sim_check_nodes(const sim_device_t *dev, lwm2m_nodes_t *nodes,
                           const lwm2m_path_t *target, bool create)
{
    for (size_t i = 0; i < nodes->count; i++) {
        lwm2m_value_t v;
        int rc = sim_check_node(dev, &nodes->items[i], target, create, &v);
        if (rc < 0)
            return rc;
        /* Same bytes (owned by the list) or a scalar: safe to overwrite in place. */
        nodes->items[i].value = v;
    }
    return 0;
}

static void sim_write_event(sim_device_t *dev, const lwm2m_node_t *node, const char *mode)
{
    char path[LWM2M_PATH_STR_MAX];
    lwm2m_path_format(&node->path, path, sizeof(path));
    const lwm2m_value_t *v = &node->value;
    sim_event_t ev;
    sim_event_device(&ev, "write", dev);
    sim_event_str(&ev, "path", path);
    sim_event_str(&ev, "mode", mode);
    sim_event_str(&ev, "type", lwm2m_type_name(v->type));
    bool bytes = v->type == LWM2M_TYPE_OPAQUE || v->type == LWM2M_TYPE_STRING ||
                 v->type == LWM2M_TYPE_CORELNK;
    if (bytes && (v->type == LWM2M_TYPE_OPAQUE || v->u.bytes.len > SIM_WRITE_EVENT_TEXT_MAX)) {
        char hash[65];
        sim_sha256_hex(v->u.bytes.data, v->u.bytes.len, hash);
        sim_event_uint(&ev, "bytes", v->u.bytes.len);
        sim_event_str(&ev, "sha256", hash);
    } else if (v->type != LWM2M_TYPE_MULTIPLE && v->type != LWM2M_TYPE_INSTANCE) {
        json_object *j = nodejson_value(v);
        sim_event_raw(&ev, "value",
                      j ? json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
                                                                JSON_C_TO_STRING_NOSLASHESCAPE)
                        : "null");
        json_object_put(j);
    }
    sim_event_end(&ev);
}

static bool sim_nodes_have_resource(const lwm2m_nodes_t *nodes, uint16_t res)
{
    for (size_t i = 0; i < nodes->count; i++)
        if (nodes->items[i].path.depth >= 3 && nodes->items[i].path.id[2] == res)
            return true;
    return false;
}

/* Replace on an instance: optional writable resources absent from the payload are removed. */
static void sim_clear_for_replace(sim_device_t *dev, const lwm2m_path_t *target,
                                  const lwm2m_nodes_t *nodes)
{
    if (target->depth == 3) {
        sim_store_remove_resource(&dev->store, target->id[0], target->id[1], target->id[2]);
        return;
    }
    if (target->depth != 2)
        return;
    const lwm2m_object_def_t *o = lwm2m_model_object(dev->sim->model, target->id[0]);
    for (size_t i = 0; o && i < o->resource_count; i++) {
        const lwm2m_resource_def_t *def = &o->resources[i];
        bool present = sim_nodes_have_resource(nodes, def->id);
        if ((def->operations & LWM2M_OP_WRITE) &&
            ((!def->mandatory && !present) || (def->multiple && present)))
            sim_store_remove_resource(&dev->store, target->id[0], target->id[1], def->id);
    }
}

/* Applies checked nodes; instance ids equal to `from_inst` are written to `to_inst`. */
static int sim_apply(sim_device_t *dev, const lwm2m_nodes_t *nodes, const char *mode,
                     uint32_t from_inst, uint16_t to_inst)
{
    int rc = 0;
    for (size_t i = 0; i < nodes->count && rc == 0; i++) {
        lwm2m_node_t node = nodes->items[i];
        if (node.path.depth < 3)
            continue;
        if (node.path.id[1] == from_inst)
            node.path.id[1] = to_inst;
        if (node.value.type == LWM2M_TYPE_MULTIPLE)
            sim_store_remove_resource(&dev->store, node.path.id[0], node.path.id[1],
                                      node.path.id[2]);
        rc = sim_store_set(&dev->store, &node.path, &node.value);
        if (rc == 0) {
            sim_write_event(dev, &node, mode);
            sim_observe_changed(dev, &node.path);
            sim_client_after_write(dev, &node.path);
        }
    }
    return rc;
}

void sim_op_write(sim_device_t *dev, const sim_msg_t *msg, const lwm2m_path_t *path, bool replace,
                  const uint8_t *payload, size_t len, sim_reply_t *reply)
{
    if (path->depth < 2) {
        sim_ops_fail(reply, LWM2M_ERR_METHOD_NOT_ALLOWED);
        return;
    }
    if (!sim_store_has_instance(&dev->store, path->id[0], path->id[1]) ||
        (path->depth >= 3 && !lwm2m_model_resource(dev->sim->model, path->id[0], path->id[2]))) {
        sim_ops_fail(reply, LWM2M_ERR_NOT_FOUND);
        return;
    }
    lwm2m_nodes_t nodes;
    lwm2m_nodes_init(&nodes, SIM_STORE_MAX_ENTRIES, dev->sim->opt.max_body + 1024);
    int rc = sim_decode(dev, msg, path, payload, len, &nodes);
    if (rc == 0)
        rc = sim_check_nodes(dev, &nodes, path, false);
    if (rc == 0 && nodes.count == 0)
        rc = LWM2M_ERR_BAD_REQUEST;
    if (rc == 0) {
        if (replace)
            sim_clear_for_replace(dev, path, &nodes);
        rc = sim_apply(dev, &nodes, replace ? "replace" : "update", UINT32_MAX, 0);
    }
    lwm2m_nodes_clear(&nodes);
    if (rc < 0)
        sim_ops_fail(reply, rc);
    else
        reply->code = SIM_CODE(2, 4);
}

/* The instance ids a Create payload names (LWM2M_ID_MAX: "choose one"). */
static size_t sim_create_instances(const lwm2m_nodes_t *nodes, uint16_t *ids, size_t max)
{
    size_t count = 0;
    for (size_t i = 0; i < nodes->count; i++) {
        if (nodes->items[i].path.depth < 2)
            continue;
        uint16_t id = nodes->items[i].path.id[1];
        bool seen = false;
        for (size_t k = 0; k < count; k++)
            seen = seen || ids[k] == id;
        if (!seen && count < max)
            ids[count++] = id;
    }
    return count;
}

void sim_op_create(sim_device_t *dev, const sim_msg_t *msg, const lwm2m_path_t *path,
                   const uint8_t *payload, size_t len, sim_reply_t *reply)
{
    const lwm2m_object_def_t *o = lwm2m_model_object(dev->sim->model, path->id[0]);
    if (!o) {
        sim_ops_fail(reply, LWM2M_ERR_NOT_FOUND);
        return;
    }
    lwm2m_nodes_t nodes;
    lwm2m_nodes_init(&nodes, SIM_STORE_MAX_ENTRIES, dev->sim->opt.max_body + 1024);
    int rc = len ? sim_decode(dev, msg, path, payload, len, &nodes) : 0;
    uint16_t ids[8];
    size_t count = rc == 0 ? sim_create_instances(&nodes, ids, 8) : 0;
    if (rc == 0 && count == 0)
        ids[count++] = LWM2M_ID_MAX;
    if (rc == 0 && (count > 1 || (!o->multiple && sim_store_has_object(&dev->store, o->id)) ||
                    (ids[0] != LWM2M_ID_MAX && sim_store_has_instance(&dev->store, o->id, ids[0]))))
        rc = LWM2M_ERR_BAD_REQUEST;
    if (rc == 0)
        rc = sim_check_nodes(dev, &nodes, path, true);
    int chosen =
        rc == 0 && ids[0] == LWM2M_ID_MAX ? sim_store_free_instance(&dev->store, o->id) : ids[0];
    if (rc == 0 && chosen < 0)
        rc = LWM2M_ERR_BAD_REQUEST;
    if (rc == 0)
        rc = sim_store_add_instance(&dev->store, o->id, (uint16_t)chosen);
    if (rc == 0) {
        sim_objects_instance_defaults(dev, o->id, (uint16_t)chosen);
        rc = sim_apply(dev, &nodes, "create", ids[0], (uint16_t)chosen);
        lwm2m_path_t loc = lwm2m_path_make(2, o->id, (uint16_t)chosen, 0, 0);
        lwm2m_path_format(&loc, reply->location, sizeof(reply->location));
        sim_client_objects_changed(dev);
    }
    lwm2m_nodes_clear(&nodes);
    if (rc < 0) {
        sim_ops_fail(reply, rc);
        reply->location[0] = '\0';
    } else {
        reply->code = SIM_CODE(2, 1);
    }
}

void sim_op_write_composite(sim_device_t *dev, const sim_msg_t *msg, const uint8_t *payload,
                            size_t len, sim_reply_t *reply)
{
    uint32_t cf = 0;
    if (!sim_msg_opt_uint(msg, SIM_OPT_CONTENT_FORMAT, &cf) ||
        (cf != LWM2M_CF_SENML_JSON && cf != LWM2M_CF_SENML_CBOR && cf != LWM2M_CF_LWM2M_CBOR)) {
        sim_ops_fail(reply, LWM2M_ERR_UNSUPPORTED_FORMAT);
        return;
    }
    lwm2m_path_t root = lwm2m_path_root();
    lwm2m_nodes_t nodes;
    lwm2m_nodes_init(&nodes, SIM_STORE_MAX_ENTRIES, dev->sim->opt.max_body + 1024);
    int rc = sim_decode(dev, msg, &root, payload, len, &nodes);
    for (size_t i = 0; rc == 0 && i < nodes.count; i++) {
        const lwm2m_path_t *p = &nodes.items[i].path;
        if (p->depth < 3)
            rc = LWM2M_ERR_BAD_REQUEST;
        else if (!sim_store_has_instance(&dev->store, p->id[0], p->id[1]))
            rc = LWM2M_ERR_NOT_FOUND;
    }
    if (rc == 0)
        rc = sim_check_nodes(dev, &nodes, &root, false);
    if (rc == 0 && nodes.count == 0)
        rc = LWM2M_ERR_BAD_REQUEST;
    if (rc == 0)
        rc = sim_apply(dev, &nodes, "composite", UINT32_MAX, 0);
    lwm2m_nodes_clear(&nodes);
    if (rc < 0)
        sim_ops_fail(reply, rc);
    else
        reply->code = SIM_CODE(2, 4);
}
