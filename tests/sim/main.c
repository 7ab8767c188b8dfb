/* main.c - lwm2m-sim: command line, the device table, the timer heap and the epoll loop that
 * drives every simulated device, the control channel (stdin) and signals. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "event.h"
#include "lwm2m/codec.h"
#include "sim.h"

#define SIM_MAX_DEVICES 1000000u
static char sim_stdin_tag, sim_signal_tag;

int64_t sim_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- timer heap: devices ordered by their earliest deadline ---- */

static void sim_heap_swap(sim_t *sim, size_t a, size_t b)
{
    sim_device_t *t = sim->heap[a];
    sim->heap[a] = sim->heap[b];
    sim->heap[b] = t;
    sim->heap[a]->heap_pos = a;
    sim->heap[b]->heap_pos = b;
}

static void sim_heap_up(sim_t *sim, size_t i)
{
    while (i > 0 && sim->heap[(i - 1) / 2]->deadline > sim->heap[i]->deadline) {
        sim_heap_swap(sim, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static void sim_heap_down(sim_t *sim, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < sim->heap_len && sim->heap[l]->deadline < sim->heap[m]->deadline)
            m = l;
        if (r < sim->heap_len && sim->heap[r]->deadline < sim->heap[m]->deadline)
            m = r;
        if (m == i)
            return;
        sim_heap_swap(sim, i, m);
        i = m;
    }
}

static void sim_heap_remove(sim_t *sim, sim_device_t *dev)
{
    size_t i = dev->heap_pos;
    dev->heap_pos = SIZE_MAX;
    if (i == --sim->heap_len)
        return;
    sim->heap[i] = sim->heap[sim->heap_len];
    sim->heap[i]->heap_pos = i;
    sim_heap_up(sim, i);
    sim_heap_down(sim, i);
}

void sim_reschedule(sim_device_t *dev)
{
    sim_t *sim = dev->sim;
    sim_transport_compact(dev);
    int64_t t = sim_transport_deadline(dev), x;
    if ((x = sim_observe_deadline(dev)) < t)
        t = x;
    if ((x = sim_client_deadline(dev)) < t)
        t = x;
    if ((x = sim_block_deadline(dev)) < t)
        t = x;
    if (t == INT64_MAX) {
        if (dev->heap_pos != SIZE_MAX)
            sim_heap_remove(sim, dev);
        return;
    }
    dev->deadline = t;
    if (dev->heap_pos == SIZE_MAX) {
        dev->heap_pos = sim->heap_len;
        sim->heap[sim->heap_len++] = dev;
    }
    sim_heap_up(sim, dev->heap_pos);
    sim_heap_down(sim, dev->heap_pos);
}

sim_device_t *sim_find_device(sim_t *sim, const char *name)
{
    if (name[0] == '#') {
        uint64_t idx;
        if (lwm2m_parse_uint64(name + 1, strlen(name + 1), &idx) < 0 || idx >= sim->count)
            return NULL;
        return &sim->devices[idx];
    }
    for (size_t i = 0; i < sim->count; i++)
        if (strcmp(sim->devices[i].ep, name) == 0)
            return &sim->devices[i];
    return NULL;
}

static void sim_device_tick(sim_device_t *dev, int64_t now)
{
    sim_transport_tick(dev, now);
    sim_block_expire(dev, now);
    sim_observe_tick(dev, now);
    sim_client_tick(dev, now);
    sim_reschedule(dev);
    /* Whatever is still due is retried on the next turn, not in a busy loop. */
    if (dev->heap_pos != SIZE_MAX && dev->deadline <= now) {
        dev->deadline = now + 1;
        sim_heap_down(dev->sim, dev->heap_pos);
    }
}

/* ---- set-up and the loop ---- */

static int sim_check_fd_limit(const sim_options_t *opt)
{
    unsigned count = opt->shared_socket ? 1 : opt->count;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        (rlim_t)count + 32 > rl.rlim_cur) {
        fprintf(stderr,
                "lwm2m-sim: %u devices need %u sockets but the open-files limit is %llu "
                "(one socket per device: use --shared-socket)\n",
                count, count + 32, (unsigned long long)rl.rlim_cur);
        return -1;
    }
    return 0;
}

