/* outbox.c - bounded, ordered, persistent buffer of unacknowledged messages (see outbox.h for
 * the contract, the log format and the fsync policy). */
#include "mqtt/outbox.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_NAME "outbox.log"
#define TMP_NAME "outbox.log.tmp"
#define LOCK_NAME "outbox.lock"
#define FILE_MAGIC "LMGOBX1\n" /* 8 bytes */
#define FILE_HEADER_LEN 8u
#define RECORD_MAGIC 0x524f424cu /* "LBOR" little-endian */
#define RECORD_HEADER_LEN 24u
#define RECORD_MESSAGE 1u
#define RECORD_REMOVE 2u
#define MAX_STR 65535u
#define MAX_BODY (256u * 1024u * 1024u) /* refuse absurd lengths read from a damaged log */
#define REWRITE_SLACK (256u * 1024u)    /* dead bytes tolerated before a rewrite */

struct mqtt_outbox {
    mqtt_outbox_options_t opts;
    char *dir; /* NULL: memory only */
    int fd;    /* the log, -1 when memory only */
    int lock_fd;
    uint64_t file_size;
    uint64_t live_record_bytes; /* sum of record_len of live entries */
    mqtt_outbox_entry_t *head, *tail;
    size_t count, bytes, inflight;
    uint64_t next_seq;
    bool need_rewrite; /* a failed write left the log unusable until rewritten */
    unsigned rewrite_backoff;
    mqtt_outbox_stats_t st;
};

/* ---- encoding ---------------------------------------------------------------------------- */

static uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t n)
{
    /* Nibble-table CRC-32 (IEEE 802.3, reflected): small and fast enough for a log. */
    static const uint32_t t[16] = {
        0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4,
        0x4db26158, 0x5005713c, 0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
        0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
    };
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc = (crc >> 4) ^ t[(crc ^ p[i]) & 0x0f];
        crc = (crc >> 4) ^ t[(crc ^ (uint32_t)(p[i] >> 4)) & 0x0f];
    }
    return ~crc;
}

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static size_t str_len(const char *s)
{
    return s ? strlen(s) : 0;
}

static size_t body_len(const mqtt_message_t *m)
{
    return 2 + str_len(m->topic) + 2 + str_len(m->response_topic) + 2 + m->correlation_len + 2 +
           str_len(m->content_type) + 4 + m->len;
}

static uint8_t *put_field(uint8_t *p, const void *data, size_t len, unsigned width)
{
    put_le(p, len, width);
    if (len)
        memcpy(p + width, data, len);
    return p + width + len;
}

/* Writes a whole record (header + body) into out, which has room for RECORD_HEADER_LEN plus
 * body_len(m) bytes (m NULL: a REMOVE record). */
static void encode_record(uint8_t *out, unsigned type, uint64_t seq, const mqtt_message_t *m)
{
    size_t blen = m ? body_len(m) : 0;
    put_le(out, RECORD_MAGIC, 4);
    out[4] = (uint8_t)type;
    out[5] = m ? (uint8_t)((m->qos & 3) | (m->retain ? 4 : 0)) : 0;
    put_le(out + 6, 0, 2);
    put_le(out + 8, seq, 8);
    put_le(out + 16, blen, 4);
    if (m) {
        uint8_t *p = out + RECORD_HEADER_LEN;
        p = put_field(p, m->topic, str_len(m->topic), 2);
        p = put_field(p, m->response_topic, str_len(m->response_topic), 2);
        p = put_field(p, m->correlation, m->correlation_len, 2);
        p = put_field(p, m->content_type, str_len(m->content_type), 2);
        put_field(p, m->payload, m->len, 4);
    }
    uint32_t crc = crc32_update(0, out + 4, 16);
    crc = crc32_update(crc, out + RECORD_HEADER_LEN, blen);
    put_le(out + 20, crc, 4);
}

/* ---- entries ----------------------------------------------------------------------------- */

