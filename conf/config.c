/* config.c - loading: libconfig parses, the schema walk checks every key (unknown keys, types,
 * bounds, value checks), defaults fill the rest, and every problem becomes one message that
 * reads "file:line: key: reason". The only file in the project that includes <libconfig.h>. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libconfig.h>

#include "conf_internal.h"

#define KEY_MAX 256
#define WHY_MAX 512

/* ---- messages ---- */

static void append(conf_ctx_t *ctx, char *msg)
{
    lmg_conf_messages_t *m = ctx->msgs;
    if (!m) { /* the caller only wants the verdict */
        free(msg);
        return;
    }
    char **items = msg ? realloc(m->items, (m->count + 1) * sizeof(*items)) : NULL;
    if (!items) {
        ctx->oom = true;
        free(msg);
        return;
    }
    m->items = items;
    m->items[m->count++] = msg;
}

__attribute__((format(printf, 1, 0))) static char *vformat(const char *fmt, va_list ap)
{
    char *s = NULL;
    return vasprintf(&s, fmt, ap) < 0 ? NULL : s;
}

void conf_message(conf_ctx_t *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    append(ctx, vformat(fmt, ap));
    va_end(ap);
}

void conf_error(conf_ctx_t *ctx, conf_loc_t loc, const char *key, const char *fmt, ...)
{
    ctx->errors++;
    if (ctx->errors >= LMG_CONF_MAX_MESSAGES)
        return; /* counted; load() reports how many were left out */
    va_list ap;
    va_start(ap, fmt);
    char *why = vformat(fmt, ap);
    va_end(ap);
    const char *file = loc.file ? loc.file : ctx->name;
    if (!why)
        ctx->oom = true;
    else if (loc.line > 0)
        conf_message(ctx, "%s:%u: %s: %s", file, loc.line, key, why);
    else
        conf_message(ctx, "%s: %s: %s", file, key, why);
    free(why);
}

void lmg_conf_messages_free(lmg_conf_messages_t *msgs)
{
    if (!msgs)
        return;
    for (size_t i = 0; i < msgs->count; i++)
        free(msgs->items[i]);
    free(msgs->items);
    msgs->items = NULL;
    msgs->count = 0;
}

/* ---- where settings come from ---- */

/* libconfig names an included file as written in @include, relative to the include dir: show
 * it relative to the main file's directory as given, like the main file's own name. */
static const char *shown_file(conf_ctx_t *ctx, const char *file)
{
    if (!file)
        return ctx->name;
    if (strcmp(file, ctx->name) == 0 || file[0] == '/' || !ctx->shown_dir)
        return file;
    char *joined = NULL;
    if (asprintf(&joined, "%s/%s", ctx->shown_dir, file) < 0) {
        ctx->oom = true;
        return file;
    }
    for (size_t i = 0; i < ctx->name_count; i++) {
        if (strcmp(ctx->names[i], joined) == 0) {
            free(joined);
            return ctx->names[i];
        }
    }
    char **names = realloc(ctx->names, (ctx->name_count + 1) * sizeof(*names));
    if (!names) {
        ctx->oom = true;
        free(joined);
        return file;
    }
    ctx->names = names;
    ctx->names[ctx->name_count++] = joined;
    return joined;
}

static conf_loc_t loc_of(conf_ctx_t *ctx, const config_setting_t *s)
{
    conf_loc_t loc = {shown_file(ctx, config_setting_source_file(s)),
                      config_setting_source_line(s)};
    return loc;
}

conf_loc_t conf_loc_of(const conf_ctx_t *ctx, const char *key)
{
    const conf_key_t *k = conf_schema_find(key);
    conf_loc_t none = {NULL, 0};
    return k && ctx->locs ? ctx->locs[k - conf_schema] : none;
}

bool conf_is_set(const conf_ctx_t *ctx, const char *key)
{
    return conf_loc_of(ctx, key).file != NULL;
}

/* ---- storing values ---- */

static const char *type_name(int libconfig_type)
{
    switch (libconfig_type) {
    case CONFIG_TYPE_GROUP:
        return "group";
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        return "integer";
    case CONFIG_TYPE_FLOAT:
        return "float";
    case CONFIG_TYPE_STRING:
        return "string";
    case CONFIG_TYPE_BOOL:
        return "boolean";
    case CONFIG_TYPE_ARRAY:
        return "array";
    case CONFIG_TYPE_LIST:
        return "list";
    default:
        return "nothing";
    }
}

