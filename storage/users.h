/* SPDX-License-Identifier: Apache-2.0 */
/*
 * users.h - staff accounts in the index: users with a role and the cameras
 * they may see (grants), browser sessions and API tokens.
 *
 * Secrets never reach the index in the clear: passwords are stored as
 * Argon2id strings made by nvr/core/auth.c, session and API tokens as their
 * SHA-256.  A grant is a camera id, "group:NAME" (cameras whose config has
 * `group = NAME`) or "*" (every camera).  Deleting a user deletes their
 * grants, sessions and tokens (foreign keys, ON DELETE CASCADE); changing a
 * password deletes the user's sessions (and the caller revokes their API
 * tokens with users_tokens_revoke_user unless told to keep them).
 * A user's source says where the identity lives: "local" (the pwhash here)
 * or a directory ("ldap", "oidc") that vouches for it at every sign-in; a
 * directory user's pwhash is "!", which no password verifies.  "catalog":
 * a person of the district's catalog, mirrored with the catalog's pwhash
 * (users_replace_catalog).
 *
 * Threads: any thread (the index serialises).
 */
#ifndef NVR_STORAGE_USERS_H
#define NVR_STORAGE_USERS_H

#include "base/err.h"
#include "storage/index.h"

#include <stddef.h>
#include <stdint.h>

#define USER_GRANTS_MAX 64
#define USER_GRANT_LEN (INDEX_ID_MAX + 8)
#define USER_PWHASH_LEN 160
#define USER_CSRF_LEN 48
#define USER_SOURCE_LEN 8

enum user_role { USER_VIEWER = 1, USER_INVESTIGATOR = 2, USER_ADMIN = 3 };

struct user {
    int64_t id;
    char name[INDEX_ID_MAX];
    enum user_role role;
    char pwhash[USER_PWHASH_LEN];
    int64_t pw_changed_us, created_us;
    char source[USER_SOURCE_LEN]; /* "local" ("" when adding), "ldap", "oidc", "catalog": set by users_add only */
    size_t ngrants;
    char grants[USER_GRANTS_MAX][USER_GRANT_LEN];
};

/* "admin", "investigator", "viewer"; 0 for anything else. */
enum user_role users_role_parse(const char *s);
const char *users_role_name(enum user_role r);

/* Number of users (0 on a fresh install). */
nvr_err users_count(nvr_index *ix, int64_t *n);

/* Adds u (name, role, pwhash, created_us, grants); sets u->id.  NVR_EINVAL
 * if the name is taken. */
nvr_err users_add(nvr_index *ix, struct user *u);

/* One user by name or by id.  NVR_ENOTFOUND if none. */
nvr_err users_get(nvr_index *ix, const char *name, struct user *out);
nvr_err users_get_id(nvr_index *ix, int64_t id, struct user *out);

/* Every user by name: a new array (free()). */
nvr_err users_list(nvr_index *ix, struct user **out, size_t *n);

/* Stores u's role and grants, and with new_password its pwhash and
 * pw_changed_us -- then also deletes the user's sessions. */
nvr_err users_update(nvr_index *ix, const struct user *u, int new_password);

/* Deletes the user (and their grants, sessions, tokens).  NVR_ENOTFOUND. */
nvr_err users_delete(nvr_index *ix, const char *name);

/* The district catalog's people as this recorder mirrors them
 * (catalog/catalog_dir.h), in one transaction: afterwards the users of
 * source "catalog" are exactly v[0..n) (name, role, pwhash, grants), which
 * is sorted by name as strcmp orders them (NVR_EINVAL if not, or a name
 * repeats).  One
 * no longer in v is deleted (with its sessions and tokens); one whose
 * pwhash changed loses its sessions.  A name that belongs to an account of
 * another source is never taken over: skipped(name, arg) is called and the
 * account left alone.  *removed (if not NULL) gets how many were deleted. */
nvr_err users_replace_catalog(nvr_index *ix, const struct user *v, size_t n, int64_t now_us,
                              void (*skipped)(const char *name, void *arg), void *arg, int *removed);

/* ---- sessions (token_hash = SHA-256 of the cookie value) ---- */
nvr_err users_session_add(nvr_index *ix, const uint8_t hash[32], int64_t user_id, const char *csrf, const char *address,
                          int64_t now_us);
/* NVR_ENOTFOUND if there is no such session. */
nvr_err users_session_get(nvr_index *ix, const uint8_t hash[32], int64_t *user_id, char csrf[USER_CSRF_LEN],
                          int64_t *created_us, int64_t *last_us);
nvr_err users_session_touch(nvr_index *ix, const uint8_t hash[32], int64_t now_us);
nvr_err users_session_delete(nvr_index *ix, const uint8_t hash[32]);

/* ---- API tokens ---- */
nvr_err users_token_add(nvr_index *ix, const uint8_t hash[32], int64_t user_id, const char *label, int64_t now_us,
                        int64_t *id);
/* The user of an unrevoked token; NVR_ENOTFOUND otherwise. */
nvr_err users_token_find(nvr_index *ix, const uint8_t hash[32], int64_t *user_id);
/* Revokes token id of user_id (any user's if user_id is 0).  NVR_ENOTFOUND. */
nvr_err users_token_revoke(nvr_index *ix, int64_t id, int64_t user_id, int64_t now_us);
/* Revokes every unrevoked token of user_id (a password change); *n (if not
 * NULL) gets how many. */
nvr_err users_tokens_revoke_user(nvr_index *ix, int64_t user_id, int64_t now_us, int *n);
/* Notes that the token with this hash was used at now_us. */
nvr_err users_token_touch(nvr_index *ix, const uint8_t hash[32], int64_t now_us);

/* An API token as listed to admins: never the secret nor its hash. */
#define USER_TOKEN_LABEL_LEN 128
struct user_token {
    int64_t id, user_id, created_us;
    int64_t last_used_us; /* 0: never used */
    char label[USER_TOKEN_LABEL_LEN];
};

/* Every unrevoked API token, by user id then token id: a new array (free();
 * NULL when there is none). */
nvr_err users_tokens_list(nvr_index *ix, struct user_token **out, size_t *n);

#endif