static int sim_setup_devices(sim_t *sim)
{
    sim_addr_t local;
    if (sim_resolve(sim->opt.bind, "0", sim->opt.server.ss.ss_family, &local) < 0) {
        fprintf(stderr, "lwm2m-sim: --bind %s: not an address of the server's family\n",
                sim->opt.bind);
        return -1;
    }
    int rc = sim->opt.shared_socket ? sim_shared_open(sim, &local) : 0;
    if (rc < 0) {
        fprintf(stderr,
                "lwm2m-sim: --shared-socket needs IPv4 and a --bind base address in "
                "127.0.0.0/8 (%s)\n",
                strerror(-rc));
        return -1;
    }
    sim->count = sim->opt.count;
    sim->devices = calloc(sim->count, sizeof(*sim->devices));
    sim->heap = calloc(sim->count, sizeof(*sim->heap));
    if (!sim->devices || !sim->heap)
        return -1;
    for (size_t i = 0; i < sim->count; i++) {
        sim_device_t *dev = &sim->devices[i];
        dev->sim = sim;
        dev->index = (unsigned)i;
        dev->fd = -1;
        dev->heap_pos = SIZE_MAX;
        dev->local = local;
        snprintf(dev->ep, sizeof(dev->ep), "%s%zu", sim->opt.prefix, i);
        sim_store_init(&dev->store, sim->opt.max_body * 2 + 65536);
        sim_client_init_device(dev);
        rc = sim_objects_init(dev);
        if (rc == 0)
            rc = sim_transport_open(dev);
        if (rc < 0) {
            fprintf(stderr, "lwm2m-sim: device %zu: cannot set up (%s)\n", i, strerror(-rc));
            return -1;
        }
    }
    return 0;
}

static void sim_free_devices(sim_t *sim)
{
    for (size_t i = 0; sim->devices && i < sim->count; i++) {
        sim_device_t *dev = &sim->devices[i];
        sim_observe_cancel_all(dev, NULL);
        sim_transport_free(dev);
        sim_transport_close(dev);
        sim_block_free(dev);
        sim_fw_free(dev);
        sim_attrs_free(dev);
        sim_store_clear(&dev->store);
    }
    free(sim->devices);
    free(sim->heap);
    if (sim->shared_fd >= 0)
        close(sim->shared_fd);
}

/* Starts registrations, all at once or --register-rate per second. Returns the next time. */
static int64_t sim_auto_register(sim_t *sim, int64_t now)
{
    if (sim->opt.no_register || sim->next_auto_register >= sim->count)
        return INT64_MAX;
    while (sim->next_auto_register < sim->count) {
        int64_t due =
            sim->opt.register_rate
                ? sim->start_ms + (int64_t)(sim->next_auto_register * 1000 / sim->opt.register_rate)
                : now;
        if (due > now)
            return due;
        sim_device_t *dev = &sim->devices[sim->next_auto_register++];
        sim_client_register(dev);
        sim_reschedule(dev);
    }
    return INT64_MAX;
}

/* Reads and runs complete command lines. Returns false at end of input. */
static bool sim_read_stdin(sim_t *sim)
{
    ssize_t n =
        read(STDIN_FILENO, sim->line + sim->line_len, sizeof(sim->line) - 1 - sim->line_len);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        epoll_ctl(sim->epfd, EPOLL_CTL_DEL, STDIN_FILENO, NULL);
        if (!sim->opt.keep_running)
            sim->quit = true;
        return false;
    }
    if (n < 0)
        return true;
    sim->line_len += (size_t)n;
    char *start = sim->line, *nl;
    while ((nl = memchr(start, '\n', sim->line_len - (size_t)(start - sim->line)))) {
        *nl = '\0';
        sim_control_line(sim, start);
        start = nl + 1;
    }
    sim->line_len -= (size_t)(start - sim->line);
    memmove(sim->line, start, sim->line_len);
    if (sim->line_len == sizeof(sim->line) - 1) {
        sim_emit_error(NULL, "control", "command line too long");
        sim->line_len = 0;
    }
    return true;
}

