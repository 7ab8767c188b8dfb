/* loop.h - the gateway's single event loop: epoll over file descriptors, one timerfd for the
 * earliest deadline, signalfd for signals. Everything runs on the thread that calls loop_run. */
#ifndef LMG_LOOP_H
#define LMG_LOOP_H

#include <stdbool.h>
#include <stdint.h>

typedef struct loop loop_t;

/* Called when fd is readable (or has an error/hangup). */
typedef void (*loop_fd_fn)(void *ctx, int fd, uint32_t events);
/* Called on timer expiry. Returns the next deadline in ms (monotonic) or INT64_MAX for none. */
typedef int64_t (*loop_timer_fn)(void *ctx, int64_t now_ms);
typedef void (*loop_signal_fn)(void *ctx, int signo);

/* Blocks signals (SIGTERM, SIGINT, SIGHUP, SIGPIPE ignored) and creates the loop. NULL on
 * failure with errno set. */
loop_t *loop_new(void);
void loop_free(loop_t *loop); /* NULL ok */

int loop_add_fd(loop_t *loop, int fd, uint32_t events, loop_fd_fn fn, void *ctx);
int loop_mod_fd(loop_t *loop, int fd, uint32_t events);
int loop_del_fd(loop_t *loop, int fd);

/* Timers: a small fixed set of named timer sources (server tick, libcoap, MQTT stats...),
 * each with its own deadline; the loop arms the timerfd for the earliest. Returns an id. */
int loop_add_timer(loop_t *loop, loop_timer_fn fn, void *ctx);
void loop_set_deadline(loop_t *loop, int timer_id, int64_t deadline_ms);

int loop_on_signal(loop_t *loop, loop_signal_fn fn, void *ctx);

/* Runs until loop_stop. Returns 0, or a negative errno if epoll fails. */
int loop_run(loop_t *loop);
void loop_stop(loop_t *loop);

/* Monotonic milliseconds, and wall-clock milliseconds since the epoch. */
int64_t loop_now_ms(void);
int64_t loop_wall_ms(void);

#endif
