/* options.c - lwm2m-sim's command line: a table of typed options with bounds. */
#include <getopt.h>
#include <netdb.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/codec.h"
#include "sim.h"

typedef enum sim_opt_kind {
    SIM_OPTK_FLAG,    /* bool at offset */
    SIM_OPTK_U32,     /* uint32_t at offset, within [min, max] */
    SIM_OPTK_SPECIAL, /* parsed by sim_option_special */
} sim_opt_kind_t;

typedef struct sim_optdef {
    const char *name;
    sim_opt_kind_t kind;
    size_t offset;
    uint64_t min, max;
} sim_optdef_t;

#define SIM_U32(name, field, min, max)                                                             \
    {                                                                                              \
        name, SIM_OPTK_U32, offsetof(sim_options_t, field), min, max                               \
    }
#define SIM_FLAG(name, field)                                                                      \
    {                                                                                              \
        name, SIM_OPTK_FLAG, offsetof(sim_options_t, field), 0, 0                                  \
    }
#define SIM_SPECIAL(name)                                                                          \
    {                                                                                              \
        name, SIM_OPTK_SPECIAL, 0, 0, 0                                                            \
    }

static const sim_optdef_t sim_optdefs[] = {
    SIM_SPECIAL("server"),
    SIM_U32("count", count, 1, 1000000),
    SIM_SPECIAL("prefix"),
    SIM_U32("lifetime", lifetime, 1, UINT32_MAX),
    SIM_FLAG("queue", queue),
    SIM_SPECIAL("version"),
    SIM_SPECIAL("formats"),
    SIM_SPECIAL("bind"),
    SIM_FLAG("no-register", no_register),
    SIM_U32("awake", awake_s, 1, 86400),
    SIM_U32("ack-timeout", ack_timeout_ms, 10, 60000),
    SIM_SPECIAL("block-size"),
    SIM_U32("max-body", max_body, 1024, 64u << 20),
    SIM_U32("drift", drift_s, 0, 86400),
    SIM_U32("register-rate", register_rate, 0, 1000000),
    SIM_U32("retry", retry_s, 0, 86400),
    SIM_FLAG("con", notify_con),
    SIM_FLAG("keep-running", keep_running),
    SIM_U32("verbose", verbose, 0, 2),
    SIM_SPECIAL("seed"),
    SIM_FLAG("shared-socket", shared_socket),
};
#define SIM_OPTDEF_COUNT (sizeof(sim_optdefs) / sizeof(sim_optdefs[0]))

static void sim_usage(FILE *out)
{
    fprintf(out, "usage: lwm2m-sim [--server coap://HOST:PORT] [--count N] [--prefix P]\n"
                 "         [--lifetime S] [--queue] [--version 1.0|1.1|1.2] [--formats LIST]\n"
                 "         [--bind ADDR] [--no-register] [--awake S] [--ack-timeout MS]\n"
                 "         [--block-size 16..1024] [--max-body BYTES] [--drift S]\n"
                 "         [--register-rate N] [--retry S] [--con] [--keep-running]\n"
                 "         [--verbose 0|1|2] [--seed N] [--shared-socket]\n"
                 "Commands on stdin, events on stdout as JSON lines: see tests/sim/README.md.\n");
}

