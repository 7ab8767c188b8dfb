/* objects.c - the simulated device's objects: /1/0 Server, /3/0 Device, /5/0 Firmware Update,
 * /3303/0 and /3303/1 Temperature; their default values, what a write changes beyond the value
 * (lifetime, binding, firmware state, min/max) and what Execute does. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "event.h"
#include "sim.h"

#define SIM_ACTION_DELAY_MS 200

static int sim_set(sim_device_t *dev, uint16_t o, uint16_t i, uint16_t r, lwm2m_value_t v)
{
    lwm2m_path_t p = lwm2m_path_make(3, o, i, r, 0);
    return sim_store_set(&dev->store, &p, &v);
}

static int sim_set_ri(sim_device_t *dev, uint16_t o, uint16_t i, uint16_t r, uint16_t ri,
                      lwm2m_value_t v)
{
    lwm2m_path_t p = lwm2m_path_make(4, o, i, r, ri);
    return sim_store_set(&dev->store, &p, &v);
}

static lwm2m_value_t sim_str(const char *s)
{
    return lwm2m_value_bytes(LWM2M_TYPE_STRING, s, strlen(s));
}

static lwm2m_value_t sim_exec(void)
{
    return lwm2m_value_none(LWM2M_TYPE_NONE);
}

/* Changes a value and tells observers (for values the device changes itself). */
static void sim_update(sim_device_t *dev, uint16_t o, uint16_t i, uint16_t r, lwm2m_value_t v)
{
    lwm2m_path_t p = lwm2m_path_make(3, o, i, r, 0);
    if (sim_store_set(&dev->store, &p, &v) == 0)
        sim_observe_changed(dev, &p);
}

static lwm2m_value_t sim_zero_value(lwm2m_type_t type)
{
    switch (type) {
    case LWM2M_TYPE_STRING:
    case LWM2M_TYPE_OPAQUE:
    case LWM2M_TYPE_CORELNK:
        return lwm2m_value_bytes(type, "", 0);
    case LWM2M_TYPE_UNSIGNED:
        return lwm2m_value_unsigned(0);
    case LWM2M_TYPE_FLOAT:
        return lwm2m_value_float(0);
    case LWM2M_TYPE_BOOLEAN:
        return lwm2m_value_boolean(false);
    case LWM2M_TYPE_OBJLNK:
        return lwm2m_value_objlnk(0, 0);
    case LWM2M_TYPE_TIME:
        return lwm2m_value_time(0);
    default:
        return lwm2m_value_integer(0);
    }
}

void sim_objects_instance_defaults(sim_device_t *dev, uint16_t obj, uint16_t inst)
{
    const lwm2m_object_def_t *o = lwm2m_model_object(dev->sim->model, obj);
    for (size_t k = 0; o && k < o->resource_count; k++) {
        const lwm2m_resource_def_t *r = &o->resources[k];
        if (r->type == LWM2M_TYPE_NONE)
            sim_set(dev, obj, inst, r->id, sim_exec());
        else if (r->mandatory && r->multiple)
            sim_set(dev, obj, inst, r->id, lwm2m_value_none(LWM2M_TYPE_MULTIPLE));
        else if (r->mandatory)
            sim_set(dev, obj, inst, r->id, sim_zero_value(r->type));
    }
    if (obj == 3303) {
        double t = inst == 0 ? 21.5 : 19.0 + inst;
        sim_set(dev, obj, inst, 5700, lwm2m_value_float(t));
        sim_set(dev, obj, inst, 5701, sim_str("Cel"));
        sim_set(dev, obj, inst, 5601, lwm2m_value_float(t));
        sim_set(dev, obj, inst, 5602, lwm2m_value_float(t));
        sim_set(dev, obj, inst, 5603, lwm2m_value_float(-40));
        sim_set(dev, obj, inst, 5604, lwm2m_value_float(85));
        sim_set(dev, obj, inst, 5750, sim_str(inst == 0 ? "indoor" : "outdoor"));
    }
}

