/* state.h - the gateway's persistent state in SQLite (WAL) under the state directory:
 * registrations (so devices keep their location across a restart), observation intents and
 * queued commands. Every change is its own committed transaction: a SIGKILL loses nothing
 * that was committed; synchronous=NORMAL means a power cut can lose the last moments of
 * changes but never corrupts the file. The schema is versioned and migrated on open. */
#ifndef LMG_STATE_H
#define LMG_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "lwm2m/server.h"

#define STATE_SCHEMA_VERSION 2

typedef struct state state_t;

/* Opens (creating the directory's database if needed) and migrates. NULL on failure with a
 * message in err. */
state_t *state_open(const char *dir, char *err, size_t errlen);
void state_close(state_t *state); /* NULL ok */

/* Times in a saved registration are wall-clock ms (monotonic time doesn't survive a reboot):
 * wall_offset_ms = wall-clock now - monotonic now. */
int state_save_registration(state_t *state, const lwm2m_registration_t *reg,
                            int64_t wall_offset_ms);
int state_delete_registration(state_t *state, const char *endpoint);
/* Calls fn for each saved registration with times converted back to monotonic, and the name
 * of its transport (peer.transport is NULL). The registration (and its object links) is only
 * valid during the call. Returns the count or a
 * negative errno. */
int state_load_registrations(state_t *state, int64_t wall_offset_ms,
                             void (*fn)(void *ctx, const lwm2m_registration_t *reg,
                                        const char *transport),
                             void *ctx);

/* Queued commands: the command as received (JSON text) for a sleeping device. */
typedef struct state_command {
    int64_t id;
    const char *endpoint;
    const char *command;     /* JSON */
    const char *reply_topic; /* MQTT 5 response topic or NULL */
    const uint8_t *correlation;
    size_t correlation_len;
    int64_t expires_wall_ms;
} state_command_t;

int state_add_command(state_t *state, const state_command_t *cmd, int64_t *ret_id);
int state_delete_command(state_t *state, int64_t id);
int state_load_commands(state_t *state, void (*fn)(void *ctx, const state_command_t *cmd),
                        void *ctx);

/* Observation intents: what the cloud (or a rule) asked to observe, re-established after a
 * restart and after every Register. */
typedef struct state_observation {
    const char *endpoint;
    const char *paths;      /* one path, or composite paths separated by ',' */
    const char *attributes; /* query text or "" */
    const char *origin;     /* "rule" or the command id */
} state_observation_t;

int state_add_observation(state_t *state, const state_observation_t *obs);
int state_delete_observation(state_t *state, const char *endpoint, const char *paths);
int state_delete_observations(state_t *state, const char *endpoint);
/* Calls fn for each intent of `endpoint` (every endpoint when NULL). */
int state_load_observations(state_t *state, const char *endpoint,
                            void (*fn)(void *ctx, const state_observation_t *obs), void *ctx);

/* Firmware update jobs (schema 2): one per endpoint, the job as JSON text written and read by
 * gateway/firmware.c; the text is only valid during the call. */
int state_save_firmware_job(state_t *state, const char *endpoint, const char *job, int64_t wall_ms);
int state_delete_firmware_job(state_t *state, const char *endpoint);
int state_load_firmware_jobs(state_t *state,
                             void (*fn)(void *ctx, const char *endpoint, const char *job),
                             void *ctx);

#endif