static int sim_setup_loop(sim_t *sim, int *ret_sigfd)
{
    sim->epfd = epoll_create1(EPOLL_CLOEXEC);
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    signal(SIGPIPE, SIG_IGN);
    int sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &sim_signal_tag};
    if (sim->epfd < 0 || sigfd < 0 || epoll_ctl(sim->epfd, EPOLL_CTL_ADD, sigfd, &ev) < 0)
        return -1;
    *ret_sigfd = sigfd;
    return 0;
}

static void sim_setup_stdin(sim_t *sim)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &sim_stdin_tag};
    fcntl(STDIN_FILENO, F_SETFL, fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK);
    if (epoll_ctl(sim->epfd, EPOLL_CTL_ADD, STDIN_FILENO, &ev) < 0) {
        /* A regular file or /dev/null can't be polled: run its commands now. */
        while (!sim->quit && sim_read_stdin(sim))
            ;
    }
}

static void sim_run(sim_t *sim)
{
    struct epoll_event events[256];
    while (!sim->quit) {
        int64_t now = sim_now_ms();
        for (int i = 0; i < 4096 && sim->heap_len && sim->heap[0]->deadline <= now; i++)
            sim_device_tick(sim->heap[0], now);
        int64_t next = sim_auto_register(sim, now);
        if (sim->heap_len && sim->heap[0]->deadline < next)
            next = sim->heap[0]->deadline;
        int64_t wait = next == INT64_MAX ? 1000 : next - sim_now_ms();
        wait = wait < 0 ? 0 : wait > 1000 ? 1000 : wait;
        int n = epoll_wait(sim->epfd, events, 256, (int)wait);
        for (int i = 0; i < n && !sim->quit; i++) {
            void *tag = events[i].data.ptr;
            if (tag == &sim_stdin_tag)
                sim_read_stdin(sim);
            else if (tag == &sim_signal_tag)
                sim->quit = true;
            else if (tag == &sim->shared_fd)
                sim_shared_readable(sim);
            else
                sim_transport_readable(tag, sim_now_ms());
        }
    }
}

int main(int argc, char **argv)
{
    static sim_t sim = {.shared_fd = -1, .epfd = -1};
    setvbuf(stdout, NULL, _IOLBF, 0);
    srandom((unsigned)time(NULL) ^ (unsigned)getpid());
    if (sim_options_parse(&sim.opt, argc, argv) < 0)
        return 2;
    sim_msg_library_init();
    int sigfd = -1, rc = 1;
    sim.start_ms = sim_now_ms();
    sim.model = lwm2m_model_new_builtin();
    if (sim.model && sim_check_fd_limit(&sim.opt) == 0 && sim_setup_loop(&sim, &sigfd) == 0 &&
        sim_setup_devices(&sim) == 0) {
        sim_event_t ev;
        sim_event_begin(&ev, "started");
        sim_event_uint(&ev, "devices", sim.count);
        sim_event_str(&ev, "server", sim.opt.server_text);
        sim_event_str(&ev, "version",
                      sim.opt.version_minor == 0   ? "1.0"
                      : sim.opt.version_minor == 1 ? "1.1"
                                                   : "1.2");
        sim_event_end(&ev);
        sim_setup_stdin(&sim);
        sim_run(&sim);
        rc = 0;
    }
    sim_free_devices(&sim);
    lwm2m_model_free(sim.model);
    if (sigfd >= 0)
        close(sigfd);
    if (sim.epfd >= 0)
        close(sim.epfd);
    return rc;
}