static void sim_objects_server(sim_device_t *dev)
{
    const sim_options_t *opt = &dev->sim->opt;
    sim_set(dev, 1, 0, 0, lwm2m_value_integer(1));
    sim_set(dev, 1, 0, 1, lwm2m_value_integer(dev->lifetime));
    sim_set(dev, 1, 0, 2, lwm2m_value_integer(0));
    sim_set(dev, 1, 0, 4, sim_exec());
    sim_set(dev, 1, 0, 5, lwm2m_value_integer(86400));
    sim_set(dev, 1, 0, 6, lwm2m_value_boolean(true));
    sim_set(dev, 1, 0, 7, sim_str(opt->queue && opt->version_minor == 0 ? "UQ" : "U"));
    sim_set(dev, 1, 0, 8, sim_exec());
    if (opt->version_minor >= 2)
        sim_set(dev, 1, 0, 26, lwm2m_value_integer(opt->notify_con ? 1 : 0));
}

static void sim_objects_device(sim_device_t *dev)
{
    const sim_options_t *opt = &dev->sim->opt;
    char serial[32];
    snprintf(serial, sizeof(serial), "SIM%08u", dev->index);
    sim_set(dev, 3, 0, 0, sim_str("LMG Simulator"));
    sim_set(dev, 3, 0, 1, sim_str("lwm2m-sim"));
    sim_set(dev, 3, 0, 2, sim_str(serial));
    sim_set(dev, 3, 0, 3, sim_str("1.0.0"));
    sim_set(dev, 3, 0, 4, sim_exec());
    sim_set(dev, 3, 0, 5, sim_exec());
    sim_set_ri(dev, 3, 0, 6, 0, lwm2m_value_integer(1));
    sim_set_ri(dev, 3, 0, 6, 1, lwm2m_value_integer(5));
    sim_set_ri(dev, 3, 0, 7, 0, lwm2m_value_integer(3800));
    sim_set_ri(dev, 3, 0, 7, 1, lwm2m_value_integer(5000));
    sim_set_ri(dev, 3, 0, 8, 0, lwm2m_value_integer(125));
    sim_set_ri(dev, 3, 0, 8, 1, lwm2m_value_integer(900));
    sim_set(dev, 3, 0, 9, lwm2m_value_integer(87));
    sim_set(dev, 3, 0, 10, lwm2m_value_integer(512));
    sim_set_ri(dev, 3, 0, 11, 0, lwm2m_value_integer(0));
    sim_set(dev, 3, 0, 12, sim_exec());
    sim_set(dev, 3, 0, 13, lwm2m_value_time((int64_t)time(NULL)));
    sim_set(dev, 3, 0, 14, sim_str("+01:00"));
    sim_set(dev, 3, 0, 15, sim_str("Europe/Berlin"));
    sim_set(dev, 3, 0, 16, sim_str(opt->queue ? "UQ" : "U"));
    sim_set(dev, 3, 0, 17, sim_str("temperature sensor"));
    sim_set(dev, 3, 0, 18, sim_str("rev-B"));
    sim_set(dev, 3, 0, 19, sim_str("sim-" LMG_VERSION));
    sim_set(dev, 3, 0, 20, lwm2m_value_integer(0));
    sim_set(dev, 3, 0, 21, lwm2m_value_integer(1024));
}

static void sim_objects_firmware(sim_device_t *dev)
{
    sim_set(dev, 5, 0, 0, lwm2m_value_bytes(LWM2M_TYPE_OPAQUE, "", 0));
    sim_set(dev, 5, 0, 1, sim_str(""));
    sim_set(dev, 5, 0, 2, sim_exec());
    sim_set(dev, 5, 0, 3, lwm2m_value_integer(0));
    sim_set(dev, 5, 0, 5, lwm2m_value_integer(0));
    sim_set(dev, 5, 0, 6, sim_str(""));
    sim_set(dev, 5, 0, 7, sim_str(""));
    sim_set_ri(dev, 5, 0, 8, 0, lwm2m_value_integer(0));
    sim_set_ri(dev, 5, 0, 8, 1, lwm2m_value_integer(1));
    sim_set(dev, 5, 0, 9, lwm2m_value_integer(2));
    sim_set(dev, 5, 0, 10, sim_exec());
}

int sim_objects_init(sim_device_t *dev)
{
    sim_store_clear(&dev->store);
    static const sim_instance_id_t instances[] = {{1, 0}, {3, 0}, {5, 0}, {3303, 0}, {3303, 1}};
    for (size_t i = 0; i < sizeof(instances) / sizeof(instances[0]); i++) {
        int rc = sim_store_add_instance(&dev->store, instances[i].obj, instances[i].inst);
        if (rc < 0)
            return rc;
    }
    sim_objects_server(dev);
    sim_objects_device(dev);
    sim_objects_firmware(dev);
    sim_objects_instance_defaults(dev, 3303, 0);
    sim_objects_instance_defaults(dev, 3303, 1);
    sim_store_shrink(&dev->store);
    dev->time_offset = 0;
    return 0;
}

