/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli.h - the subcommands of the `nvr` binary (CONTRACT.md, docs/ref/cli.md).
 * Each takes the arguments after the subcommand name and returns the
 * process exit status.
 *
 * Threads: the main thread; no global state of its own.  cli_parse and
 * cli_parse_n use getopt's globals, so a subcommand calls them before it
 * starts any thread.  `nvr run` (cli_run) starts the server's threads and
 * stays on the main thread for the signals, reloads and shutdown
 * (docs/design/overview.md, Threads).
 */
#ifndef NVR_CLI_H
#define NVR_CLI_H

#include <stdio.h>

struct nvr_config;
struct storage;
struct archive;

int cli_run(int argc, char **argv);
/* The archive tier of cfg for st (*out NULL without one); read_only: no
 * archiving, only reading archived footage (cli_archive.c). */
int cli_archive_start(const struct nvr_config *cfg, struct storage *st, int read_only, struct archive **out);
int cli_check(int argc, char **argv);
int cli_recordings(int argc, char **argv);
int cli_version(int argc, char **argv);
int cli_hold(int argc, char **argv);       /* cli_hold.c */
int cli_user(int argc, char **argv);       /* cli_user.c */
int cli_verify_log(int argc, char **argv); /* cli_user.c: nvr verify -c FILE --log */
int cli_verify(int argc, char **argv);
int cli_routes(int argc, char **argv);
int cli_cert(int argc, char **argv);          /* cli_cert.c */
int cli_audit(int argc, char **argv);         /* cli_audit.c */
int cli_discover(int argc, char **argv);      /* cli_audit.c */
int cli_export(int argc, char **argv);        /* cli_export.c */
int cli_verify_export(int argc, char **argv); /* cli_export.c: EXPORT.zip, --storage */
int cli_version_key(int argc, char **argv);   /* cli_export.c: version --key */
int cli_backup(int argc, char **argv);        /* cli_backup.c */
int cli_redact(int argc, char **argv);        /* cli_redact.c */
int cli_motion(int argc, char **argv);        /* cli_motion.c */
int cli_console(int argc, char **argv);       /* cli_console.c */
int cli_restore(int argc, char **argv);       /* cli_backup.c */
int cli_district(int argc, char **argv);      /* cli_district.c */
void cli_usage(FILE *f);                      /* cli_opts.c */

/* One option of a subcommand (cli_opts.c): --NAME, and -SHORT when
 * short_name is not 0.  An option with an argument stores it in *text
 * (text not NULL); one without sets *flag to 1. */
struct cli_option {
    const char *name;
    char short_name;
    const char **text;
    int *flag;
};

/* Parses argv (argv[0] is the subcommand) against opts, a table ended by
 * an entry with a NULL name.  At most one positional argument goes to
 * *positional (NULL if none; positional NULL: none is allowed).  --help
 * prints the usage and exits 0.  Returns 0, or -1 after a message on
 * stderr. */
int cli_parse(int argc, char **argv, const struct cli_option *opts, const char **positional);

/* cli_parse with up to max positional arguments into positionals[],
 * their count into *npositional (more than max is an error). */
int cli_parse_n(int argc, char **argv, const struct cli_option *opts, const char **positionals, size_t max,
                size_t *npositional);

/* 0 if config (-c FILE) was given, else -1 after saying it is required. */
int cli_need_config(const char *config);

/* One line of stdin without its newline into buf (a password: "password: "
 * is asked on stderr when stdin is a terminal); -1 if there is none. */
int cli_read_password(char *buf, size_t n);

/* Parses "--what" seconds in (0, max] into *out; -1 after a message. */
int cli_seconds(const char *text, const char *what, double max, double *out);

#endif
