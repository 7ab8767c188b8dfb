/* firmware_job.c - the firmware job state machine (see firmware_job.h). */
#include "firmware_job.h"

#include <stdio.h>
#include <string.h>

static const char *const phase_names[] = {"queued",   "delivering", "downloading", "downloaded",
                                          "updating", "success",    "failure",     "cancelled"};

const char *fw_phase_name(fw_phase_t phase)
{
    return (unsigned)phase < sizeof(phase_names) / sizeof(phase_names[0]) ? phase_names[phase]
                                                                          : "unknown";
}

int fw_phase_from_name(const char *name, fw_phase_t *ret)
{
    for (size_t i = 0; i < sizeof(phase_names) / sizeof(phase_names[0]); i++) {
        if (strcmp(name, phase_names[i]) == 0) {
            *ret = (fw_phase_t)i;
            return 0;
        }
    }
    return -1;
}

bool fw_phase_final(fw_phase_t phase)
{
    return phase == FW_SUCCESS || phase == FW_FAILURE || phase == FW_CANCELLED;
}

bool fw_phase_transfers(fw_phase_t phase)
{
    return phase == FW_DELIVERING || phase == FW_DOWNLOADING;
}

void fw_machine_init(fw_machine_t *m, bool execute, int max_retries)
{
    memset(m, 0, sizeof(*m));
    m->phase = FW_QUEUED;
    m->execute = execute;
    m->max_retries = max_retries;
    m->result = -1;
}

/* Ends the job: `what`, and the device's code when there is one. */
static fw_action_t fail(fw_machine_t *m, const char *what, int code)
{
    m->phase = FW_FAILURE;
    if (code)
        snprintf(m->error, sizeof(m->error), "%s: %d.%02d", what, code / 100, code % 100);
    else
        snprintf(m->error, sizeof(m->error), "%s", what);
    return FW_ACT_FINISH;
}

fw_action_t fw_machine_start(fw_machine_t *m)
{
    if (m->phase != FW_QUEUED)
        return FW_ACT_NONE;
    m->phase = FW_DELIVERING;
    m->sent = false;
    return FW_ACT_DELIVER;
}

void fw_machine_sent(fw_machine_t *m)
{
    m->sent = true;
}

fw_action_t fw_machine_delivered(fw_machine_t *m, fw_outcome_t outcome, int code)
{
    if (m->phase != FW_DELIVERING)
        return FW_ACT_NONE; /* the device's State already moved the job on */
    if (outcome == FW_OK) {
        m->phase = FW_DOWNLOADING;
        return FW_ACT_NONE;
    }
    if (outcome == FW_TRANSIENT && m->retries < m->max_retries) {
        m->retries++;
        m->sent = false;
        return FW_ACT_DELIVER;
    }
    if (outcome == FW_TRANSIENT)
        return fail(m, "delivery failed after every retry", 0);
    return fail(m, "the device refused the delivery", code);
}

fw_action_t fw_machine_executed(fw_machine_t *m, fw_outcome_t outcome, int code)
{
    if (fw_phase_final(m->phase))
        return FW_ACT_NONE;
    if (outcome == FW_OK) {
        if (m->phase == FW_DOWNLOADED)
            m->phase = FW_UPDATING;
        return FW_ACT_NONE;
    }
    m->executing = false;
    if (outcome == FW_TRANSIENT && m->retries < m->max_retries) {
        m->retries++;
        return FW_ACT_EXECUTE;
    }
    if (outcome == FW_TRANSIENT)
        return fail(m, "Execute Update failed after every retry", 0);
    return fail(m, "the device refused Execute Update", code);
}

/* Results 2..10 are failures. They count only once this job's delivery was acknowledged: the
 * value a device shows before that belongs to its previous update. */
static bool delivered(const fw_machine_t *m)
{
    return m->phase >= FW_DOWNLOADING && !fw_phase_final(m->phase);
}

fw_action_t fw_machine_device(fw_machine_t *m, int state, int result)
{
    if (fw_phase_final(m->phase) || m->phase == FW_QUEUED)
        return FW_ACT_NONE;
    if (m->phase == FW_DELIVERING && !m->sent)
        return FW_ACT_NONE; /* what the device shows from before this delivery */
    if (result >= 2 && delivered(m)) {
        m->phase = FW_FAILURE;
        m->result = result;
        snprintf(m->error, sizeof(m->error), "the device reported Update Result %d", result);
        return FW_ACT_FINISH;
    }
    if (result == 1 && (m->phase == FW_UPDATING || (m->phase == FW_DOWNLOADED && m->executing))) {
        m->phase = FW_SUCCESS;
        m->result = 1;
        return FW_ACT_FINISH;
    }
    switch (state) {
    case 1: /* Downloading */
        if (m->phase == FW_DELIVERING)
            m->phase = FW_DOWNLOADING;
        return FW_ACT_NONE;
    case 2: /* Downloaded */
        if (m->phase != FW_DELIVERING && m->phase != FW_DOWNLOADING && m->phase != FW_DOWNLOADED)
            return FW_ACT_NONE;
        m->phase = FW_DOWNLOADED;
        if (!m->execute) {
            m->phase = FW_SUCCESS;
            return FW_ACT_FINISH;
        }
        if (m->executing)
            return FW_ACT_NONE;
        m->executing = true;
        return FW_ACT_EXECUTE;
    case 3: /* Updating */
        if (m->phase == FW_DOWNLOADED || m->phase == FW_DOWNLOADING)
            m->phase = FW_UPDATING;
        return FW_ACT_NONE;
    default:
        return FW_ACT_NONE;
    }
}

fw_action_t fw_machine_timeout(fw_machine_t *m)
{
    if (fw_phase_final(m->phase))
        return FW_ACT_NONE;
    snprintf(m->error, sizeof(m->error), "timed out in phase %s", fw_phase_name(m->phase));
    m->phase = FW_FAILURE;
    return FW_ACT_FINISH;
}

fw_action_t fw_machine_cancel(fw_machine_t *m)
{
    if (fw_phase_final(m->phase))
        return FW_ACT_NONE;
    m->phase = FW_CANCELLED;
    snprintf(m->error, sizeof(m->error), "cancelled by command");
    return FW_ACT_FINISH;
}
