/* notify.h - the systemd notify protocol (READY=1, STOPPING=1, WATCHDOG=1, STATUS=...) over
 * $NOTIFY_SOCKET, without libsystemd (OpenWrt has none). Does nothing when the variable is
 * unset. */
#ifndef LMG_NOTIFY_H
#define LMG_NOTIFY_H

#include <stdint.h>

/* Sends one state string, e.g. "READY=1\nSTATUS=serving". Returns 0, or a negative errno. */
int notify_send(const char *state);
/* The watchdog interval in ms from $WATCHDOG_USEC (for our pid), or 0 when not enabled. */
int64_t notify_watchdog_ms(void);

#endif
