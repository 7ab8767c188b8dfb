/* event.c - JSON lines on stdout. */
#include "event.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define SIM_EVENT_MAX (4u * 1024u * 1024u)

void sim_json_string(lwm2m_buf_t *out, const char *text, size_t len)
{
    lwm2m_buf_append_byte(out, '"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '"' || c == '\\') {
            lwm2m_buf_append_byte(out, '\\');
            lwm2m_buf_append_byte(out, c);
        } else if (c == '\n') {
            lwm2m_buf_append_str(out, "\\n");
        } else if (c < 0x20 || c == 0x7f) {
            lwm2m_buf_printf(out, "\\u%04x", c);
        } else {
            lwm2m_buf_append_byte(out, c);
        }
    }
    lwm2m_buf_append_byte(out, '"');
}

static void sim_event_key(sim_event_t *ev, const char *key)
{
    lwm2m_buf_append_byte(&ev->buf, ',');
    sim_json_string(&ev->buf, key, strlen(key));
    lwm2m_buf_append_byte(&ev->buf, ':');
}

void sim_event_begin(sim_event_t *ev, const char *name)
{
    lwm2m_buf_init(&ev->buf, SIM_EVENT_MAX);
    lwm2m_buf_append_str(&ev->buf, "{\"event\":");
    sim_json_string(&ev->buf, name, strlen(name));
}

void sim_event_str(sim_event_t *ev, const char *key, const char *value)
{
    sim_event_strn(ev, key, value ? value : "", value ? strlen(value) : 0);
}

void sim_event_strn(sim_event_t *ev, const char *key, const char *value, size_t len)
{
    sim_event_key(ev, key);
    sim_json_string(&ev->buf, value, len);
}

void sim_event_int(sim_event_t *ev, const char *key, int64_t value)
{
    sim_event_key(ev, key);
    lwm2m_buf_printf(&ev->buf, "%lld", (long long)value);
}

void sim_event_uint(sim_event_t *ev, const char *key, uint64_t value)
{
    sim_event_key(ev, key);
    lwm2m_buf_printf(&ev->buf, "%llu", (unsigned long long)value);
}

void sim_event_double(sim_event_t *ev, const char *key, double value)
{
    sim_event_key(ev, key);
    if (isfinite(value))
        lwm2m_buf_printf(&ev->buf, "%.17g", value);
    else
        lwm2m_buf_append_str(&ev->buf, "null");
}

void sim_event_bool(sim_event_t *ev, const char *key, bool value)
{
    sim_event_key(ev, key);
    lwm2m_buf_append_str(&ev->buf, value ? "true" : "false");
}

void sim_event_code(sim_event_t *ev, const char *key, uint8_t code)
{
    char text[16];
    snprintf(text, sizeof(text), "%u.%02u", (unsigned)(code >> 5), (unsigned)(code & 31));
    sim_event_str(ev, key, text);
}

void sim_event_hex(sim_event_t *ev, const char *key, const uint8_t *data, size_t len)
{
    sim_event_key(ev, key);
    lwm2m_buf_append_byte(&ev->buf, '"');
    for (size_t i = 0; i < len; i++)
        lwm2m_buf_printf(&ev->buf, "%02x", data[i]);
    lwm2m_buf_append_byte(&ev->buf, '"');
}

void sim_event_raw(sim_event_t *ev, const char *key, const char *json)
{
    sim_event_key(ev, key);
    lwm2m_buf_append_str(&ev->buf, json);
}

void sim_event_end(sim_event_t *ev)
{
    lwm2m_buf_append_str(&ev->buf, "}\n");
    if (ev->buf.data)
        fwrite(ev->buf.data, 1, ev->buf.len, stdout);
    lwm2m_buf_free(&ev->buf);
}