static bool message_valid(const mqtt_message_t *m)
{
    size_t tl = str_len(m->topic);
    return tl > 0 && tl <= MAX_STR && (m->qos == 1 || m->qos == 2) && (m->payload || m->len == 0) &&
           m->len <= UINT32_MAX && str_len(m->response_topic) <= MAX_STR &&
           m->correlation_len <= MAX_STR && (m->correlation || m->correlation_len == 0) &&
           str_len(m->content_type) <= MAX_STR;
}

static size_t message_size(const mqtt_message_t *m)
{
    return str_len(m->topic) + m->len + str_len(m->response_topic) + m->correlation_len +
           str_len(m->content_type);
}

static char *copy_str(char **cursor, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = memcpy(*cursor, s, n);
    *cursor += n;
    return d;
}

/* One allocation holds the entry and copies of all its strings and bytes. */
static mqtt_outbox_entry_t *entry_new(const mqtt_message_t *m, uint64_t seq)
{
    size_t extra = str_len(m->topic) + 1 + m->len + 1 + str_len(m->response_topic) + 1 +
                   m->correlation_len + str_len(m->content_type) + 1;
    mqtt_outbox_entry_t *e = calloc(1, sizeof(*e) + extra);
    if (!e)
        return NULL;
    char *cur = (char *)(e + 1);
    e->msg = *m;
    e->msg.topic = copy_str(&cur, m->topic);
    e->msg.response_topic = copy_str(&cur, m->response_topic);
    e->msg.content_type = copy_str(&cur, m->content_type);
    if (m->len)
        memcpy(cur, m->payload, m->len);
    e->msg.payload = cur;
    cur += m->len + 1;
    if (m->correlation_len)
        memcpy(cur, m->correlation, m->correlation_len);
    e->msg.correlation = m->correlation_len ? cur : NULL;
    e->seq = seq;
    e->size = message_size(m);
    e->record_len = RECORD_HEADER_LEN + body_len(m);
    return e;
}

static void link_tail(mqtt_outbox_t *ob, mqtt_outbox_entry_t *e)
{
    e->prev = ob->tail;
    e->next = NULL;
    if (ob->tail)
        ob->tail->next = e;
    else
        ob->head = e;
    ob->tail = e;
    ob->count++;
    ob->bytes += e->size;
    ob->live_record_bytes += e->record_len;
}

static void unlink_free(mqtt_outbox_t *ob, mqtt_outbox_entry_t *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        ob->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        ob->tail = e->prev;
    ob->count--;
    ob->bytes -= e->size;
    ob->live_record_bytes -= e->record_len;
    if (e->inflight)
        ob->inflight--;
    free(e);
}

/* ---- the log ----------------------------------------------------------------------------- */

static char *path_join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + 1 + strlen(name) + 1;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static int write_all(int fd, const uint8_t *buf, size_t len, uint64_t off)
{
    while (len > 0) {
        ssize_t n = pwrite(fd, buf, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -errno : -EIO;
        buf += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return 0;
}

static void note_error(mqtt_outbox_t *ob, int rc)
{
    ob->st.write_errors++;
    ob->st.last_errno = -rc;
}

static int sync_dir(const char *dir)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -errno;
    int rc = fsync(dfd) < 0 ? -errno : 0;
    close(dfd);
    return rc;
}

/* Writes the file header and every live entry into a new file that replaces the log. */
static int log_rewrite(mqtt_outbox_t *ob)
{
    char *tmp = path_join(ob->dir, TMP_NAME), *path = path_join(ob->dir, LOG_NAME);
    int rc = -ENOMEM, fd = -1;
    uint8_t *buf = NULL;
    if (!tmp || !path)
        goto out;
    fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = -errno;
        goto out;
    }
    uint64_t off = FILE_HEADER_LEN;
    rc = write_all(fd, (const uint8_t *)FILE_MAGIC, FILE_HEADER_LEN, 0);
    for (mqtt_outbox_entry_t *e = ob->head; e && rc == 0; e = e->next) {
        uint8_t *nb = realloc(buf, e->record_len);
        if (!nb) {
            rc = -ENOMEM;
            break;
        }
        buf = nb;
        encode_record(buf, RECORD_MESSAGE, e->seq, &e->msg);
        rc = write_all(fd, buf, e->record_len, off);
        off += e->record_len;
    }
    if (rc == 0 && fsync(fd) < 0)
        rc = -errno;
    if (rc == 0 && rename(tmp, path) < 0)
        rc = -errno;
    if (rc == 0) {
        /* Renamed: the new file is the log now, whatever happens to the directory's fsync. */
        if (ob->fd >= 0)
            close(ob->fd);
        ob->fd = fd;
        fd = -1;
        ob->file_size = off;
        ob->need_rewrite = false;
        ob->st.rewrites++;
        int src = sync_dir(ob->dir);
        if (src < 0)
            note_error(ob, src);
    } else {
        unlink(tmp);
    }
out:
    if (fd >= 0)
        close(fd);
    free(buf);
    free(tmp);
    free(path);
    return rc;
}