static void type_error(conf_ctx_t *ctx, const conf_key_t *k, const config_setting_t *s,
                       const char *key, conf_loc_t loc)
{
    char want[128];
    conf_type_describe(k, want, sizeof(want));
    if (k->type == CONF_ENUM)
        conf_error(ctx, loc, key, "expected a string, %s; got %s", want,
                   type_name(config_setting_type(s)));
    else
        conf_error(ctx, loc, key, "expected %s, got %s", want, type_name(config_setting_type(s)));
}

static void store_int(conf_ctx_t *ctx, const conf_key_t *k, long long v, const char *key,
                      conf_loc_t loc, void *base)
{
    if (v < k->min || v > k->max) {
        conf_error(ctx, loc, key, "expected %lld..%lld, got %lld", k->min, k->max, v);
        return;
    }
    if (k->type == CONF_INT64)
        *(int64_t *)conf_field(base, k) = (int64_t)v;
    else
        *(int *)conf_field(base, k) = (int)v;
}

static char *resolve_path(conf_ctx_t *ctx, const char *value)
{
    char *s = NULL;
    if (value[0] == '\0' || value[0] == '/' || !ctx->base_dir)
        return strdup(value);
    return asprintf(&s, "%s/%s", ctx->base_dir, value) < 0 ? NULL : s;
}

static void store_string(conf_ctx_t *ctx, const conf_key_t *k, const char *value, const char *key,
                         conf_loc_t loc, void *base)
{
    char why[WHY_MAX];
    size_t len = strlen(value);
    if ((long long)len > k->max) {
        conf_error(ctx, loc, key, "expected at most %lld characters", k->max);
        return;
    }
    if ((long long)len < k->min) {
        conf_error(ctx, loc, key,
                   k->min == 1 ? "must not be empty" : "expected at least %lld characters", k->min);
        return;
    }
    char *copy = (k->flags & CONF_F_PATH) ? resolve_path(ctx, value) : strdup(value);
    if (!copy) {
        ctx->oom = true;
        return;
    }
    if (k->check && k->check(copy, why, sizeof(why)) < 0) {
        conf_error(ctx, loc, key, "%s", why);
        free(copy);
        return;
    }
    char **field = conf_field(base, k);
    free(*field);
    *field = copy;
}

static void store_enum(conf_ctx_t *ctx, const conf_key_t *k, const char *value, const char *key,
                       conf_loc_t loc, void *base)
{
    for (const conf_enum_t *e = k->names; e->name; e++) {
        if (strcmp(e->name, value) == 0) {
            *(int *)conf_field(base, k) = e->value;
            return;
        }
    }
    char want[128];
    conf_type_describe(k, want, sizeof(want));
    conf_error(ctx, loc, key, "expected %s", want);
}

/* Stores a listen list from n strings; elements that fail leave the old list in place. */
static void store_listen(conf_ctx_t *ctx, const conf_key_t *k, const char *const *texts,
                         const conf_loc_t *locs, size_t n, const char *key, void *base)
{
    char why[WHY_MAX];
    lmg_conf_listen_t *items = n ? calloc(n, sizeof(*items)) : NULL;
    size_t errors = ctx->errors;
    if (n && !items) {
        ctx->oom = true;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (conf_parse_listen(texts[i], &items[i], why, sizeof(why)) < 0) {
            conf_error(ctx, locs[i], key, "[%zu]: %s", i, why);
            continue;
        }
        for (size_t j = 0; j < i; j++) {
            if (items[j].family && conf_listen_overlap(&items[i], &items[j])) {
                conf_error(ctx, locs[i], key, "[%zu]: \"%s\" overlaps [%zu] \"%s\"", i,
                           items[i].text, j, items[j].text);
                break;
            }
        }
    }
    if (ctx->errors != errors) {
        free(items);
        return;
    }
    lmg_conf_listen_list_t *list = conf_field(base, k);
    free(list->items);
    list->items = items;
    list->count = n;
}

