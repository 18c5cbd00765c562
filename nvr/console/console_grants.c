/* SPDX-License-Identifier: Apache-2.0 */
/*
 * console_grants.c - what a person may see on the console: the one place
 * the district's grants (docs/design/catalog.md "People") are read.  Every
 * list, coverage, proxied route and district export asks console_may_see
 * (a camera) or console_site_visible (a site), both driven by the table
 * below.
 *
 * A grant is "*", "site:S", "group:G" or "S.ID".  A group is district-wide:
 * "group:entrances" covers the cameras whose config has group = entrances at
 * every site, as the catalog publishes them (nvr_cameras.group_name).  A
 * site is visible when some grant covers it or a camera of it that is not
 * removed.
 */
#include "console/console_int.h"

#include "storage/users.h"

#include <string.h>

/* What is asked about: a camera (id set; group is its group, NULL: none),
 * or with id NULL some camera of the site (group: a group one of them
 * has, NULL: none considered). */
struct scope {
    const char *site, *id, *group;
};

static int covers_all(const char *arg, const struct scope *s)
{
    (void)arg;
    (void)s;
    return 1;
}

static int covers_site(const char *arg, const struct scope *s)
{
    return strcmp(arg, s->site) == 0;
}

static int covers_group(const char *arg, const struct scope *s)
{
    return s->group && strcmp(arg, s->group) == 0;
}

/* "S.ID": site names and camera ids are [a-z0-9_-], so the dot is unambiguous. */
static int covers_camera(const char *g, const struct scope *s)
{
    size_t sl = strlen(s->site);
    return strncmp(g, s->site, sl) == 0 && g[sl] == '.' && (!s->id || strcmp(g + sl + 1, s->id) == 0);
}

/* The kinds of grant, by prefix (the first that matches decides; "" last). */
static const struct {
    const char *prefix;
    int exact; /* the whole grant is the prefix */
    int (*covers)(const char *arg, const struct scope *s);
} kinds[] = {
    {"*", 1, covers_all},
    {"site:", 0, covers_site},
    {"group:", 0, covers_group},
    {"", 0, covers_camera},
};

static int allowed(const struct console_user *u, const struct scope *s)
{
    if (u->role == USER_ADMIN)
        return 1;
    for (size_t i = 0; i < u->ngrants; i++) {
        const char *g = u->grants[i];
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
            size_t pl = strlen(kinds[k].prefix);
            if (strncmp(g, kinds[k].prefix, pl) != 0 || (kinds[k].exact && g[pl]))
                continue;
            if (kinds[k].covers(g + pl, s))
                return 1;
            break;
        }
    }
    return 0;
}

int console_may_see(const struct console_user *u, const char *site, const char *id, const char *group)
{
    const struct scope s = {site, id, group};
    return allowed(u, &s);
}

int console_site_covered(const struct console_user *u, const char *site, const char *group)
{
    const struct scope s = {site, NULL, group};
    return allowed(u, &s);
}

int console_site_visible(struct console *c, const struct console_user *u, const char *site)
{
    if (console_site_covered(u, site, NULL))
        return 1;
    const char *p[] = {site};
    PGresult *res;
    if (console_pg_exec(c->pg,
                        "SELECT DISTINCT group_name FROM nvr_cameras WHERE site = $1 AND status <> 'removed' "
                        "AND group_name IS NOT NULL",
                        1, p, &res))
        return -1;
    int visible = 0;
    for (int i = 0; i < PQntuples(res) && !visible; i++)
        visible = console_site_covered(u, site, PQgetvalue(res, i, 0));
    PQclear(res);
    return visible;
}