static int64_t sim_get_int(sim_device_t *dev, uint16_t o, uint16_t i, uint16_t r, int64_t dflt)
{
    lwm2m_path_t p = lwm2m_path_make(3, o, i, r, 0);
    const lwm2m_value_t *v = sim_store_get(&dev->store, &p);
    return v && (v->type == LWM2M_TYPE_INTEGER || v->type == LWM2M_TYPE_TIME) ? v->u.integer : dflt;
}

void sim_firmware_state(sim_device_t *dev, int64_t state, int64_t result)
{
    sim_update(dev, 5, 0, 3, lwm2m_value_integer(state));
    sim_update(dev, 5, 0, 5, lwm2m_value_integer(result));
    sim_event_t ev;
    sim_event_device(&ev, "firmware", dev);
    sim_event_int(&ev, "state", state);
    sim_event_int(&ev, "result", result);
    sim_event_end(&ev);
}

/* A new sensor value moves min/max and the timestamp. */
static void sim_sensor_changed(sim_device_t *dev, const lwm2m_path_t *path)
{
    const lwm2m_value_t *v = sim_store_get(&dev->store, path);
    double x;
    if (!v || !sim_value_numeric(v, &x))
        return;
    uint16_t o = path->id[0], i = path->id[1];
    lwm2m_path_t pmin = lwm2m_path_make(3, o, i, 5601, 0), pmax = lwm2m_path_make(3, o, i, 5602, 0);
    const lwm2m_value_t *lo = sim_store_get(&dev->store, &pmin);
    const lwm2m_value_t *hi = sim_store_get(&dev->store, &pmax);
    if (lo && lo->type == LWM2M_TYPE_FLOAT && x < lo->u.floating)
        sim_update(dev, o, i, 5601, lwm2m_value_float(x));
    if (hi && hi->type == LWM2M_TYPE_FLOAT && x > hi->u.floating)
        sim_update(dev, o, i, 5602, lwm2m_value_float(x));
    lwm2m_path_t ts = lwm2m_path_make(3, o, i, 5518, 0);
    if (sim_store_get(&dev->store, &ts))
        sim_update(dev, o, i, 5518, lwm2m_value_time((int64_t)time(NULL)));
}

void sim_client_after_write(sim_device_t *dev, const lwm2m_path_t *path)
{
    if (path->depth < 3)
        return;
    uint16_t o = path->id[0], r = path->id[2];
    const lwm2m_value_t *v = sim_store_get(&dev->store, path);
    if (o == 1 && r == 1 && v && v->type == LWM2M_TYPE_INTEGER && v->u.integer > 0) {
        dev->lifetime = (uint32_t)v->u.integer;
        dev->update_lt = true;
        dev->action = SIM_ACTION_UPDATE;
        dev->action_at = sim_now_ms() + SIM_ACTION_DELAY_MS;
    } else if (o == 1 && r == 7) {
        dev->update_binding = true;
        dev->action = SIM_ACTION_UPDATE;
        dev->action_at = sim_now_ms() + SIM_ACTION_DELAY_MS;
    } else if (o == 3 && r == 13 && v && v->type == LWM2M_TYPE_TIME) {
        dev->time_offset = v->u.integer - (int64_t)time(NULL);
    } else if (o == 5 && r == 0 && v) {
        if (v->u.bytes.len == 0)
            sim_firmware_state(dev, 0, 0);
        else
            sim_fw_received(dev, "push", v->u.bytes.data, v->u.bytes.len);
    } else if (o == 5 && r == 1 && v) {
        sim_fw_pull(dev, (const char *)v->u.bytes.data, v->u.bytes.len);
    } else if (o >= 3300 && o < 3400 && r == 5700) {
        sim_sensor_changed(dev, path);
    }
}

static uint8_t sim_execute_firmware(sim_device_t *dev, uint16_t r)
{
    int64_t state = sim_get_int(dev, 5, 0, 3, 0);
    if (r == 2) {
        if (state != 2)
            return SIM_CODE(4, 5);
        sim_firmware_state(dev, 3, 0);
        dev->action = SIM_ACTION_FW_UPDATE;
        dev->action_at = sim_now_ms() + 1000;
    } else if (r == 10) {
        sim_firmware_state(dev, 0, 10);
    }
    return SIM_CODE(2, 4);
}