static void store_listen_setting(conf_ctx_t *ctx, const conf_key_t *k, const config_setting_t *s,
                                 const char *key, conf_loc_t loc, void *base)
{
    if (config_setting_type(s) == CONFIG_TYPE_STRING) {
        const char *text = config_setting_get_string(s);
        store_listen(ctx, k, &text, &loc, 1, key, base);
        return;
    }
    if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
        type_error(ctx, k, s, key, loc);
        return;
    }
    size_t n = (size_t)config_setting_length(s);
    if ((long long)n > k->max) {
        conf_error(ctx, loc, key, "expected at most %lld addresses, got %zu", k->max, n);
        return;
    }
    const char *texts[16];
    conf_loc_t locs[16];
    for (size_t i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        locs[i] = loc_of(ctx, e);
        if (config_setting_type(e) != CONFIG_TYPE_STRING) {
            conf_error(ctx, locs[i], key, "[%zu]: expected string, got %s", i,
                       type_name(config_setting_type(e)));
            return;
        }
        texts[i] = config_setting_get_string(e) ? config_setting_get_string(e) : "";
    }
    store_listen(ctx, k, texts, locs, n, key, base);
}

static void store_setting(conf_ctx_t *ctx, const conf_key_t *k, const config_setting_t *s,
                          const char *key, conf_loc_t loc, void *base)
{
    int type = config_setting_type(s);
    switch (k->type) {
    case CONF_INT:
    case CONF_INT64:
        if (type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64)
            store_int(ctx, k, config_setting_get_int64(s), key, loc, base);
        else
            type_error(ctx, k, s, key, loc);
        break;
    case CONF_BOOL:
        if (type == CONFIG_TYPE_BOOL)
            *(bool *)conf_field(base, k) = config_setting_get_bool(s) != 0;
        else
            type_error(ctx, k, s, key, loc);
        break;
    case CONF_STRING:
    case CONF_ENUM: {
        const char *text = config_setting_get_string(s);
        if (type != CONFIG_TYPE_STRING)
            type_error(ctx, k, s, key, loc);
        else if (k->type == CONF_ENUM)
            store_enum(ctx, k, text ? text : "", key, loc, base);
        else
            store_string(ctx, k, text ? text : "", key, loc, base);
        break;
    }
    case CONF_LISTEN:
        store_listen_setting(ctx, k, s, key, loc, base);
        break;
    default:
        break;
    }
}

/* ---- defaults ---- */

static void store_default(conf_ctx_t *ctx, const conf_key_t *k, void *base)
{
    conf_loc_t loc = {"(built-in default)", 0};
    const char *texts[16];
    conf_loc_t locs[16];
    size_t n = 0;
    switch (k->type) {
    case CONF_INT:
    case CONF_INT64:
        store_int(ctx, k, strtoll(k->def, NULL, 10), k->key, loc, base);
        break;
    case CONF_BOOL:
        *(bool *)conf_field(base, k) = strcmp(k->def, "true") == 0;
        break;
    case CONF_STRING:
        if (k->def) {
            store_string(ctx, k, k->def, k->key, loc, base);
        } else if (!(*(char **)conf_field(base, k) = strdup(""))) {
            ctx->oom = true; /* a required key: "" until the file sets it */
        }
        break;
    case CONF_ENUM:
        store_enum(ctx, k, k->def, k->key, loc, base);
        break;
    case CONF_LISTEN: {
        char buf[256];
        snprintf(buf, sizeof(buf), "%s", k->def);
        for (char *save = NULL, *t = strtok_r(buf, ", ", &save); t && n < 16;
             t = strtok_r(NULL, ", ", &save)) {
            locs[n] = loc;
            texts[n++] = t;
        }
        store_listen(ctx, k, texts, locs, n, k->key, base);
        break;
    }
    default:
        break;
    }
}

static void apply_defaults(conf_ctx_t *ctx, void *base, unsigned list)
{
    for (size_t i = 0; i < conf_schema_count; i++) {
        const conf_key_t *k = &conf_schema[i];
        if (k->list == list)
            store_default(ctx, k, base);
    }
}

/* ---- the schema walk ---- */

/* Formats a key; one too long for buf is cut short, which only shortens a message (and cannot
 * match the schema, whose keys are all far shorter than KEY_MAX). */
__attribute__((format(printf, 2, 3))) static void key_format(char buf[KEY_MAX], const char *fmt,
                                                             ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, KEY_MAX, fmt, ap);
    va_end(ap);
}

static void walk_group(conf_ctx_t *ctx, const config_setting_t *group, const char *norm,
                       const char *shown, void *base, unsigned list);

