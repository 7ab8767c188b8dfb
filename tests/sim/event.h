/* event.h - the simulator's event stream: one JSON object per line on stdout. */
#ifndef SIM_EVENT_H
#define SIM_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwm2m/buf.h"

/* An event under construction. Start with sim_event_begin, add members, then sim_event_end
 * writes the line and frees the buffer. */
typedef struct sim_event {
    lwm2m_buf_t buf;
} sim_event_t;

void sim_event_begin(sim_event_t *ev, const char *name);
void sim_event_str(sim_event_t *ev, const char *key, const char *value);
void sim_event_strn(sim_event_t *ev, const char *key, const char *value, size_t len);
void sim_event_int(sim_event_t *ev, const char *key, int64_t value);
void sim_event_uint(sim_event_t *ev, const char *key, uint64_t value);
void sim_event_double(sim_event_t *ev, const char *key, double value);
void sim_event_bool(sim_event_t *ev, const char *key, bool value);
/* Adds a CoAP code as "2.05". */
void sim_event_code(sim_event_t *ev, const char *key, uint8_t code);
void sim_event_hex(sim_event_t *ev, const char *key, const uint8_t *data, size_t len);
/* Adds already-serialised JSON text as the member's value. */
void sim_event_raw(sim_event_t *ev, const char *key, const char *json);
void sim_event_end(sim_event_t *ev);

/* Appends `len` bytes of `text` as a JSON string literal (quotes included). */
void sim_json_string(lwm2m_buf_t *out, const char *text, size_t len);

#endif
