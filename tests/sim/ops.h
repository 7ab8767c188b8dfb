/* ops.h - internal interface between the operation handlers (ops.c, ops_write.c). */
#ifndef SIM_OPS_H
#define SIM_OPS_H

#include <stdio.h>

#include "lwm2m/error.h"
#include "sim.h"

/* The CoAP code for a handler result: 0 gives 2.04, a negated code its code. */
uint8_t sim_ops_code(int rc);
/* Sets an error answer (no body). */
void sim_ops_fail(sim_reply_t *reply, int rc);
/* Whether the path names one value (a single-instance resource or a resource instance). */
bool sim_ops_single_value(const sim_device_t *dev, const lwm2m_path_t *path);
void sim_ops_codec_error(sim_device_t *dev, const char *what, int rc, const lwm2m_error_t *err);

/* Write (PUT replace / POST partial update) on an instance, resource or resource instance. */
void sim_op_write(sim_device_t *dev, const sim_msg_t *msg, const lwm2m_path_t *path, bool replace,
                  const uint8_t *payload, size_t len, sim_reply_t *reply);
/* Create (POST on an object); instance 65535 or none lets the device choose. */
void sim_op_create(sim_device_t *dev, const sim_msg_t *msg, const lwm2m_path_t *path,
                   const uint8_t *payload, size_t len, sim_reply_t *reply);
/* Write-Composite (iPATCH). */
void sim_op_write_composite(sim_device_t *dev, const sim_msg_t *msg, const uint8_t *payload,
                            size_t len, sim_reply_t *reply);

#endif
