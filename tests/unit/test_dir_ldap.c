/* SPDX-License-Identifier: Apache-2.0 */
/* The LDAP sign-in client (nvr/core/dir_ldap.c) without a directory: the
 * RFC 4515 escaping of names put into filters, an empty password refused
 * before anything is sent, and a directory that cannot be reached answered
 * NVR_ECONN (test_ldap.py does the rest against a real slapd). */
#include "check.h"

#include "core/dir_ldap.h"

#include <string.h>

static void test_escape(void)
{
    char out[64];
    CHECK_EQ_INT(dir_ldap_escape("alice", out, sizeof out), NVR_OK);
    CHECK_EQ_STR(out, "alice");
    CHECK_EQ_INT(dir_ldap_escape("*", out, sizeof out), NVR_OK);
    CHECK_EQ_STR(out, "\\2a");
    CHECK_EQ_INT(dir_ldap_escape("a)(uid=*", out, sizeof out), NVR_OK);
    CHECK_EQ_STR(out, "a\\29\\28uid=\\2a");
    CHECK_EQ_INT(dir_ldap_escape("back\\slash", out, sizeof out), NVR_OK);
    CHECK_EQ_STR(out, "back\\5cslash");
    CHECK_EQ_INT(dir_ldap_escape("", out, sizeof out), NVR_OK);
    CHECK_EQ_STR(out, "");
    /* too long for out: refused, never cut (a cut escape would be a different filter) */
    CHECK_EQ_INT(dir_ldap_escape("abc*", out, 6), NVR_EINVAL);
    CHECK_EQ_INT(dir_ldap_escape("abc*", out, 7), NVR_OK);
    CHECK_EQ_STR(out, "abc\\2a");
}

static void test_check_without_directory(void)
{
    struct nvr_ldap_config cfg = {.url = "ldap://127.0.0.1:1", .user_base = "dc=x", .member_of = 1, .timeout = 1};
    struct dir_ldap *d = NULL;
    struct dir_ldap_user u;
    CHECK_EQ_INT(dir_ldap_create(&d, &cfg, 1), NVR_OK);
    if (!d)
        return;
    CHECK_EQ_INT(dir_ldap_check(d, "alice", "", &u), NVR_EAUTH); /* before connecting: no anonymous bind */
    CHECK_EQ_INT(dir_ldap_check(d, "", "pw-pw-pw-pw", &u), NVR_EAUTH);
    CHECK_EQ_INT(dir_ldap_check(d, "alice", "pw-pw-pw-pw", &u), NVR_ECONN); /* nothing listens on port 1 */
    CHECK_EQ_INT(u.role, 0);
    dir_ldap_destroy(&d);
    CHECK(d == NULL);
    dir_ldap_destroy(&d); /* tolerates NULL */
    /* a password file that cannot be read: the recorder starts, directory sign-in answers NVR_ECONN */
    cfg.bind_password_file = "/nonexistent/ldap-password";
    cfg.bind_dn = "cn=nvr";
    CHECK_EQ_INT(dir_ldap_create(&d, &cfg, 1), NVR_OK);
    CHECK(d != NULL);
    if (d)
        CHECK_EQ_INT(dir_ldap_check(d, "alice", "pw-pw-pw-pw", &u), NVR_ECONN);
    dir_ldap_destroy(&d);
    cfg.bind_password_file = NULL;
    cfg.bind_dn = NULL;
    cfg.ca_file = "/nonexistent/ca.pem";
    CHECK_EQ_INT(dir_ldap_create(&d, &cfg, 1), NVR_OK);
    if (d)
        CHECK_EQ_INT(dir_ldap_check(d, "alice", "pw-pw-pw-pw", &u), NVR_ECONN);
    dir_ldap_destroy(&d);
}

int main(void)
{
    RUN(test_escape);
    RUN(test_check_without_directory);
    return check_summary();
}
