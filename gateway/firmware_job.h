/* firmware_job.h - the state machine of one firmware update job, pure: what the device and the
 * gateway's requests report goes in, the next thing to do comes out. gateway/firmware.c does
 * the requests, files, timers and MQTT around it. */
#ifndef LMG_FIRMWARE_JOB_H
#define LMG_FIRMWARE_JOB_H

#include <stdbool.h>

typedef enum fw_phase {
    FW_QUEUED = 0,  /* waiting for a transfer slot (firmware.max_transfers) */
    FW_DELIVERING,  /* the package (push) or its URI (pull) is being written */
    FW_DOWNLOADING, /* the device has the URI and downloads (pull), or has the package (push) */
    FW_DOWNLOADED,  /* State 2: waiting for Execute's answer, or done when not executing */
    FW_UPDATING,    /* State 3: the device installs */
    FW_SUCCESS,     /* final */
    FW_FAILURE,     /* final */
    FW_CANCELLED,   /* final */
} fw_phase_t;

const char *fw_phase_name(fw_phase_t phase); /* "queued", "delivering", ... */
/* Returns 0 and the phase, or -1 for an unknown name. */
int fw_phase_from_name(const char *name, fw_phase_t *ret);
bool fw_phase_final(fw_phase_t phase);
/* Phases that hold a transfer slot. */
bool fw_phase_transfers(fw_phase_t phase);

typedef enum fw_action {
    FW_ACT_NONE = 0,
    FW_ACT_DELIVER, /* (re)send the package or the URI */
    FW_ACT_EXECUTE, /* Execute /5/0/2 */
    FW_ACT_FINISH,  /* the job reached a final phase: report it */
} fw_action_t;

/* How a request of the job ended. */
typedef enum fw_outcome {
    FW_OK = 0,    /* 2.xx */
    FW_TRANSIENT, /* timeout, reset, cancelled, expired, transport failure: worth a retry */
    FW_REFUSED,   /* an error code from the device */
} fw_outcome_t;

typedef struct fw_machine {
    fw_phase_t phase;
    bool execute;   /* Execute once downloaded */
    bool sent;      /* the current delivery went out: State reports are about it */
    bool executing; /* Execute sent and not yet answered with an error */
    int retries;    /* retries used */
    int max_retries;
    int result;      /* the device's Update Result behind a final phase, -1 none */
    char error[512]; /* why a job failed, "" none */
} fw_machine_t;

void fw_machine_init(fw_machine_t *m, bool execute, int max_retries);
/* A transfer slot is free: go deliver. */
fw_action_t fw_machine_start(fw_machine_t *m);
/* The delivery went out now (the gateway first waits for its observations of State and
 * Update Result: what the device reports before that is ignored). */
void fw_machine_sent(fw_machine_t *m);
/* The Write of the package or the URI ended (code: the CoAP code as 204, 404 ...). */
fw_action_t fw_machine_delivered(fw_machine_t *m, fw_outcome_t outcome, int code);
/* The Execute ended. */
fw_action_t fw_machine_executed(fw_machine_t *m, fw_outcome_t outcome, int code);
/* The device reported State (/5/0/3) or Update Result (/5/0/5); -1 = not in this report. */
fw_action_t fw_machine_device(fw_machine_t *m, int state, int result);
/* The job's deadline passed. */
fw_action_t fw_machine_timeout(fw_machine_t *m);
fw_action_t fw_machine_cancel(fw_machine_t *m);

#endif