/* Appends one record; on a short or failed write, cuts the file back so that later records
 * are not hidden behind a torn one. */
static void log_append(mqtt_outbox_t *ob, unsigned type, uint64_t seq, const mqtt_message_t *m)
{
    if (!ob->dir)
        return; /* memory only */
    if (ob->need_rewrite) {
        /* Retry the rewrite now and then, not on every call: it costs the whole outbox. */
        if (ob->rewrite_backoff++ % 64 != 0)
            return;
        int rc = log_rewrite(ob);
        if (rc < 0)
            note_error(ob, rc);
        return; /* on success the rewrite already holds every live message */
    }
    size_t len = RECORD_HEADER_LEN + (m ? body_len(m) : 0);
    uint8_t *buf = malloc(len);
    if (!buf) {
        note_error(ob, -ENOMEM);
        ob->need_rewrite = true;
        return;
    }
    encode_record(buf, type, seq, m);
    int rc = write_all(ob->fd, buf, len, ob->file_size);
    free(buf);
    if (rc == 0 && ob->opts.sync == MQTT_OUTBOX_SYNC_ALWAYS && fdatasync(ob->fd) < 0)
        rc = -errno;
    if (rc == 0) {
        ob->file_size += len;
        return;
    }
    note_error(ob, rc);
    if (ftruncate(ob->fd, (off_t)ob->file_size) < 0)
        ob->need_rewrite = true;
}

/* Called after a removal: keep the log small. */
static void log_maybe_compact(mqtt_outbox_t *ob)
{
    if (!ob->dir || ob->need_rewrite)
        return;
    if (ob->count == 0 && ob->file_size > FILE_HEADER_LEN) {
        if (ftruncate(ob->fd, FILE_HEADER_LEN) < 0) {
            note_error(ob, -errno);
            return;
        }
        if (ob->opts.sync == MQTT_OUTBOX_SYNC_ALWAYS && fdatasync(ob->fd) < 0)
            note_error(ob, -errno);
        ob->file_size = FILE_HEADER_LEN;
        return;
    }
    uint64_t live = FILE_HEADER_LEN + ob->live_record_bytes;
    if (ob->file_size > 2 * live + REWRITE_SLACK) {
        int rc = log_rewrite(ob);
        if (rc < 0)
            note_error(ob, rc);
    }
}

/* ---- replay ------------------------------------------------------------------------------ */

static bool get_field(const uint8_t **p, const uint8_t *end, unsigned width, const uint8_t **ret,
                      size_t *ret_len)
{
    if ((size_t)(end - *p) < width)
        return false;
    size_t len = (size_t)get_le(*p, width);
    *p += width;
    if ((size_t)(end - *p) < len)
        return false;
    *ret = *p;
    *ret_len = len;
    *p += len;
    return true;
}

/* A string field: no NUL inside; copied NUL-terminated into *scratch. Empty means absent
 * for the optional properties. */
static bool take_str(const uint8_t *src, size_t len, char **scratch, const char **ret)
{
    if (memchr(src, 0, len))
        return false;
    memcpy(*scratch, src, len);
    (*scratch)[len] = 0;
    *ret = len ? *scratch : NULL;
    *scratch += len + 1;
    return true;
}