uint8_t sim_client_execute(sim_device_t *dev, const lwm2m_path_t *path, const char *args,
                           size_t args_len)
{
    (void)args, (void)args_len;
    uint16_t o = path->id[0], i = path->id[1], r = path->id[2];
    int64_t at = sim_now_ms() + SIM_ACTION_DELAY_MS;
    if (o == 1 && r == 8) {
        dev->action = SIM_ACTION_UPDATE;
    } else if (o == 1 && r == 4) {
        dev->action = SIM_ACTION_DISABLE;
    } else if (o == 3 && r == 4) {
        dev->action = SIM_ACTION_REBOOT;
    } else if (o == 3 && r == 5) {
        dev->action = SIM_ACTION_FACTORY_RESET;
    } else if (o == 3 && r == 12) {
        sim_store_remove_resource(&dev->store, 3, 0, 11);
        sim_set_ri(dev, 3, 0, 11, 0, lwm2m_value_integer(0));
        lwm2m_path_t p = lwm2m_path_make(3, 3, 0, 11, 0);
        sim_observe_changed(dev, &p);
        return SIM_CODE(2, 4);
    } else if (o == 5) {
        return sim_execute_firmware(dev, r);
    } else if (r == 5605) {
        lwm2m_path_t p = lwm2m_path_make(3, o, i, 5700, 0);
        const lwm2m_value_t *v = sim_store_get(&dev->store, &p);
        if (v && v->type == LWM2M_TYPE_FLOAT) {
            double x = v->u.floating;
            sim_update(dev, o, i, 5601, lwm2m_value_float(x));
            sim_update(dev, o, i, 5602, lwm2m_value_float(x));
        }
        return SIM_CODE(2, 4);
    } else {
        return SIM_CODE(2, 4);
    }
    dev->action_at = at;
    return SIM_CODE(2, 4);
}

void sim_client_run_action(sim_device_t *dev)
{
    int action = dev->action;
    dev->action = SIM_ACTION_NONE;
    dev->action_at = 0;
    if (action == SIM_ACTION_UPDATE) {
        sim_client_update(dev);
    } else if (action == SIM_ACTION_FW_UPDATE) {
        lwm2m_path_t p = lwm2m_path_make(3, 5, 0, 7, 0);
        const lwm2m_value_t *v = sim_store_get(&dev->store, &p);
        char version[64] = "1.0.1";
        if (v && v->u.bytes.len > 0 && v->u.bytes.len < sizeof(version))
            snprintf(version, sizeof(version), "%s", (const char *)v->u.bytes.data);
        if (dev->fw_fail_result) { /* fwfail: back to Downloaded with the failure */
            sim_firmware_state(dev, 2, dev->fw_fail_result);
            dev->fw_fail_result = 0;
            return;
        }
        sim_update(dev, 3, 0, 3, sim_str(version));
        sim_firmware_state(dev, 0, 1);
        dev->update_objects = true;
        sim_client_update(dev);
    } else if (action != SIM_ACTION_NONE) {
        bool disable = action == SIM_ACTION_DISABLE;
        sim_event_t ev;
        sim_event_device(&ev, disable ? "disable" : "reboot", dev);
        sim_event_end(&ev);
        if (disable)
            sim_client_deregister(dev);
        sim_transport_abandon(dev, !disable, true);
        sim_observe_cancel_all(dev, disable ? "disable" : "reboot");
        if (action == SIM_ACTION_FACTORY_RESET) {
            sim_attrs_free(dev);
            sim_objects_init(dev);
        }
        if (!disable)
            dev->reg = SIM_REG_IDLE;
        int64_t wait = disable ? sim_get_int(dev, 1, 0, 5, 86400) * 1000 : 1000;
        dev->reboot_at = sim_now_ms() + wait;
    }
}

void sim_client_objects_changed(sim_device_t *dev)
{
    dev->update_objects = true;
    if (dev->action == SIM_ACTION_NONE) {
        dev->action = SIM_ACTION_UPDATE;
        dev->action_at = sim_now_ms() + SIM_ACTION_DELAY_MS;
    }
}
