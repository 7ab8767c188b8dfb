/* state.c - SQLite persistence of registrations, queued commands and observation intents. */
#include "state.h"

#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lwm2m/link.h"

struct state {
    sqlite3 *db;
};

/* Each entry migrates from version i to i + 1. */
static const char *const migrations[] = {
    "CREATE TABLE registrations ("
    " endpoint TEXT PRIMARY KEY, location TEXT UNIQUE NOT NULL, version INTEGER NOT NULL,"
    " binding TEXT NOT NULL, queue_mode INTEGER NOT NULL, sms TEXT NOT NULL,"
    " lifetime INTEGER NOT NULL, root_path TEXT NOT NULL, objects TEXT NOT NULL,"
    " formats TEXT NOT NULL, transport TEXT NOT NULL, address TEXT NOT NULL,"
    " handle INTEGER NOT NULL, registered_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
    " expires_at INTEGER NOT NULL, gateway TEXT NOT NULL, prefix TEXT NOT NULL);"
    "CREATE TABLE commands ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, endpoint TEXT NOT NULL, command TEXT NOT NULL,"
    " reply_topic TEXT, correlation BLOB, expires_at INTEGER NOT NULL);"
    "CREATE INDEX commands_endpoint ON commands(endpoint);"
    "CREATE TABLE observations ("
    " endpoint TEXT NOT NULL, paths TEXT NOT NULL, attributes TEXT NOT NULL,"
    " origin TEXT NOT NULL, PRIMARY KEY (endpoint, paths));",
    /* 1 -> 2: firmware update jobs (gateway/firmware.c), one per endpoint. */
    "CREATE TABLE firmware_jobs ("
    " endpoint TEXT PRIMARY KEY, job TEXT NOT NULL, updated_at INTEGER NOT NULL);",
};

static int exec(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "%s", msg ? msg : "sqlite error");
        sqlite3_free(msg);
        return -EIO;
    }
    return 0;
}

static int schema_version(sqlite3 *db)
{
    sqlite3_stmt *st;
    int v = -1;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

static int migrate(sqlite3 *db, char *err, size_t errlen)
{
    int v = schema_version(db);
    int target = (int)(sizeof(migrations) / sizeof(migrations[0]));
    if (v < 0) {
        snprintf(err, errlen, "cannot read the schema version");
        return -EIO;
    }
    if (v > target) {
        snprintf(err, errlen, "state database has schema %d, newer than this gateway's %d", v,
                 target);
        return -EPROTO;
    }
    for (; v < target; v++) {
        char sql[64];
        snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
        if (exec(db, "BEGIN", err, errlen) < 0 || exec(db, migrations[v], err, errlen) < 0 ||
            exec(db, sql, err, errlen) < 0 || exec(db, "COMMIT", err, errlen) < 0) {
            exec(db, "ROLLBACK", err + strlen(err), errlen - strlen(err));
            return -EIO;
        }
    }
    return 0;
}

state_t *state_open(const char *dir, char *err, size_t errlen)
{
    char path[4096];
    state_t *state = calloc(1, sizeof(*state));
    if (!state) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: cannot create: %s", dir, strerror(errno));
        free(state);
        return NULL;
    }
    snprintf(path, sizeof(path), "%s/state.db", dir);
    if (sqlite3_open_v2(path, &state->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(state->db));
        state_close(state);
        return NULL;
    }
    sqlite3_busy_timeout(state->db, 2000);
    if (exec(state->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", err, errlen) < 0 ||
        migrate(state->db, err, errlen) < 0) {
        state_close(state);
        return NULL;
    }
    return state;
}

void state_close(state_t *state)
{
    if (!state)
        return;
    sqlite3_close(state->db);
    free(state);
}

static int step_done(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -EIO;
}

static void formats_text(const lwm2m_registration_t *reg, char *buf, size_t size)
{
    size_t off = 0;
    buf[0] = 0;
    for (size_t i = 0; i < reg->format_count && off < size; i++)
        off += (size_t)snprintf(buf + off, size - off, "%s%u", i ? " " : "",
                                (unsigned)reg->formats[i]);
}

int state_save_registration(state_t *state, const lwm2m_registration_t *reg, int64_t wall_offset_ms)
{
    static const char sql[] =
        "INSERT OR REPLACE INTO registrations VALUES "
        "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)";
    sqlite3_stmt *st;
    lwm2m_buf_t objects = {0};
    char formats[64];
    if (lwm2m_link_write(&reg->objects, &objects, NULL) < 0)
        return -EINVAL;
    formats_text(reg, formats, sizeof(formats));
    if (sqlite3_prepare_v2(state->db, sql, -1, &st, NULL) != SQLITE_OK) {
        lwm2m_buf_free(&objects);
        return -EIO;
    }
    sqlite3_bind_text(st, 1, reg->endpoint, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, reg->location, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, (int)reg->version);
    sqlite3_bind_text(st, 4, reg->binding, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 5, reg->queue_mode);
    sqlite3_bind_text(st, 6, reg->sms, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 7, reg->lifetime);
    sqlite3_bind_text(st, 8, reg->root_path, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 9, objects.data ? (const char *)objects.data : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 10, formats, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 11, reg->peer.transport ? reg->peer.transport->name : "", -1,
                      SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 12, reg->peer.address, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 13, (sqlite3_int64)reg->peer.handle);
    sqlite3_bind_int64(st, 14, reg->registered_at_ms + wall_offset_ms);
    sqlite3_bind_int64(st, 15, reg->updated_at_ms + wall_offset_ms);
    sqlite3_bind_int64(st, 16, reg->expires_at_ms + wall_offset_ms);
    sqlite3_bind_text(st, 17, reg->gateway, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 18, reg->prefix, -1, SQLITE_TRANSIENT);
    lwm2m_buf_free(&objects);
    return step_done(st);
}

int state_delete_registration(state_t *state, const char *endpoint)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(state->db, "DELETE FROM registrations WHERE endpoint = ?1", -1, &st,
                           NULL) != SQLITE_OK)
        return -EIO;
    sqlite3_bind_text(st, 1, endpoint, -1, SQLITE_TRANSIENT);
    return step_done(st);
}

