/* dump.c - the effective configuration in libconfig syntax (for --check-config -v), walked from
 * the schema table, with secrets masked. The output loads again, except for masked secrets. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "conf_internal.h"

static void put_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", out);
        else if (*p == '\t')
            fputs("\\t", out);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(out, "\\x%02x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

static const char *leaf_name(const char *key)
{
    const char *dot = strrchr(key, '.');
    return dot ? dot + 1 : key;
}

static void put_listen(FILE *out, const lmg_conf_listen_list_t *list)
{
    fputc('[', out);
    for (size_t i = 0; i < list->count; i++) {
        fputs(i ? ", " : " ", out);
        put_string(out, list->items[i].text);
    }
    fputs(list->count ? " ]" : "]", out);
}

static void put_value(FILE *out, const conf_key_t *k, const void *base, int indent)
{
    const void *field = (const char *)base + k->offset;
    fprintf(out, "%*s%s = ", indent, "", leaf_name(k->key));
    switch (k->type) {
    case CONF_INT:
        fprintf(out, "%d;\n", *(const int *)field);
        return;
    case CONF_INT64: {
        long long v = (long long)*(const int64_t *)field;
        fprintf(out, "%lld%s;\n", v, v > 2147483647LL ? "L" : "");
        return;
    }
    case CONF_BOOL:
        fprintf(out, "%s;\n", *(const bool *)field ? "true" : "false");
        return;
    case CONF_ENUM:
        put_string(out, conf_enum_name(k->names, *(const int *)field));
        fputs(";\n", out);
        return;
    case CONF_LISTEN:
        put_listen(out, field);
        fputs(";\n", out);
        return;
    case CONF_STRING: {
        const char *s = *(char *const *)field;
        bool masked = (k->flags & CONF_F_SECRET) && s[0];
        put_string(out, masked ? "********" : s);
        fputs(masked ? "; # masked\n" : ";\n", out);
        return;
    }
    default:
        return;
    }
}

/* A list of groups (k is its CONF_RULES key), at indent. */
static void put_list(FILE *out, const lmg_conf_t *conf, const conf_key_t *k, int indent)
{
    const conf_list_t *L = &conf_lists[k->holds - 1];
    const char *items = *(char *const *)((const char *)conf + L->items_offset);
    size_t count = *(const size_t *)((const char *)conf + L->count_offset);
    fprintf(out, "%*s%s = (%s", indent, "", leaf_name(k->key), count ? "\n" : "");
    for (size_t i = 0; i < count; i++) {
        fprintf(out, "%*s{\n", indent + 2, "");
        for (size_t j = 0; j < conf_schema_count; j++) {
            if (conf_schema[j].list == k->holds)
                put_value(out, &conf_schema[j], items + i * L->elem_size, indent + 4);
        }
        fprintf(out, "%*s}%s\n", indent + 2, "", i + 1 < count ? "," : "");
    }
    fprintf(out, "%*s);\n", count ? indent : 0, "");
}

/* Closes the open groups that do not contain key; returns the remaining depth. */
static int close_groups(FILE *out, const char **open, int depth, const char *key)
{
    while (depth > 0) {
        size_t n = strlen(open[depth - 1]);
        if (strncmp(open[depth - 1], key, n) == 0 && key[n] == '.')
            break;
        depth--;
        fprintf(out, "%*s};\n", 2 * depth, "");
    }
    return depth;
}

int lmg_conf_dump(const lmg_conf_t *conf, FILE *out)
{
    const char *open[8];
    int depth = 0;
    for (size_t i = 0; i < conf_schema_count; i++) {
        const conf_key_t *k = &conf_schema[i];
        if (k->list)
            continue;
        depth = close_groups(out, open, depth, k->key);
        if (k->type == CONF_GROUP && depth < 8) {
            fprintf(out, "%s%*s%s = {\n", depth || i == 0 ? "" : "\n", 2 * depth, "",
                    leaf_name(k->key));
            open[depth++] = k->key;
        } else if (k->type == CONF_RULES) {
            if (!depth)
                fputc('\n', out);
            put_list(out, conf, k, 2 * depth);
        } else {
            put_value(out, k, conf, 2 * depth);
        }
    }
    close_groups(out, open, depth, "");
    return ferror(out) || fflush(out) != 0 ? -EIO : 0;
}
