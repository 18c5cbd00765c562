/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c - the `nvr` binary: dispatches to the subcommands in cli.c.
 */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {
        {"run", cli_run},           {"check", cli_check},       {"recordings", cli_recordings},
        {"hold", cli_hold},         {"user", cli_user},         {"verify", cli_verify},
        {"routes", cli_routes},     {"cert", cli_cert},         {"audit", cli_audit},
        {"discover", cli_discover}, {"export", cli_export},     {"version", cli_version},
        {"backup", cli_backup},     {"restore", cli_restore},   {"redact", cli_redact},
        {"motion", cli_motion},     {"district", cli_district}, {"console", cli_console},
        {"--version", cli_version},
    };
    if (argc < 2) {
        cli_usage(stderr);
        return 2;
    }
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (strcmp(argv[1], cmds[i].name) == 0)
            return cmds[i].fn(argc - 1, argv + 1);
    if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        cli_usage(stdout);
        return 0;
    }
    fprintf(stderr, "nvr: unknown command \"%s\"\n", argv[1]);
    cli_usage(stderr);
    return 2;
}