static void unknown_key(conf_ctx_t *ctx, const char *norm, const char *shown, conf_loc_t loc)
{
    const char *suggestion = conf_schema_suggest(norm);
    if (!suggestion) {
        conf_error(ctx, loc, shown, "unknown key");
        return;
    }
    /* Put the element's index back: "observe[]" -> "observe[2]". */
    const char *hole = strstr(suggestion, "[]");
    const char *open = strchr(shown, '['), *close = open ? strchr(open, ']') : NULL;
    if (hole && close)
        conf_error(ctx, loc, shown, "unknown key, did you mean '%.*s%.*s%s'?",
                   (int)(hole - suggestion), suggestion, (int)(close - open + 1), open, hole + 2);
    else
        conf_error(ctx, loc, shown, "unknown key, did you mean '%s'?", suggestion);
}

static void check_required(conf_ctx_t *ctx, const config_setting_t *group, const char *norm,
                           const char *shown, conf_loc_t loc)
{
    size_t plen = strlen(norm);
    for (size_t i = 0; i < conf_schema_count; i++) {
        const conf_key_t *k = &conf_schema[i];
        if (!(k->flags & CONF_F_REQUIRED) || strncmp(k->key, norm, plen) != 0 ||
            k->key[plen] != '.' || strchr(k->key + plen + 1, '.'))
            continue;
        const char *name = k->key + plen + 1;
        if (!config_setting_get_member(group, name)) {
            char key[KEY_MAX];
            key_format(key, "%s.%s", shown, name);
            conf_error(ctx, loc, key, "required key missing");
        }
    }
}

static void walk_rules(conf_ctx_t *ctx, const conf_key_t *k, const config_setting_t *list,
                       const char *key, conf_loc_t loc)
{
    size_t n = (size_t)config_setting_length(list);
    const conf_list_t *L = &conf_lists[k->holds - 1];
    char *items, *conf = (char *)ctx->conf;
    size_t *count = (size_t *)(conf + L->count_offset);
    conf_loc_t **locs = &ctx->list_locs[k->holds - 1];
    if ((long long)n > k->max) {
        conf_error(ctx, loc, key, "expected at most %lld entries, got %zu", k->max, n);
        return;
    }
    if (*count)
        return; /* set twice: libconfig already refused that */
    items = n ? calloc(n, L->elem_size) : NULL;
    *(void **)(conf + L->items_offset) = items;
    *locs = n ? calloc(n, sizeof(**locs)) : NULL;
    if (n && (!items || !*locs)) {
        ctx->oom = true;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
        char shown[KEY_MAX];
        void *base = items + i * L->elem_size;
        key_format(shown, "%s[%zu]", key, i);
        *count = i + 1;
        (*locs)[i] = loc_of(ctx, e);
        apply_defaults(ctx, base, k->holds);
        if (!config_setting_is_group(e)) {
            conf_error(ctx, (*locs)[i], shown, "expected group, got %s",
                       type_name(config_setting_type(e)));
            continue;
        }
        walk_group(ctx, e, L->norm, shown, base, k->holds);
        check_required(ctx, e, L->norm, shown, (*locs)[i]);
    }
}

static void walk_setting(conf_ctx_t *ctx, const config_setting_t *s, const char *norm,
                         const char *shown, void *base, unsigned list)
{
    conf_loc_t loc = loc_of(ctx, s);
    const conf_key_t *k = conf_schema_find(norm);
    if (!k) {
        unknown_key(ctx, norm, shown, loc);
        return;
    }
    if (!list)
        ctx->locs[k - conf_schema] = loc;
    if (k->type == CONF_GROUP) {
        if (config_setting_is_group(s))
            walk_group(ctx, s, norm, shown, base, list);
        else
            type_error(ctx, k, s, shown, loc);
    } else if (k->type == CONF_RULES) {
        if (config_setting_is_list(s))
            walk_rules(ctx, k, s, shown, loc);
        else
            conf_error(ctx, loc, shown, "expected a list of groups ( { ... }, ... ), got %s",
                       type_name(config_setting_type(s)));
    } else {
        store_setting(ctx, k, s, shown, loc, base);
    }
}

static void walk_group(conf_ctx_t *ctx, const config_setting_t *group, const char *norm,
                       const char *shown, void *base, unsigned list)
{
    int n = config_setting_length(group);
    for (int i = 0; i < n; i++) {
        const config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
        const char *name = config_setting_name(s);
        char nkey[KEY_MAX], skey[KEY_MAX];
        key_format(nkey, "%s%s%s", norm, *norm ? "." : "", name ? name : "?");
        key_format(skey, "%s%s%s", shown, *shown ? "." : "", name ? name : "?");
        walk_setting(ctx, s, nkey, skey, base, list);
    }
}

