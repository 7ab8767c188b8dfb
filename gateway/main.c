/* main.c - the lwm2m-mqtt-gateway daemon: command line, configuration check, start. It runs in
 * the foreground (systemd Type=notify, OpenWrt procd). */
#include <getopt.h>
#include <sys/resource.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "log.h"

#define DEFAULT_CONFIG "/etc/lwm2m-mqtt-gateway/lwm2m-mqtt-gateway.conf"

static void usage(FILE *f)
{
    fprintf(f, "usage: lwm2m-mqtt-gateway [-c FILE] [--check-config [-v]] [--version] [--help]\n"
               "\n"
               "An LwM2M server for the devices of a site and an MQTT client toward the cloud.\n"
               "  -c, --config FILE   site configuration (default " DEFAULT_CONFIG ")\n"
               "      --check-config  validate the configuration, print every problem as\n"
               "                      file:line: key: reason, exit 0 (valid) or 1\n"
               "  -v, --verbose       with --check-config: print the effective configuration\n"
               "      --schema        print every configuration key as a Markdown table\n"
               "      --version       print the version\n"
               "  -h, --help          this text\n"
               "Signals: SIGTERM/SIGINT stop gracefully, SIGHUP reloads the configuration.\n");
}

static int load_config(const char *path, lmg_conf_t **ret)
{
    lmg_conf_messages_t msgs = {0};
    int rc = lmg_conf_load(path, ret, &msgs);
    for (size_t i = 0; i < msgs.count; i++)
        fprintf(stderr, "%s\n", msgs.items[i]);
    lmg_conf_messages_free(&msgs);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option options[] = {{"config", required_argument, NULL, 'c'},
                                            {"check-config", no_argument, NULL, 'C'},
                                            {"verbose", no_argument, NULL, 'v'},
                                            {"schema", no_argument, NULL, 'S'},
                                            {"version", no_argument, NULL, 'V'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    const char *config = DEFAULT_CONFIG;
    bool check = false, verbose = false;
    int c;
    while ((c = getopt_long(argc, argv, "c:vh", options, NULL)) != -1) {
        switch (c) {
        case 'c':
            config = optarg;
            break;
        case 'C':
            check = true;
            break;
        case 'v':
            verbose = true;
            break;
        case 'S':
            return lmg_conf_schema_markdown(stdout) == 0 ? 0 : 1;
        case 'V':
            printf("lwm2m-mqtt-gateway %s\n", LMG_VERSION);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "lwm2m-mqtt-gateway: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    lmg_conf_t *conf = NULL;
    if (load_config(config, &conf) < 0) {
        if (check)
            printf("%s: invalid\n", config);
        return 1;
    }
    if (check) {
        printf("%s: valid\n", config);
        if (verbose)
            lmg_conf_dump(conf, stdout);
        lmg_conf_free(conf);
        return 0;
    }
    /* Every device reached on a session of our own is a socket: use the whole hard limit. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    log_open("lwm2m-mqtt-gateway",
             conf->gateway.log_target == LMG_CONF_LOG_SYSLOG ? "syslog" : "stderr",
             (log_level_t)conf->gateway.log_level);
    app_t app;
    memset(&app, 0, sizeof(app));
    if (app_start(&app, config, conf) < 0) {
        log_error("startup failed; see the messages above");
        app_stop(&app);
        log_close();
        return 1;
    }
    int rc = app_run(&app);
    log_close();
    return rc;
}
