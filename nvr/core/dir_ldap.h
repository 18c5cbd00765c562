/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dir_ldap.h - sign-in against an LDAP directory or Active Directory
 * ([ldap] in the config; docs/design/security.md, "Directory sign-in").
 *
 * Contract of dir_ldap_check(): the directory vouches for a name and a
 * password, and says which groups the person is in.  An empty password is
 * refused before anything is sent (an empty simple bind is an anonymous
 * bind, which a directory accepts).  The name is escaped (RFC 4515) before it
 * goes into the search filter, so it can only ever match one attribute
 * value; exactly one entry must match.  The groups are mapped to a role (the
 * highest of admin_groups, investigator_groups, viewer_groups) and grants
 * (the union of the grant.GROUP lines), by the group's CN.  Nothing here
 * touches the index: the caller (core/auth.c) makes or refreshes the account.
 *
 * Every directory operation has the config's timeout (at most 5 s); at most
 * max_busy checks run at once (the next are answered NVR_ECONN at once), so
 * anonymous clients cannot tie up more than that many HTTP threads on a slow
 * directory (the caller gives half the HTTP threads: the others keep serving).  Failures are logged one line per kind
 * (then again only after DIR_LDAP_LOG_US or once another kind or a success came between); the bind password and the
 * user's password are never logged.
 *
 * Threads: any thread; each check uses its own connection.
 */
#ifndef NVR_CORE_DIR_LDAP_H
#define NVR_CORE_DIR_LDAP_H

#include "base/config.h"
#include "base/err.h"
#include "storage/users.h"

#include <stddef.h>

#define DIR_LDAP_MAX_GROUPS 256          /* groups read for one user */
#define DIR_LDAP_LOG_US (60LL * 1000000) /* a repeated failure kind is logged again after this */

struct dir_ldap;

/* What the directory says about a person. */
struct dir_ldap_user {
    char name[INDEX_ID_MAX]; /* the account name as the directory spells it (name_attribute) */
    enum user_role role;     /* 0: in no group mapped to a role */
    size_t ngrants;
    char grants[USER_GRANTS_MAX][USER_GRANT_LEN];
};

/* Makes the directory client for cfg (borrowed: it must outlive *out), with
 * at most max_busy (at least 1) checks at once; reads bind_password_file.
 * If that file or ca_file cannot be read, that is logged and every check
 * answers NVR_ECONN (the recorder still starts: recording matters more than
 * directory sign-in, and local accounts still work).  NVR_ENOMEM only. */
nvr_err dir_ldap_create(struct dir_ldap **out, const struct nvr_ldap_config *cfg, int max_busy);
void dir_ldap_destroy(struct dir_ldap **d);

/* Checks name/password with the directory.  NVR_OK with *out filled;
 * NVR_EAUTH: empty or wrong password, no such name, several entries match,
 * or the directory's name is not a usable account name ([A-Za-z0-9_.@-]);
 * NVR_ECONN: the directory cannot be reached or refused the service account
 * (down, timeout, TLS failure, too many checks at once). */
nvr_err dir_ldap_check(struct dir_ldap *d, const char *name, const char *password, struct dir_ldap_user *out);

/* Writes s escaped as an RFC 4515 filter value (\2a for '*', \28 '(', \29
 * ')', \5c '\'; a C string holds no NUL) into out; NVR_EINVAL if it does not
 * fit (never cut: a cut escape would be another filter). */
nvr_err dir_ldap_escape(const char *s, char *out, size_t n);

#endif