/* ---- reading ---- */

/* libconfig says only "cannot open include file": find the name on the @include line and ask
 * the file system why. Returns 0 when the message was written. */
static int include_error(conf_ctx_t *ctx, const char *text, const config_t *cfg, const char *file)
{
    char line[1024] = "";
    FILE *f = text ? fmemopen((void *)text, strlen(text), "r") : fopen(file, "r");
    int want = config_error_line(cfg);
    for (int n = 1; f && fgets(line, sizeof(line), f) && n < want; n++)
        line[0] = '\0';
    if (f)
        fclose(f);
    const char *open = strchr(line, '"'), *close = open ? strchr(open + 1, '"') : NULL;
    if (!close)
        return -EINVAL;
    char name[sizeof(line)], path[sizeof(line) + 4096];
    snprintf(name, sizeof(name), "%.*s", (int)(close - open - 1), open + 1);
    bool relative = name[0] != '/';
    snprintf(path, sizeof(path), "%s%s%s", relative && ctx->base_dir ? ctx->base_dir : "",
             relative && ctx->base_dir ? "/" : "", name);
    struct stat st;
    if (stat(path, &st) == 0 && access(path, R_OK) == 0)
        return -EINVAL;
    const char *why = strerror(errno);
    char *shown_name = NULL;
    if (asprintf(&shown_name, "%s%s%s", relative && ctx->shown_dir ? ctx->shown_dir : "",
                 relative && ctx->shown_dir ? "/" : "", name) < 0)
        return -ENOMEM;
    conf_loc_t loc = {shown_file(ctx, config_error_file(cfg)), (unsigned)want};
    conf_error(ctx, loc, "@include", "%s: cannot read: %s", shown_name, why);
    free(shown_name);
    return 0;
}

static int read_error(conf_ctx_t *ctx, const char *text, const config_t *cfg)
{
    const char *what = config_error_text(cfg) ? config_error_text(cfg) : "unknown error";
    const char *file = config_error_file(cfg);
    if (config_error_type(cfg) == CONFIG_ERR_FILE_IO) {
        ctx->errors++;
        conf_message(ctx, "%s: cannot read: %s", ctx->name, what);
        return -EIO;
    }
    const char *raw = file && strcmp(file, ctx->name) != 0 ? file : NULL;
    if (strcmp(what, "cannot open include file") == 0 &&
        include_error(ctx, raw ? NULL : text, cfg, shown_file(ctx, raw)) == 0)
        return -EINVAL;
    ctx->errors++;
    conf_message(ctx, "%s:%d: %s", shown_file(ctx, raw), config_error_line(cfg), what);
    return -EINVAL;
}

/* ---- loading ---- */

/* dir: the main file's directory as given (NULL = none); base_dir becomes its absolute form, or
 * the working directory when absolute_cwd. */
static int ctx_init(conf_ctx_t *ctx, const char *name, const char *dir, bool absolute_cwd,
                    lmg_conf_messages_t *msgs)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->name = name;
    ctx->msgs = msgs;
    ctx->locs = calloc(conf_schema_count, sizeof(*ctx->locs));
    if (!ctx->locs)
        return -ENOMEM;
    if (!dir && !absolute_cwd)
        return 0;
    if (dir && !(ctx->shown_dir = strdup(dir)))
        return -ENOMEM;
    if (dir && dir[0] == '/')
        return (ctx->base_dir = strdup(dir)) ? 0 : -ENOMEM;
    char *cwd = getcwd(NULL, 0);
    if (!cwd)
        return -errno;
    if (!dir) {
        ctx->base_dir = cwd;
        return 0;
    }
    int n = asprintf(&ctx->base_dir, "%s/%s", cwd, dir);
    free(cwd);
    if (n < 0) {
        ctx->base_dir = NULL;
        return -ENOMEM;
    }
    return 0;
}

static void ctx_free(conf_ctx_t *ctx)
{
    for (size_t i = 0; i < ctx->name_count; i++)
        free(ctx->names[i]);
    free(ctx->names);
    free(ctx->locs);
    for (size_t i = 0; i < CONF_LIST_COUNT; i++)
        free(ctx->list_locs[i]);
    free(ctx->base_dir);
    free(ctx->shown_dir);
}

