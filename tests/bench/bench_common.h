/* bench_common.h - helpers shared by the benchmark programs: a monotonic clock, address
 * parsing, and a process's RSS and CPU time from /proc. */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <netinet/in.h>
#include <stdint.h>

int64_t bench_now_us(void);
/* "127.0.0.1:5683" into ret; 0 or -1. */
int bench_parse_addr(const char *text, struct sockaddr_in *ret);
/* VmRSS of pid in kB, or -1. */
long bench_rss_kb(int pid);
/* utime + stime of pid in seconds, or -1. */
double bench_cpu_seconds(int pid);

#endif
