/*
 * cli.h - the subcommands of the `nvr` binary (CONTRACT.md, docs/ref/cli.md).
 * Each takes the arguments after the subcommand name and returns the
 * process exit status.
 */
#ifndef NVR_CLI_H
#define NVR_CLI_H

#include <stdio.h>

int cli_run(int argc, char **argv);
int cli_check(int argc, char **argv);
int cli_recordings(int argc, char **argv);
int cli_version(int argc, char **argv);
int cli_hold(int argc, char **argv); /* cli_hold.c */
int cli_user(int argc, char **argv); /* cli_user.c */
int cli_verify_log(int argc, char **argv); /* cli_user.c: nvr verify -c FILE --log */
int cli_verify(int argc, char **argv);
int cli_routes(int argc, char **argv);
int cli_cert(int argc, char **argv); /* cli_cert.c */
int cli_audit(int argc, char **argv);    /* cli_audit.c */
int cli_discover(int argc, char **argv); /* cli_audit.c */
int cli_export(int argc, char **argv);      /* cli_export.c */
int cli_verify_export(int argc, char **argv); /* cli_export.c: EXPORT.zip, --storage */
int cli_version_key(int argc, char **argv); /* cli_export.c: version --key */
void cli_usage(FILE *f);

#endif
