/* bootstrap.h - the Bootstrap-Server side of LwM2M bootstrap (Core §6.1): the messages that
 * provision one LwM2M server account on a device. Pure: it only builds the sequence
 * (Bootstrap-Discover of /0, then Bootstrap-Delete of /0 and /1, Bootstrap-Write of a Security
 * and a Server instance in TLV, Bootstrap-Finish); a transport sends the steps one after
 * another on the device's session. */
#ifndef LWM2M_BOOTSTRAP_H
#define LWM2M_BOOTSTRAP_H

#include <stddef.h>
#include <stdint.h>

#define LWM2M_BS_URI_MAX 255
#define LWM2M_BS_IDENTITY_MAX 64
#define LWM2M_BS_KEY_MAX 64
#define LWM2M_BS_PAYLOAD_MAX 512
#define LWM2M_BS_STEPS_MAX 5
/* Instances written: the Security instance the Bootstrap-Discover answer leaves free (the
 * bootstrap account's own instance survives Bootstrap-Delete of /0), by default /0/1 (the
 * bootstrap account conventionally keeps /0/0), and Server /1/0. */
#define LWM2M_BS_SECURITY_INSTANCE 1
#define LWM2M_BS_SERVER_INSTANCE 0

typedef enum lwm2m_bs_security_mode {
    LWM2M_BS_MODE_PSK = 0,
    LWM2M_BS_MODE_NOSEC = 3,
} lwm2m_bs_security_mode_t;

/* One server account to provision. */
typedef struct lwm2m_bs_account {
    const char *server_uri; /* "coaps://host:5684" */
    uint16_t short_server_id;
    uint32_t lifetime;   /* seconds */
    const char *binding; /* "U" */
    lwm2m_bs_security_mode_t mode;
    const uint8_t *identity; /* PSK identity (mode PSK) */
    size_t identity_len;
    const uint8_t *key; /* PSK secret (mode PSK) */
    size_t key_len;
    uint16_t security_instance; /* from lwm2m_bootstrap_security_instance() */
} lwm2m_bs_account_t;

typedef enum lwm2m_bs_method {
    LWM2M_BS_DISCOVER = 0, /* CoAP GET, Accept: link-format */
    LWM2M_BS_DELETE = 1,   /* CoAP DELETE */
    LWM2M_BS_WRITE,        /* CoAP PUT, TLV payload */
    LWM2M_BS_FINISH,       /* CoAP POST /bs */
} lwm2m_bs_method_t;

typedef struct lwm2m_bs_step {
    lwm2m_bs_method_t method;
    char uri[16]; /* "/0", "/0/1", "/bs" */
    uint8_t payload[LWM2M_BS_PAYLOAD_MAX];
    size_t payload_len;
} lwm2m_bs_step_t;

/* Fills steps (room for LWM2M_BS_STEPS_MAX) with the sequence for the account. Returns the
 * number of steps, or -400 when the account does not fit (URI, identity or key too long). */
int lwm2m_bootstrap_steps(const lwm2m_bs_account_t *account, lwm2m_bs_step_t *steps);

/* Whether a device's answer to a step lets the sequence go on (2.02 / 2.04; Bootstrap-Delete
 * of an absent object may also answer 4.04; any answer to Bootstrap-Discover, which LwM2M 1.0
 * devices may not implement). */
int lwm2m_bootstrap_step_ok(const lwm2m_bs_step_t *step, int code);

/* The Security instance to write the server account to, from the device's answer to
 * Bootstrap-Discover of /0 (link-format; NULL or unparsable = no answer): the lowest
 * instance ID that is not the bootstrap account's. The bootstrap account is the /0/x link
 * without an "ssid" attribute (LwM2M 1.1 §5.2.7.1: server accounts carry their Short Server
 * ID); without an answer, LWM2M_BS_SECURITY_INSTANCE. */
uint16_t lwm2m_bootstrap_security_instance(const char *links, size_t len);

#endif
