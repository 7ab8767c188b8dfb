/* firmware.h - the MQTT side of firmware update jobs (LwM2M object 5): parsing the
 * firmware-update and firmware-cancel commands, the job's progress events and retained status,
 * the meanings of the Update Result resource, and the job record persisted by the gateway.
 * Pure: JSON in, JSON out. The job itself runs in gateway/firmware.c. */
#ifndef BRIDGE_FIRMWARE_H
#define BRIDGE_FIRMWARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bridge/bridge.h"

#define BRIDGE_FW_PACKAGE_MAX 256
#define BRIDGE_FW_ID_MAX 128

typedef enum bridge_fw_method {
    BRIDGE_FW_PUSH = 0, /* block-wise Write of the package to /5/0/0 */
    BRIDGE_FW_PULL = 1, /* the device downloads it from the gateway (URI written to /5/0/1) */
} bridge_fw_method_t;

const char *bridge_fw_method_name(bridge_fw_method_t method); /* "push", "pull" */

/* A firmware command from MQTT, validated. */
typedef struct bridge_fw_request {
    char endpoint[LWM2M_ENDPOINT_MAX + 1];
    char id[BRIDGE_FW_ID_MAX];           /* the job's name: the command's id */
    bool cancel;                         /* "op": "firmware-cancel" */
    char package[BRIDGE_FW_PACKAGE_MAX]; /* a plain file name in firmware.package_dir */
    char sha256[65];                     /* 64 lowercase hex digits */
    bridge_fw_method_t method;
    bool execute;       /* Execute /5/0/2 once the device has the package (default true) */
    uint32_t timeout_s; /* 0 = firmware.timeout */
} bridge_fw_request_t;

/* Where the answer to a command goes: its MQTT 5 Response Topic and Correlation Data (NULL /
 * 0: {root}/{ep}/response, no correlation). Borrowed from the command's message. */
typedef struct bridge_fw_reply {
    const char *topic;
    const uint8_t *correlation;
    size_t correlation_len;
} bridge_fw_reply_t;

/* Parses a command on {root}/{ep}/command whose "op" is "firmware-update" or
 * "firmware-cancel". Returns 1 with req filled, 0 when it is not one (another topic or op: the
 * caller hands it to bridge_parse_command), or a negative code when malformed: then the error
 * response (to reply, which may be NULL) is in `out`. */
int bridge_parse_firmware_command(bridge_t *b, const char *topic, const uint8_t *payload,
                                  size_t len, const bridge_fw_reply_t *reply,
                                  bridge_fw_request_t *req, bridge_out_t *out, int64_t wall_ms);

/* The answer to a firmware command, on the command's Response Topic (reply, may be NULL) or
 * {root}/{ep}/response: status "accepted" (code 0), or "error" with the CoAP-style code (400,
 * 404, 409, 413, 500, 503) and the reason. */
void bridge_firmware_response(bridge_t *b, const bridge_fw_request_t *req,
                              const bridge_fw_reply_t *reply, int code, const char *error,
                              int64_t wall_ms, bridge_out_t *out);

/* A job's progress: an event {"event":"firmware",...} on {root}/{ep}/event and the same
 * object, retained, on {root}/{ep}/firmware. */
typedef struct bridge_fw_progress {
    const char *job;
    const char *state; /* queued, downloading, downloaded, updating, success, failure, cancelled */
    bridge_fw_method_t method;
    int percent;         /* -1 = absent */
    int64_t bytes, size; /* -1 = absent */
    int result;          /* the device's Update Result (/5/0/5), -1 = absent */
    const char *error;   /* why a job failed, or NULL */
    bool final;          /* the job is over */
} bridge_fw_progress_t;

void bridge_firmware_progress(bridge_t *b, const char *endpoint, const bridge_fw_progress_t *p,
                              int64_t wall_ms, bridge_out_t *out);

/* The meaning of an Update Result value (LwM2M 1.1 object 5 resource 5), e.g. 5 ->
 * "Integrity check failure for new downloaded package"; "Unknown result" beyond 10. */
const char *bridge_firmware_result_text(int result);

/* What the gateway persists of a job (SQLite, as JSON text). */
typedef struct bridge_fw_record {
    bridge_fw_request_t req;
    char phase[16]; /* the job's phase name (gateway/firmware_job.h) */
    char token[33]; /* pull: the download name in the URI */
    int retries;    /* deliveries retried so far */
    int64_t deadline_wall_ms;
    int64_t size; /* package bytes */
} bridge_fw_record_t;

/* Returns malloc'ed JSON text, or NULL on ENOMEM. */
char *bridge_fw_record_json(const bridge_fw_record_t *rec);
/* Returns 0, or -400 when the text is not a valid record. */
int bridge_fw_record_parse(const char *text, bridge_fw_record_t *ret);

#endif
