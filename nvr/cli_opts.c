/*
 * cli_opts.c - the option parser every subcommand shares (cli.h): a table
 * of options pointing at the caller's variables, so each subcommand states
 * its options once and parses them the same way (getopt_long underneath).
 *
 * Threads: the main thread, before any other starts (getopt's globals).
 */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define CLI_MAX_OPTIONS 24

int cli_parse(int argc, char **argv, const struct cli_option *opts, const char **positional)
{
    struct option longopts[CLI_MAX_OPTIONS + 2];
    char shorts[2 * CLI_MAX_OPTIONS + 2] = "";
    size_t n = 0, ns = 0;
    for (; opts[n].name; n++) {
        if (n == CLI_MAX_OPTIONS)
            abort(); /* a programming error: raise CLI_MAX_OPTIONS */
        longopts[n] = (struct option){opts[n].name, opts[n].text ? required_argument : no_argument, NULL,
                                      256 + (int)n};
        if (opts[n].short_name) {
            shorts[ns++] = opts[n].short_name;
            if (opts[n].text)
                shorts[ns++] = ':';
        }
    }
    longopts[n] = (struct option){"help", no_argument, NULL, 'h'};
    longopts[n + 1] = (struct option){NULL, 0, NULL, 0};
    shorts[ns++] = 'h';
    shorts[ns] = '\0';
    if (positional)
        *positional = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, shorts, longopts, NULL)) != -1) {
        size_t i = n;
        if (c == 'h') {
            cli_usage(stdout);
            exit(0);
        }
        if (c >= 256)
            i = (size_t)(c - 256);
        else
            for (i = 0; i < n && opts[i].short_name != c; i++)
                ;
        if (i == n)
            return -1; /* getopt said what was wrong */
        if (opts[i].text)
            *opts[i].text = optarg;
        else
            *opts[i].flag = 1;
    }
    if (optind < argc && positional)
        *positional = argv[optind++];
    if (optind < argc) {
        fprintf(stderr, "nvr: unexpected argument \"%s\"\n", argv[optind]);
        return -1;
    }
    return 0;
}

int cli_need_config(const char *config)
{
    if (config)
        return 0;
    fprintf(stderr, "nvr: -c FILE is required\n");
    return -1;
}

int cli_seconds(const char *text, const char *what, double max, double *out)
{
    char *end;
    double s = strtod(text, &end);
    if (end == text || *end || !(s > 0 && s <= max)) {
        fprintf(stderr, "nvr: %s must be seconds, above 0 and at most %g\n", what, max);
        return -1;
    }
    *out = s;
    return 0;
}