static int build(conf_ctx_t *ctx, const config_setting_t *root, lmg_conf_t **ret_conf)
{
    lmg_conf_t *conf = calloc(1, sizeof(*conf));
    if (!conf)
        return -ENOMEM;
    ctx->conf = conf;
    apply_defaults(ctx, conf, CONF_LIST_NONE);
    if (root)
        walk_group(ctx, root, "", "", conf, CONF_LIST_NONE);
    if (!ctx->oom && conf_resolve(conf) < 0)
        ctx->oom = true;
    if (!ctx->oom)
        conf_check_all(ctx);
    if (ctx->errors >= LMG_CONF_MAX_MESSAGES)
        conf_message(ctx, "%s: %zu more errors not shown", ctx->name,
                     ctx->errors - (LMG_CONF_MAX_MESSAGES - 1));
    if (ctx->oom || ctx->errors) {
        lmg_conf_free(conf);
        return ctx->oom ? -ENOMEM : -EINVAL;
    }
    *ret_conf = conf;
    return 0;
}

static int finish(conf_ctx_t *ctx, config_t *cfg, bool read_ok, const char *text,
                  lmg_conf_t **ret_conf)
{
    int r = read_ok ? build(ctx, config_root_setting(cfg), ret_conf) : read_error(ctx, text, cfg);
    config_destroy(cfg);
    ctx_free(ctx);
    return r;
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return NULL;
    return slash == path ? strdup("/") : strndup(path, (size_t)(slash - path));
}

static int check_readable(const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0 || access(path, R_OK) < 0)
        return -errno;
    return S_ISDIR(st.st_mode) ? -EISDIR : 0;
}

int lmg_conf_load(const char *path, lmg_conf_t **ret_conf, lmg_conf_messages_t *msgs)
{
    conf_ctx_t ctx;
    config_t cfg;
    int r = check_readable(path);
    if (r < 0) {
        memset(&ctx, 0, sizeof(ctx));
        ctx.msgs = msgs;
        conf_message(&ctx, "%s: cannot read: %s", path, strerror(-r));
        return ctx.oom ? -ENOMEM : r;
    }
    char *dir = dir_of(path);
    r = (strchr(path, '/') && !dir) ? -ENOMEM : ctx_init(&ctx, path, dir, true, msgs);
    free(dir);
    if (r < 0) {
        ctx_free(&ctx);
        return r;
    }
    config_init(&cfg);
    config_set_include_dir(&cfg, ctx.base_dir);
    return finish(&ctx, &cfg, config_read_file(&cfg, path) == CONFIG_TRUE, NULL, ret_conf);
}

int lmg_conf_load_string(const char *text, const char *name, const char *include_dir,
                         lmg_conf_t **ret_conf, lmg_conf_messages_t *msgs)
{
    conf_ctx_t ctx;
    config_t cfg;
    int r = ctx_init(&ctx, name ? name : "(string)", include_dir, false, msgs);
    if (r < 0) {
        ctx_free(&ctx);
        return r;
    }
    config_init(&cfg);
    if (ctx.base_dir)
        config_set_include_dir(&cfg, ctx.base_dir);
    return finish(&ctx, &cfg, config_read_string(&cfg, text) == CONFIG_TRUE, text, ret_conf);
}

lmg_conf_t *lmg_conf_new_default(void)
{
    lmg_conf_t *conf = NULL;
    return lmg_conf_load_string("", "(defaults)", NULL, &conf, NULL) == 0 ? conf : NULL;
}

static void free_fields(void *base, unsigned list)
{
    for (size_t i = 0; i < conf_schema_count; i++) {
        const conf_key_t *k = &conf_schema[i];
        if (k->list != list)
            continue;
        if (k->type == CONF_STRING)
            free(*(char **)conf_field(base, k));
        else if (k->type == CONF_LISTEN)
            free(((lmg_conf_listen_list_t *)conf_field(base, k))->items);
    }
}

void lmg_conf_free(lmg_conf_t *conf)
{
    if (!conf)
        return;
    for (unsigned l = 0; l < CONF_LIST_COUNT; l++) {
        const conf_list_t *L = &conf_lists[l];
        char *items = *(char **)((char *)conf + L->items_offset);
        size_t count = *(size_t *)((char *)conf + L->count_offset);
        for (size_t i = 0; i < count; i++)
            free_fields(items + i * L->elem_size, l + 1);
        free(items);
    }
    free_fields(conf, CONF_LIST_NONE);
    free(conf);
}