static void copy_column(sqlite3_stmt *st, int col, char *dst, size_t size)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    snprintf(dst, size, "%s", t ? (const char *)t : "");
}

static void parse_formats(const char *text, lwm2m_registration_t *reg)
{
    char *end;
    reg->format_count = 0;
    while (*text && reg->format_count < sizeof(reg->formats) / sizeof(reg->formats[0])) {
        unsigned long v = strtoul(text, &end, 10);
        if (end == text)
            break;
        reg->formats[reg->format_count++] = (uint16_t)v;
        text = end;
        while (*text == ' ')
            text++;
    }
}

int state_load_registrations(state_t *state, int64_t wall_offset_ms,
                             void (*fn)(void *ctx, const lwm2m_registration_t *reg,
                                        const char *transport),
                             void *ctx)
{
    sqlite3_stmt *st;
    int count = 0;
    if (sqlite3_prepare_v2(state->db, "SELECT * FROM registrations", -1, &st, NULL) != SQLITE_OK)
        return -EIO;
    while (sqlite3_step(st) == SQLITE_ROW) {
        lwm2m_registration_t reg;
        memset(&reg, 0, sizeof(reg));
        copy_column(st, 0, reg.endpoint, sizeof(reg.endpoint));
        copy_column(st, 1, reg.location, sizeof(reg.location));
        reg.version = (lwm2m_version_t)sqlite3_column_int(st, 2);
        copy_column(st, 3, reg.binding, sizeof(reg.binding));
        reg.queue_mode = sqlite3_column_int(st, 4) != 0;
        copy_column(st, 5, reg.sms, sizeof(reg.sms));
        reg.lifetime = (uint32_t)sqlite3_column_int64(st, 6);
        copy_column(st, 7, reg.root_path, sizeof(reg.root_path));
        const unsigned char *objects = sqlite3_column_text(st, 8);
        if (objects && *objects &&
            lwm2m_link_parse((const char *)objects, strlen((const char *)objects), &reg.objects,
                             NULL) < 0)
            continue; /* unreadable row: the device will re-register */
        const unsigned char *formats = sqlite3_column_text(st, 9);
        parse_formats(formats ? (const char *)formats : "", &reg);
        copy_column(st, 11, reg.peer.address, sizeof(reg.peer.address));
        reg.peer.handle = (uint64_t)sqlite3_column_int64(st, 12);
        reg.registered_at_ms = sqlite3_column_int64(st, 13) - wall_offset_ms;
        reg.updated_at_ms = sqlite3_column_int64(st, 14) - wall_offset_ms;
        reg.expires_at_ms = sqlite3_column_int64(st, 15) - wall_offset_ms;
        copy_column(st, 16, reg.gateway, sizeof(reg.gateway));
        copy_column(st, 17, reg.prefix, sizeof(reg.prefix));
        /* peer.transport stays NULL: the caller binds the transport by its name. */
        const unsigned char *transport = sqlite3_column_text(st, 10);
        fn(ctx, &reg, transport ? (const char *)transport : "");
        lwm2m_links_clear(&reg.objects);
        count++;
    }
    sqlite3_finalize(st);
    return count;
}

int state_add_command(state_t *state, const state_command_t *cmd, int64_t *ret_id)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(state->db,
                           "INSERT INTO commands (endpoint, command, reply_topic, correlation,"
                           " expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                           -1, &st, NULL) != SQLITE_OK)
        return -EIO;
    sqlite3_bind_text(st, 1, cmd->endpoint, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, cmd->command, -1, SQLITE_TRANSIENT);
    if (cmd->reply_topic)
        sqlite3_bind_text(st, 3, cmd->reply_topic, -1, SQLITE_TRANSIENT);
    if (cmd->correlation)
        sqlite3_bind_blob(st, 4, cmd->correlation, (int)cmd->correlation_len, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 5, cmd->expires_wall_ms);
    int rc = step_done(st);
    if (rc == 0 && ret_id)
        *ret_id = sqlite3_last_insert_rowid(state->db);
    return rc;
}