static mqtt_outbox_entry_t *decode_message(const uint8_t *body, size_t n, uint8_t flags,
                                           uint64_t seq)
{
    const uint8_t *p = body, *end = body + n, *f[5];
    size_t len[5];
    static const unsigned width[5] = {2, 2, 2, 2, 4};
    for (int i = 0; i < 5; i++)
        if (!get_field(&p, end, width[i], &f[i], &len[i]))
            return NULL;
    if (p != end)
        return NULL;
    char *scratch = malloc(n + 4), *cur = scratch;
    if (!scratch)
        return NULL;
    mqtt_message_t m = {.qos = flags & 3, .retain = (flags & 4) != 0};
    bool ok = take_str(f[0], len[0], &cur, &m.topic) &&
              take_str(f[1], len[1], &cur, &m.response_topic) &&
              take_str(f[3], len[3], &cur, &m.content_type);
    m.correlation = len[2] ? f[2] : NULL;
    m.correlation_len = len[2];
    m.payload = f[4];
    m.len = len[4];
    mqtt_outbox_entry_t *e = ok && message_valid(&m) ? entry_new(&m, seq) : NULL;
    free(scratch);
    return e;
}

static mqtt_outbox_entry_t *find_seq(const mqtt_outbox_t *ob, uint64_t seq)
{
    for (mqtt_outbox_entry_t *e = ob->head; e; e = e->next)
        if (e->seq == seq)
            return e;
    return NULL;
}

/* Applies one record; false if it does not make sense (treated like a torn record). */
static bool apply_record(mqtt_outbox_t *ob, const uint8_t *hdr, const uint8_t *body, size_t n)
{
    uint64_t seq = get_le(hdr + 8, 8);
    if (hdr[4] == RECORD_REMOVE && n == 0) {
        mqtt_outbox_entry_t *e = find_seq(ob, seq);
        if (e)
            unlink_free(ob, e);
    } else if (hdr[4] == RECORD_MESSAGE) {
        if (find_seq(ob, seq))
            return true; /* a duplicate cannot come from us, but is harmless */
        mqtt_outbox_entry_t *e = decode_message(body, n, hdr[5], seq);
        if (!e)
            return false;
        link_tail(ob, e);
    } else {
        return false;
    }
    if (seq >= ob->next_seq)
        ob->next_seq = seq + 1;
    return true;
}

static int read_at(int fd, void *buf, size_t len, uint64_t off)
{
    ssize_t n = pread(fd, buf, len, (off_t)off);
    if (n < 0)
        return -errno;
    return (size_t)n == len ? 0 : -EIO;
}

/* Replays the log; stops at the first truncated or damaged record. */
static int log_replay(mqtt_outbox_t *ob, int fd, uint64_t size)
{
    uint8_t hdr[RECORD_HEADER_LEN];
    if (size < FILE_HEADER_LEN) {
        ob->st.discarded_bytes = size; /* torn while being created */
        return 0;
    }
    int rc = read_at(fd, hdr, FILE_HEADER_LEN, 0);
    if (rc < 0)
        return rc;
    if (memcmp(hdr, FILE_MAGIC, FILE_HEADER_LEN) != 0)
        return -EBADMSG;
    uint64_t off = FILE_HEADER_LEN;
    uint8_t *body = NULL;
    while (size - off >= RECORD_HEADER_LEN) {
        if ((rc = read_at(fd, hdr, RECORD_HEADER_LEN, off)) < 0)
            break;
        uint32_t blen = (uint32_t)get_le(hdr + 16, 4);
        if (get_le(hdr, 4) != RECORD_MAGIC || blen > MAX_BODY ||
            size - off - RECORD_HEADER_LEN < blen)
            break;
        uint8_t *nb = realloc(body, blen ? blen : 1);
        if (!nb) {
            rc = -ENOMEM;
            break;
        }
        body = nb;
        if ((rc = read_at(fd, body, blen, off + RECORD_HEADER_LEN)) < 0)
            break;
        uint32_t crc = crc32_update(crc32_update(0, hdr + 4, 16), body, blen);
        if (crc != (uint32_t)get_le(hdr + 20, 4) || !apply_record(ob, hdr, body, blen))
            break;
        off += RECORD_HEADER_LEN + blen;
    }
    free(body);
    if (rc == -ENOMEM)
        return rc;
    ob->st.discarded_bytes = size - off;
    return 0;
}

