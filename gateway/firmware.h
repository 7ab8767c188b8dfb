/* firmware.h - firmware update jobs (LwM2M object 5), one per device: started and cancelled by
 * MQTT commands, delivered by push (block-wise Write of /5/0/0) or pull (the device downloads
 * GET /fw/<token> from the gateway's CoAP listeners, Block2), followed through the device's
 * State and Update Result (observed), reported on MQTT, persisted in the state store. The job
 * logic is firmware_job.c; this module does the requests, files, timers and persistence. */
#ifndef LMG_FIRMWARE_H
#define LMG_FIRMWARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwm2m/server.h"

struct app;
typedef struct firmware firmware_t;

/* Creates the job table, registers the download handler on the CoAP transport and a loop
 * timer, and restores the jobs persisted before a restart (call after the registrations were
 * restored). NULL on ENOMEM. */
firmware_t *firmware_new(struct app *app);
/* Frees every job without touching the devices or the state store (the jobs resume at the
 * next start). Call before the server is freed: its last results are then ignored. NULL ok. */
void firmware_free(firmware_t *fw);

/* A message on a command topic: true when it was a firmware command (answered here). */
bool firmware_on_mqtt(firmware_t *fw, const char *topic, const uint8_t *payload, size_t len,
                      const char *response_topic, const uint8_t *correlation,
                      size_t correlation_len);
/* A request ended: true when it was one of a job's (consumed). */
bool firmware_on_result(firmware_t *fw, const lwm2m_registration_t *reg,
                        const lwm2m_result_t *result);
/* A notification: a job's observation of State or Update Result. */
void firmware_on_notify(firmware_t *fw, const lwm2m_registration_t *reg, uint64_t request_id,
                        const lwm2m_nodes_t *nodes);
/* A device registered (again): a job waiting for it observes and delivers anew. */
void firmware_on_registered(firmware_t *fw, const lwm2m_registration_t *reg);

#endif
