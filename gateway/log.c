/* log.c - stderr / syslog logging. Under systemd (JOURNAL_STREAM set) stderr lines carry the
 * "<N>" priority prefix journald understands; on a terminal they carry a time and level. */
#include "log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

static log_level_t current_level = LOG_LEVEL_INFO;
static bool use_syslog;
static bool journal;

static const char *const level_names[] = {"",        "",       "",     "error",
                                          "warning", "notice", "info", "debug"};

int log_level_from_name(const char *name)
{
    for (int i = LOG_LEVEL_ERROR; i <= LOG_LEVEL_DEBUG; i++)
        if (strcmp(name, level_names[i]) == 0)
            return i;
    return -1;
}

void log_open(const char *ident, const char *target, log_level_t level)
{
    current_level = level;
    use_syslog = target && strcmp(target, "syslog") == 0;
    journal = getenv("JOURNAL_STREAM") != NULL;
    if (use_syslog)
        openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_set_level(log_level_t level)
{
    current_level = level;
}

int log_enabled(log_level_t level)
{
    return level <= current_level;
}

void log_close(void)
{
    if (use_syslog)
        closelog();
}

void log_msg(log_level_t level, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    if (level > current_level)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (use_syslog) {
        syslog((int)level, "%s", line);
    } else if (journal) {
        fprintf(stderr, "<%d>%s\n", (int)level, line);
    } else {
        char stamp[32];
        struct timespec ts;
        struct tm tm;
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
        fprintf(stderr, "%s.%03ldZ %s: %s\n", stamp, ts.tv_nsec / 1000000, level_names[level],
                line);
    }
}
