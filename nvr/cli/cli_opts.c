/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_opts.c - the usage text, and the option parser every subcommand
 * shares (cli.h): a table
 * of options pointing at the caller's variables, so each subcommand states
 * its options once and parses them the same way (getopt_long underneath).
 *
 * Threads: the main thread, before any other starts (getopt's globals).
 */
#include "cli/cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CLI_MAX_OPTIONS 24

void cli_usage(FILE *f)
{
    fputs("usage:\n"
          "  nvr run -c FILE                 record every configured camera until SIGTERM/SIGINT\n"
          "  nvr check -c FILE [--storage [--repair [--apply]] [--rebuild-index]\n"
          "            [--rebuild-motion [--from T] [--to T]]]\n"
          "                                  validate the config (and the stored footage); --repair\n"
          "                                  says what it would do, --apply does it; --rebuild-index\n"
          "                                  indexes the segment files the index does not list;\n"
          "                                  --rebuild-motion runs motion detection over the footage again\n"
          "  nvr console -c FILE             the district's web UI and API over the catalog ([catalog] url,\n"
          "                                  [console]), proxying camera routes to the recorders\n"
          "  nvr console --routes            the console's routes and who may call them\n"
          "  nvr recordings -c FILE CAMERA [--from T] [--to T] [--json]\n"
          "                                  recorded coverage of one camera\n"
          "  nvr motion -c FILE CAMERA --from T --to T [--region x0,y0,x1,y1] [--limit N] [--json]\n"
          "                                  motion events (that touched the region; 0..1 coordinates)\n"
          "  nvr hold add -c FILE --camera ID[,ID...] --from T --to T --reason TEXT [--case ID] [--json]\n"
          "  nvr hold list -c FILE [--all] [--json]\n"
          "  nvr hold release -c FILE ID     evidence holds: footage retention never deletes\n"
          "  nvr user add -c FILE NAME --role admin|investigator|viewer [--camera ID|group:G|*[,...]]\n"
          "  nvr user passwd -c FILE NAME [--keep-tokens]\n"
          "                                  (the password is read from standard input; the user's\n"
          "                                  API tokens are revoked unless --keep-tokens)\n"
          "  nvr user del -c FILE NAME\n"
          "  nvr user token -c FILE NAME [--label TEXT]   prints a new API token\n"
          "  nvr user list -c FILE           users, grants, and API tokens with their last use\n"
          "  nvr district user add -c FILE NAME --role R [--grant *|site:S|S.CAMERA|group:G[,...]]\n"
          "  nvr district user passwd|del -c FILE NAME\n"
          "  nvr district user grant|revoke -c FILE NAME WHAT[,WHAT...]\n"
          "  nvr district user list -c FILE  the district's people in the [catalog] (password on stdin)\n"
          "  nvr verify -c FILE --log        checks the access log's hash chain\n"
          "  nvr cert -c FILE --self-signed [--force]   makes tls_key and tls_cert for a lab\n"
          "  nvr routes                      the HTTP routes and who may call them\n"
          "  nvr audit -c FILE [--probe] [--json|--csv] [--camera ID] [--vendors FILE] [--oui FILE] [--timeout S]\n"
          "                                  NDAA compliance report (probes the cameras only with --probe)\n"
          "  nvr audit -c FILE --firewall nft|iptables|table [--recorder ADDR] [--allow ADDR[,ADDR...]]\n"
          "                                  rules containing the covered and exposed cameras\n"
          "  nvr audit -c FILE --signed-report OUT [--recorder ADDR] [--allow ADDR[,...]]\n"
          "                                  the audit and containment report, signed (check: nvr verify OUT)\n"
          "  nvr discover [--timeout S] [--json] [--target HOST:PORT]\n"
          "                                  list ONVIF cameras on the local network (WS-Discovery)\n"
          "  nvr export -c FILE --camera ID[,ID...] --from T --to T -o OUT.zip [--reason TEXT] [--case ID] [--native]\n"
          "                                  signed evidence export (zip: MP4 per camera, manifest, signature)\n"
          "  nvr verify EXPORT.zip|REPORT [--fingerprint HEX | --key FILE | -c FILE] | nvr verify -c FILE --storage\n"
          "                                  check an export's, district export's or signed report's signature,\n"
          "                                  signer and hashes / stored footage (--pin is --fingerprint)\n"
          "  nvr verify ORIGINAL.zip --derived REDACTED.zip [--fingerprint HEX | --key FILE | -c FILE]\n"
          "                                  both intact, and the redacted copy derived from the original\n"
          "  nvr redact -c FILE EXPORT.zip REDACTIONS.json OUT.zip [--request NUM] [--requester NAME]\n"
          "                                  a signed redacted copy of an export (records requests);\n"
          "                                  nvr verify ORIGINAL.zip --derived OUT.zip checks the chain\n"
          "  nvr backup -c FILE OUT.tar [--passphrase-file P]\n"
          "                                  index, state, config and signing key (encrypted with the\n"
          "                                  passphrase) into a tar, while nvr run records; not the footage\n"
          "  nvr restore -c FILE IN.tar [--passphrase-file P] [--force]\n"
          "                                  put a backup back (nvr stopped), then index the footage on disk\n"
          "  nvr version [--key -c FILE]     print the version (and the export signing key)\n"
          "Times T are RFC 3339, e.g. 2026-11-22T04:00:00Z.\n",
          f);
}

int cli_parse(int argc, char **argv, const struct cli_option *opts, const char **positional)
{
    size_t n = 0;
    return cli_parse_n(argc, argv, opts, positional, positional ? 1 : 0, &n);
}

int cli_parse_n(int argc, char **argv, const struct cli_option *opts, const char **positionals, size_t max,
                size_t *npositional)
{
    struct option longopts[CLI_MAX_OPTIONS + 2];
    char shorts[2 * CLI_MAX_OPTIONS + 2] = "";
    size_t n = 0, ns = 0;
    for (; opts[n].name; n++) {
        if (n == CLI_MAX_OPTIONS)
            abort(); /* a programming error: raise CLI_MAX_OPTIONS */
        longopts[n] = (struct option){opts[n].name, opts[n].text ? required_argument : no_argument, NULL, 256 + (int)n};
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
    for (size_t k = 0; k < max; k++)
        positionals[k] = NULL;
    *npositional = 0;
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
    while (optind < argc && *npositional < max)
        positionals[(*npositional)++] = argv[optind++];
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

int cli_read_password(char *buf, size_t n)
{
    if (isatty(STDIN_FILENO))
        fprintf(stderr, "password: ");
    if (!fgets(buf, (int)n, stdin))
        return -1;
    buf[strcspn(buf, "\r\n")] = '\0';
    return 0;
}
