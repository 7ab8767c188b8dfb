/* log.h - the gateway's log: levels, to stderr (journald-aware) or syslog. One line per
 * meaningful event; libraries never log, the gateway logs once with context. */
#ifndef LMG_LOG_H
#define LMG_LOG_H

typedef enum log_level {
    LOG_LEVEL_ERROR = 3,
    LOG_LEVEL_WARNING = 4,
    LOG_LEVEL_NOTICE = 5,
    LOG_LEVEL_INFO = 6,
    LOG_LEVEL_DEBUG = 7,
} log_level_t;

/* Returns -1 for an unknown name. */
int log_level_from_name(const char *name);
/* target: "stderr" or "syslog". */
void log_open(const char *ident, const char *target, log_level_t level);
void log_set_level(log_level_t level);
int log_enabled(log_level_t level);
void log_close(void);

void log_msg(log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_LEVEL_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...)                                                                             \
    do {                                                                                           \
        if (log_enabled(LOG_LEVEL_DEBUG))                                                          \
            log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__);                                                 \
    } while (0)

#endif
