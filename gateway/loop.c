/* loop.c - epoll + timerfd + signalfd event loop. */
#include "loop.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define LOOP_MAX_FDS 256
#define LOOP_MAX_TIMERS 16

typedef struct loop_source {
    int fd;
    loop_fd_fn fn;
    void *ctx;
} loop_source_t;

typedef struct loop_timer {
    loop_timer_fn fn;
    void *ctx;
    int64_t deadline;
} loop_timer_t;

struct loop {
    int epfd, timerfd, sigfd;
    loop_source_t sources[LOOP_MAX_FDS];
    size_t source_count;
    loop_timer_t timers[LOOP_MAX_TIMERS];
    size_t timer_count;
    int64_t armed; /* deadline the timerfd is armed for, INT64_MAX when disarmed */
    loop_signal_fn on_signal;
    void *signal_ctx;
    bool stop;
};

int64_t loop_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t loop_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

loop_t *loop_new(void)
{
    loop_t *loop = calloc(1, sizeof(*loop));
    sigset_t set;
    if (!loop)
        return NULL;
    loop->armed = INT64_MAX;
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, NULL);
    loop->epfd = epoll_create1(EPOLL_CLOEXEC);
    loop->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    loop->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (loop->epfd < 0 || loop->timerfd < 0 || loop->sigfd < 0) {
        int e = errno;
        loop_free(loop);
        errno = e;
        return NULL;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = loop->timerfd};
    epoll_ctl(loop->epfd, EPOLL_CTL_ADD, loop->timerfd, &ev);
    ev.data.fd = loop->sigfd;
    epoll_ctl(loop->epfd, EPOLL_CTL_ADD, loop->sigfd, &ev);
    return loop;
}

void loop_free(loop_t *loop)
{
    if (!loop)
        return;
    if (loop->epfd >= 0)
        close(loop->epfd);
    if (loop->timerfd >= 0)
        close(loop->timerfd);
    if (loop->sigfd >= 0)
        close(loop->sigfd);
    free(loop);
}

int loop_add_fd(loop_t *loop, int fd, uint32_t events, loop_fd_fn fn, void *ctx)
{
    if (loop->source_count >= LOOP_MAX_FDS)
        return -ENOSPC;
    struct epoll_event ev = {.events = events, .data.fd = fd};
    if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
        return -errno;
    loop->sources[loop->source_count++] = (loop_source_t){fd, fn, ctx};
    return 0;
}

int loop_mod_fd(loop_t *loop, int fd, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.fd = fd};
    return epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

int loop_del_fd(loop_t *loop, int fd)
{
    for (size_t i = 0; i < loop->source_count; i++) {
        if (loop->sources[i].fd == fd) {
            loop->sources[i] = loop->sources[--loop->source_count];
            epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
            return 0;
        }
    }
    return -ENOENT;
}

int loop_add_timer(loop_t *loop, loop_timer_fn fn, void *ctx)
{
    if (loop->timer_count >= LOOP_MAX_TIMERS)
        return -ENOSPC;
    loop->timers[loop->timer_count] = (loop_timer_t){fn, ctx, INT64_MAX};
    return (int)loop->timer_count++;
}

static void loop_arm(loop_t *loop)
{
    int64_t next = INT64_MAX;
    for (size_t i = 0; i < loop->timer_count; i++)
        if (loop->timers[i].deadline < next)
            next = loop->timers[i].deadline;
    if (next == loop->armed)
        return;
    struct itimerspec its;
    memset(&its, 0, sizeof(its));
    if (next != INT64_MAX) {
        int64_t at = next > 0 ? next : 1; /* 0 would disarm */
        its.it_value.tv_sec = at / 1000;
        its.it_value.tv_nsec = (at % 1000) * 1000000;
    }
    timerfd_settime(loop->timerfd, TFD_TIMER_ABSTIME, &its, NULL);
    loop->armed = next;
}

void loop_set_deadline(loop_t *loop, int timer_id, int64_t deadline_ms)
{
    if (timer_id < 0 || (size_t)timer_id >= loop->timer_count)
        return;
    loop->timers[timer_id].deadline = deadline_ms;
    loop_arm(loop);
}

int loop_on_signal(loop_t *loop, loop_signal_fn fn, void *ctx)
{
    loop->on_signal = fn;
    loop->signal_ctx = ctx;
    return 0;
}

static void loop_run_timers(loop_t *loop)
{
    uint64_t expirations;
    while (read(loop->timerfd, &expirations, sizeof(expirations)) > 0) {
    }
    loop->armed = INT64_MAX;
    int64_t now = loop_now_ms();
    for (size_t i = 0; i < loop->timer_count; i++) {
        loop_timer_t *t = &loop->timers[i];
        if (t->deadline <= now) {
            t->deadline = INT64_MAX;
            int64_t next = t->fn(t->ctx, now);
            if (next < t->deadline)
                t->deadline = next;
        }
    }
    loop_arm(loop);
}

static void loop_run_signals(loop_t *loop)
{
    struct signalfd_siginfo si;
    while (read(loop->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
        if (loop->on_signal)
            loop->on_signal(loop->signal_ctx, (int)si.ssi_signo);
}

int loop_run(loop_t *loop)
{
    struct epoll_event events[64];
    loop->stop = false;
    while (!loop->stop) {
        int n = epoll_wait(loop->epfd, events, 64, -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        for (int i = 0; i < n && !loop->stop; i++) {
            int fd = events[i].data.fd;
            if (fd == loop->timerfd) {
                loop_run_timers(loop);
                continue;
            }
            if (fd == loop->sigfd) {
                loop_run_signals(loop);
                continue;
            }
            for (size_t k = 0; k < loop->source_count; k++) {
                if (loop->sources[k].fd == fd) {
                    loop->sources[k].fn(loop->sources[k].ctx, fd, events[i].events);
                    break;
                }
            }
        }
    }
    return 0;
}

void loop_stop(loop_t *loop)
{
    loop->stop = true;
}