int state_delete_command(state_t *state, int64_t id)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(state->db, "DELETE FROM commands WHERE id = ?1", -1, &st, NULL) !=
        SQLITE_OK)
        return -EIO;
    sqlite3_bind_int64(st, 1, id);
    return step_done(st);
}

int state_load_commands(state_t *state, void (*fn)(void *ctx, const state_command_t *cmd),
                        void *ctx)
{
    sqlite3_stmt *st;
    int count = 0;
    if (sqlite3_prepare_v2(state->db,
                           "SELECT id, endpoint, command, reply_topic, correlation, expires_at"
                           " FROM commands ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK)
        return -EIO;
    while (sqlite3_step(st) == SQLITE_ROW) {
        state_command_t cmd = {
            .id = sqlite3_column_int64(st, 0),
            .endpoint = (const char *)sqlite3_column_text(st, 1),
            .command = (const char *)sqlite3_column_text(st, 2),
            .reply_topic = (const char *)sqlite3_column_text(st, 3),
            .correlation = sqlite3_column_blob(st, 4),
            .correlation_len = (size_t)sqlite3_column_bytes(st, 4),
            .expires_wall_ms = sqlite3_column_int64(st, 5),
        };
        fn(ctx, &cmd);
        count++;
    }
    sqlite3_finalize(st);
    return count;
}

int state_add_observation(state_t *state, const state_observation_t *obs)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(state->db, "INSERT OR REPLACE INTO observations VALUES (?1,?2,?3,?4)",
                           -1, &st, NULL) != SQLITE_OK)
        return -EIO;
    sqlite3_bind_text(st, 1, obs->endpoint, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, obs->paths, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, obs->attributes ? obs->attributes : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, obs->origin, -1, SQLITE_TRANSIENT);
    return step_done(st);
}

int state_delete_observation(state_t *state, const char *endpoint, const char *paths)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(state->db, "DELETE FROM observations WHERE endpoint = ?1 AND paths = ?2",
                           -1, &st, NULL) != SQLITE_OK)
        return -EIO;
    sqlite3_bind_text(st, 1, endpoint, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, paths, -1, SQLITE_TRANSIENT);
    return step_done(st);
}

int state_delete_observations(state_t *state, const char *endpoint)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(state->db, "DELETE FROM observations WHERE endpoint = ?1", -1, &st,
                           NULL) != SQLITE_OK)
        return -EIO;
    sqlite3_bind_text(st, 1, endpoint, -1, SQLITE_TRANSIENT);
    return step_done(st);
}

int state_load_observations(state_t *state, const char *endpoint,
                            void (*fn)(void *ctx, const state_observation_t *obs), void *ctx)
{
    sqlite3_stmt *st;
    int count = 0;
    if (sqlite3_prepare_v2(state->db,
                           endpoint ? "SELECT * FROM observations WHERE endpoint = ?1"
                                    : "SELECT * FROM observations",
                           -1, &st, NULL) != SQLITE_OK)
        return -EIO;
    if (endpoint)
        sqlite3_bind_text(st, 1, endpoint, -1, SQLITE_TRANSIENT);
    while (sqlite3_step(st) == SQLITE_ROW) {
        state_observation_t obs = {
            .endpoint = (const char *)sqlite3_column_text(st, 0),
            .paths = (const char *)sqlite3_column_text(st, 1),
            .attributes = (const char *)sqlite3_column_text(st, 2),
            .origin = (const char *)sqlite3_column_text(st, 3),
        };
        fn(ctx, &obs);
        count++;
    }
    sqlite3_finalize(st);
    return count;
}

int state_save_firmware_job(state_t *state, const char *endpoint, const char *job, int64_t wall_ms)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(state->db, "INSERT OR REPLACE INTO firmware_jobs VALUES (?1,?2,?3)", -1,
                           &st, NULL) != SQLITE_OK)
        return -EIO;
    sqlite3_bind_text(st, 1, endpoint, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, job, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, wall_ms);
    return step_done(st);
}

int state_delete_firmware_job(state_t *state, const char *endpoint)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(state->db, "DELETE FROM firmware_jobs WHERE endpoint = ?1", -1, &st,
                           NULL) != SQLITE_OK)
        return -EIO;
    sqlite3_bind_text(st, 1, endpoint, -1, SQLITE_TRANSIENT);
    return step_done(st);
}

int state_load_firmware_jobs(state_t *state,
                             void (*fn)(void *ctx, const char *endpoint, const char *job),
                             void *ctx)
{
    sqlite3_stmt *st;
    int count = 0;
    if (sqlite3_prepare_v2(state->db, "SELECT endpoint, job FROM firmware_jobs ORDER BY updated_at",
                           -1, &st, NULL) != SQLITE_OK)
        return -EIO;
    while (sqlite3_step(st) == SQLITE_ROW) {
        fn(ctx, (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1));
        count++;
    }
    sqlite3_finalize(st);
    return count;
}
