/* shared_socket.c - one UDP socket for many simulated devices (IPv4 only): each device has its
 * own source address in 127.0.0.0/8 and the same port; sendmsg() picks the source with
 * IP_PKTINFO and the destination address of each received datagram (IP_PKTINFO again) names
 * the device. Lifts the one-socket-per-device limit (open files) for load tests. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "sim.h"

#define SIM_SHARED_RCVBUF (8 * 1024 * 1024)

int sim_shared_open(sim_t *sim, const sim_addr_t *base)
{
    if (base->ss.ss_family != AF_INET || sim->opt.server.ss.ss_family != AF_INET)
        return -EAFNOSUPPORT;
    const struct sockaddr_in *b = (const void *)&base->ss;
    uint32_t first = ntohl(b->sin_addr.s_addr);
    if ((first >> 24) != 127 || first + sim->opt.count > 0x7FFFFFFFu)
        return -EADDRNOTAVAIL;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int on = 1, rcvbuf = SIM_SHARED_RCVBUF;
    struct sockaddr_in any = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY)};
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &sim->shared_fd};
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) < 0 ||
        bind(fd, (const struct sockaddr *)&any, sizeof(any)) < 0) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    socklen_t len = sizeof(any);
    if (getsockname(fd, (struct sockaddr *)&any, &len) < 0 ||
        epoll_ctl(sim->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    sim->shared_fd = fd;
    sim->shared_base = first;
    sim->shared_port = any.sin_port;
    return 0;
}

/* The device's own address: base + index, on the shared port. */
void sim_shared_local(const sim_t *sim, unsigned index, sim_addr_t *ret)
{
    struct sockaddr_in *a = (void *)&ret->ss;
    memset(ret, 0, sizeof(*ret));
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(sim->shared_base + index);
    a->sin_port = sim->shared_port;
    ret->len = sizeof(*a);
}

ssize_t sim_shared_send(const sim_device_t *dev, const sim_addr_t *peer, const uint8_t *data,
                        size_t len)
{
    const struct sockaddr_in *local = (const void *)&dev->local.ss;
    union {
        char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof(control));
    struct iovec iov = {.iov_base = (void *)data, .iov_len = len};
    struct msghdr msg = {.msg_name = (void *)&peer->ss,
                         .msg_namelen = peer->len,
                         .msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = control.buf,
                         .msg_controllen = sizeof(control.buf)};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = IPPROTO_IP;
    cm->cmsg_type = IP_PKTINFO;
    cm->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
    struct in_pktinfo info = {.ipi_spec_dst = local->sin_addr};
    memcpy(CMSG_DATA(cm), &info, sizeof(info));
    return sendmsg(dev->sim->shared_fd, &msg, 0);
}

/* The device a datagram was sent to, or NULL (not one of ours, or not from loopback). */
static sim_device_t *sim_shared_target(sim_t *sim, struct msghdr *msg, const sim_addr_t *peer)
{
    const struct sockaddr_in *from = (const void *)&peer->ss;
    if ((ntohl(from->sin_addr.s_addr) >> 24) != 127)
        return NULL;
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
        if (cm->cmsg_level != IPPROTO_IP || cm->cmsg_type != IP_PKTINFO)
            continue;
        struct in_pktinfo info;
        memcpy(&info, CMSG_DATA(cm), sizeof(info));
        uint32_t to = ntohl(info.ipi_addr.s_addr);
        if (to < sim->shared_base || to - sim->shared_base >= sim->count)
            return NULL;
        return &sim->devices[to - sim->shared_base];
    }
    return NULL;
}

void sim_shared_readable(sim_t *sim)
{
    static uint8_t buf[SIM_DATAGRAM_MAX];
    for (int i = 0; i < 256; i++) {
        union {
            char buf[CMSG_SPACE(sizeof(struct in_pktinfo)) + 64];
            struct cmsghdr align;
        } control;
        sim_addr_t peer = {.len = sizeof(peer.ss)};
        struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
        struct msghdr msg = {.msg_name = &peer.ss,
                             .msg_namelen = peer.len,
                             .msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = control.buf,
                             .msg_controllen = sizeof(control.buf)};
        ssize_t n = recvmsg(sim->shared_fd, &msg, 0);
        if (n < 0)
            return;
        peer.len = msg.msg_namelen;
        sim_device_t *dev = sim_shared_target(sim, &msg, &peer);
        if (dev) {
            sim_transport_datagram(dev, &peer, buf, (size_t)n);
            sim_reschedule(dev);
        }
    }
}