int sim_resolve(const char *host, const char *port, int family, sim_addr_t *ret)
{
    struct addrinfo hints = {.ai_family = family, .ai_socktype = SOCK_DGRAM}, *res;
    if (getaddrinfo(host, port, &hints, &res) != 0)
        return -1;
    memcpy(&ret->ss, res->ai_addr, res->ai_addrlen);
    ret->len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

/* coap://HOST[:PORT], HOST a name, an IPv4 address or [IPv6]. */
static int sim_parse_server(sim_options_t *opt, const char *uri)
{
    char host[128], port[16] = "5683";
    if (strncmp(uri, "coap://", 7) != 0)
        return -1;
    const char *h = uri + 7, *end;
    if (*h == '[') {
        end = strchr(h, ']');
        if (!end || (size_t)(end - h - 1) >= sizeof(host))
            return -1;
        snprintf(host, sizeof(host), "%.*s", (int)(end - h - 1), h + 1);
        end++;
    } else {
        end = h + strcspn(h, ":/");
        if ((size_t)(end - h) >= sizeof(host) || end == h)
            return -1;
        snprintf(host, sizeof(host), "%.*s", (int)(end - h), h);
    }
    if (*end == ':')
        snprintf(port, sizeof(port), "%.*s", (int)strcspn(end + 1, "/"), end + 1);
    snprintf(opt->server_text, sizeof(opt->server_text), "%s", uri);
    return sim_resolve(host, port, AF_UNSPEC, &opt->server);
}

static int sim_parse_formats(sim_options_t *opt, const char *list)
{
    char copy[256];
    snprintf(copy, sizeof(copy), "%s", list);
    opt->format_count = 0;
    for (char *save, *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        const lwm2m_codec_t *c = lwm2m_codec_find_by_name(tok);
        if (!c || opt->format_count == SIM_MAX_FORMATS)
            return -1;
        opt->formats[opt->format_count++] = c->content_format;
    }
    return opt->format_count ? 0 : -1;
}

static bool sim_arg_uint(const char *text, uint64_t min, uint64_t max, uint64_t *ret)
{
    return lwm2m_parse_uint64(text, strlen(text), ret) == 0 && *ret >= min && *ret <= max;
}

static int sim_option_special(sim_options_t *opt, const char *name, const char *arg)
{
    uint64_t v;
    if (strcmp(name, "server") == 0)
        return sim_parse_server(opt, arg);
    if (strcmp(name, "prefix") == 0) {
        opt->prefix = arg;
        return strlen(arg) < SIM_EP_MAX - 8 ? 0 : -1;
    }
    if (strcmp(name, "version") == 0) {
        if (strcmp(arg, "1.0") && strcmp(arg, "1.1") && strcmp(arg, "1.2"))
            return -1;
        opt->version_minor = (uint8_t)(arg[2] - '0');
        return 0;
    }
    if (strcmp(name, "formats") == 0)
        return sim_parse_formats(opt, arg);
    if (strcmp(name, "bind") == 0)
        return snprintf(opt->bind, sizeof(opt->bind), "%s", arg) < (int)sizeof(opt->bind) ? 0 : -1;
    if (strcmp(name, "block-size") == 0) {
        if (!sim_arg_uint(arg, 16, 1024, &v) || (v & (v - 1)))
            return -1;
        opt->max_szx = (uint8_t)(__builtin_ctzll(v) - 4);
        return 0;
    }
    if (!sim_arg_uint(arg, 0, UINT32_MAX, &v)) /* seed */
        return -1;
    srandom((unsigned)v);
    return 0;
}

static int sim_option(sim_options_t *opt, const sim_optdef_t *def, const char *arg)
{
    uint64_t v;
    switch (def->kind) {
    case SIM_OPTK_FLAG:
        *(bool *)((char *)opt + def->offset) = true;
        return 0;
    case SIM_OPTK_U32:
        if (!sim_arg_uint(arg, def->min, def->max, &v))
            return -1;
        *(uint32_t *)((char *)opt + def->offset) = (uint32_t)v;
        return 0;
    default:
        return sim_option_special(opt, def->name, arg);
    }
}

static void sim_options_defaults(sim_options_t *opt)
{
    *opt = (sim_options_t){.count = 1,
                           .prefix = "sim-",
                           .lifetime = 60,
                           .version_minor = 1,
                           .awake_s = 93,
                           .ack_timeout_ms = 2000,
                           .max_szx = 6,
                           .max_body = 1u << 20,
                           .retry_s = 30,
                           .verbose = 1};
    sim_parse_server(opt, "coap://127.0.0.1:5683");
}

/* Defaults that depend on other options. */
static void sim_options_finish(sim_options_t *opt, bool formats_given)
{
    static const char *const lists[] = {
        "tlv,oma-json,text,opaque",
        "senml-cbor,senml-json,tlv,oma-json,cbor,text,opaque",
        "senml-cbor,senml-json,lwm2m-cbor,tlv,oma-json,cbor,text,opaque",
    };
    if (!formats_given)
        sim_parse_formats(opt, lists[opt->version_minor]);
    if (!opt->bind[0])
        snprintf(opt->bind, sizeof(opt->bind), "%s",
                 opt->server.ss.ss_family == AF_INET6 ? "::1"
                 : opt->shared_socket                 ? "127.1.0.1"
                                                      : "127.0.0.1");
}

int sim_options_parse(sim_options_t *opt, int argc, char **argv)
{
    struct option longopts[SIM_OPTDEF_COUNT + 2];
    for (size_t i = 0; i < SIM_OPTDEF_COUNT; i++)
        longopts[i] = (struct option){
            sim_optdefs[i].name, sim_optdefs[i].kind == SIM_OPTK_FLAG ? 0 : 1, NULL, (int)i + 1};
    longopts[SIM_OPTDEF_COUNT] = (struct option){"help", 0, NULL, 'h'};
    longopts[SIM_OPTDEF_COUNT + 1] = (struct option){NULL, 0, NULL, 0};
    sim_options_defaults(opt);
    bool formats_given = false;
    int c;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (c == 'h') {
            sim_usage(stdout);
            exit(0);
        }
        const sim_optdef_t *def = c >= 1 && c <= (int)SIM_OPTDEF_COUNT ? &sim_optdefs[c - 1] : NULL;
        formats_given = formats_given || (def && strcmp(def->name, "formats") == 0);
        if (!def || sim_option(opt, def, optarg) < 0) {
            fprintf(stderr, "lwm2m-sim: bad option %s%s%s\n", argv[optind - 1], optarg ? " " : "",
                    optarg ? optarg : "");
            sim_usage(stderr);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "lwm2m-sim: unexpected argument %s\n", argv[optind]);
        sim_usage(stderr);
        return -1;
    }
    sim_options_finish(opt, formats_given);
    return 0;
}