/* ---- public ------------------------------------------------------------------------------ */

static void drop_oldest(mqtt_outbox_t *ob, mqtt_outbox_entry_t *e)
{
    uint64_t seq = e->seq;
    unlink_free(ob, e);
    ob->st.dropped++;
    log_append(ob, RECORD_REMOVE, seq, NULL);
}

static bool over_bounds(const mqtt_outbox_t *ob, size_t extra_messages, size_t extra_bytes)
{
    return ob->count + extra_messages > ob->opts.max_messages ||
           ob->bytes + extra_bytes > ob->opts.max_bytes;
}

static int open_log(mqtt_outbox_t *ob, char *err, size_t errlen)
{
    if (mkdir(ob->dir, 0700) < 0 && errno != EEXIST) {
        int rc = -errno;
        snprintf(err, errlen, "outbox: cannot create %s: %s", ob->dir, strerror(-rc));
        return rc;
    }
    char *lock = path_join(ob->dir, LOCK_NAME), *tmp = path_join(ob->dir, TMP_NAME),
         *path = path_join(ob->dir, LOG_NAME);
    int rc = 0;
    if (!lock || !tmp || !path) {
        rc = -ENOMEM;
        goto out;
    }
    ob->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (ob->lock_fd < 0 || flock(ob->lock_fd, LOCK_EX | LOCK_NB) < 0) {
        rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
        snprintf(err, errlen, "outbox: cannot lock %s: %s", lock,
                 rc == -EBUSY ? "in use by another process" : strerror(-rc));
        goto out;
    }
    unlink(tmp); /* an interrupted rewrite: the log itself is still whole */
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        struct stat sb;
        rc = fstat(fd, &sb) < 0 ? -errno : log_replay(ob, fd, (uint64_t)sb.st_size);
        close(fd);
    } else if (errno != ENOENT) {
        rc = -errno;
    }
    if (rc < 0)
        snprintf(err, errlen, "outbox: cannot read %s: %s", path,
                 rc == -EBADMSG ? "not an outbox log" : strerror(-rc));
out:
    free(lock);
    free(tmp);
    free(path);
    return rc;
}

int mqtt_outbox_open(mqtt_outbox_t **ret, const mqtt_outbox_options_t *opts, char *err,
                     size_t errlen)
{
    if (!ret || !opts || opts->max_messages == 0 || opts->max_bytes == 0) {
        snprintf(err, errlen, "outbox: max_messages and max_bytes must be > 0");
        return -EINVAL;
    }
    mqtt_outbox_t *ob = calloc(1, sizeof(*ob));
    if (!ob || (opts->dir && !(ob->dir = strdup(opts->dir)))) {
        free(ob);
        snprintf(err, errlen, "outbox: out of memory");
        return -ENOMEM;
    }
    ob->opts = *opts;
    ob->opts.dir = ob->dir;
    ob->fd = ob->lock_fd = -1;
    ob->next_seq = 1;
    if (ob->dir) {
        int rc = open_log(ob, err, errlen);
        while (rc == 0 && ob->head && over_bounds(ob, 0, 0)) {
            mqtt_outbox_entry_t *e = ob->head; /* the bounds shrank since last run */
            unlink_free(ob, e);
            ob->st.dropped++;
        }
        ob->st.recovered = ob->count;
        if (rc == 0 && (rc = log_rewrite(ob)) < 0)
            snprintf(err, errlen, "outbox: cannot write in %s: %s", ob->dir, strerror(-rc));
        if (rc < 0) {
            mqtt_outbox_free(ob);
            return rc;
        }
    }
    *ret = ob;
    return 0;
}

void mqtt_outbox_free(mqtt_outbox_t *ob)
{
    if (!ob)
        return;
    while (ob->head)
        unlink_free(ob, ob->head);
    if (ob->fd >= 0)
        close(ob->fd);
    if (ob->lock_fd >= 0)
        close(ob->lock_fd); /* releases the flock */
    free(ob->dir);
    free(ob);
}

int mqtt_outbox_push(mqtt_outbox_t *ob, const mqtt_message_t *msg)
{
    if (!ob || !msg || !message_valid(msg))
        return -EINVAL;
    size_t size = message_size(msg);
    if (size > ob->opts.max_bytes)
        return -EMSGSIZE;
    /* Make room by dropping the oldest messages not in flight; in-flight ones are about to be
     * acknowledged and dropping them would not free the network's copy anyway. */
    mqtt_outbox_entry_t *victim = ob->head;
    while (over_bounds(ob, 1, size)) {
        while (victim && victim->inflight)
            victim = victim->next;
        if (!victim) {
            ob->st.dropped++;
            return -ENOBUFS;
        }
        mqtt_outbox_entry_t *next = victim->next;
        drop_oldest(ob, victim);
        victim = next;
    }
    mqtt_outbox_entry_t *e = entry_new(msg, ob->next_seq);
    if (!e)
        return -ENOMEM;
    ob->next_seq++;
    link_tail(ob, e);
    log_append(ob, RECORD_MESSAGE, e->seq, &e->msg);
    log_maybe_compact(ob); /* drops above added dead records */
    return 0;
}

mqtt_outbox_entry_t *mqtt_outbox_head(const mqtt_outbox_t *ob)
{
    return ob->head;
}

mqtt_outbox_entry_t *mqtt_outbox_next(const mqtt_outbox_entry_t *e)
{
    return e->next;
}

mqtt_outbox_entry_t *mqtt_outbox_next_unsent(const mqtt_outbox_t *ob)
{
    /* In-flight messages are few (the send window), so this stops early. */
    for (mqtt_outbox_entry_t *e = ob->head; e; e = e->next)
        if (!e->inflight)
            return e;
    return NULL;
}

void mqtt_outbox_set_inflight(mqtt_outbox_t *ob, mqtt_outbox_entry_t *e, int token)
{
    if (!e->inflight)
        ob->inflight++;
    e->inflight = true;
    e->token = token;
}

mqtt_outbox_entry_t *mqtt_outbox_find_inflight(const mqtt_outbox_t *ob, int token)
{
    size_t seen = 0;
    for (mqtt_outbox_entry_t *e = ob->head; e && seen < ob->inflight; e = e->next) {
        if (!e->inflight)
            continue;
        if (e->token == token)
            return e;
        seen++;
    }
    return NULL;
}

void mqtt_outbox_requeue(mqtt_outbox_t *ob, mqtt_outbox_entry_t *e)
{
    if (e->inflight)
        ob->inflight--;
    e->inflight = false;
    e->token = 0;
}

void mqtt_outbox_requeue_all(mqtt_outbox_t *ob)
{
    for (mqtt_outbox_entry_t *e = ob->head; e && ob->inflight > 0; e = e->next)
        mqtt_outbox_requeue(ob, e);
}

void mqtt_outbox_remove(mqtt_outbox_t *ob, mqtt_outbox_entry_t *e)
{
    uint64_t seq = e->seq;
    unlink_free(ob, e);
    log_append(ob, RECORD_REMOVE, seq, NULL);
    log_maybe_compact(ob);
}

size_t mqtt_outbox_count(const mqtt_outbox_t *ob)
{
    return ob->count;
}

size_t mqtt_outbox_inflight(const mqtt_outbox_t *ob)
{
    return ob->inflight;
}

void mqtt_outbox_stats(const mqtt_outbox_t *ob, mqtt_outbox_stats_t *ret)
{
    *ret = ob->st;
    ret->messages = ob->count;
    ret->bytes = ob->bytes;
    ret->inflight = ob->inflight;
    ret->file_bytes = ob->dir ? ob->file_size : 0;
}
