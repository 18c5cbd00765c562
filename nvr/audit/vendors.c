/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vendors.c - the vendor data file parser, the OUI registry and signal
 * matching (see vendors.h).
 */
#include "audit/vendors.h"

#include "base/err.h"
#include "base/log.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define VALUE_MAX 512

enum kind { K_COMPANY, K_BRAND, K_OUI, K_FINGERPRINT, K_OEM, K_ACCOUNT, K_VULN, K_NKINDS };
static const char *const kind_names[K_NKINDS] = {"company", "brand",   "oui",          "fingerprint",
                                                 "oem",     "account", "vulnerability"};

enum match_op { OP_WORD, OP_CONTAINS, OP_PREFIX };

struct entry {
    enum kind kind;
    char *id;           /* the section's name */
    char *company;      /* company id (not for K_COMPANY) */
    char *name;         /* K_COMPANY display name */
    int covered;        /* K_COMPANY */
    char *organization; /* K_OUI, normalised */
    char *org_display;  /* K_OUI, as written */
    char *signals;      /* K_FINGERPRINT: comma list */
    enum match_op op;
    char *match; /* K_FINGERPRINT text; K_BRAND/K_OEM: the id */
    char *source;
    char *names;                                 /* K_ACCOUNT: comma list of default account names */
    char *cve, *models, *advisory, *date, *note; /* K_VULN */
    int build_from, build_to;                    /* K_VULN: YYMMDD, inclusive */
    int line;
    int key_line[16];
};

struct oui_row {
    int bits;        /* 24 (MA-L), 28 (MA-M) or 36 (MA-S) */
    uint64_t prefix; /* the first `bits` bits of the MAC */
    char *org;
};

struct vendors {
    struct entry *e;
    size_t n, cap;
    struct oui_row *oui; /* sorted by (bits, prefix) */
    size_t noui;
};

/* key table: which keys each kind takes (bit per kind), and required ones */
struct key {
    const char *name;
    unsigned kinds, required;
};
#define B(k) (1u << (k))
static const struct key keys[] = {
    {"name", B(K_COMPANY), B(K_COMPANY)},
    {"status", B(K_COMPANY), B(K_COMPANY)},
    {"company", B(K_BRAND) | B(K_OUI) | B(K_FINGERPRINT) | B(K_OEM) | B(K_ACCOUNT) | B(K_VULN),
     B(K_BRAND) | B(K_OUI) | B(K_FINGERPRINT) | B(K_OEM) | B(K_ACCOUNT) | B(K_VULN)},
    {"organization", B(K_OUI), B(K_OUI)},
    {"signals", B(K_FINGERPRINT), B(K_FINGERPRINT)},
    {"match", B(K_FINGERPRINT), B(K_FINGERPRINT)},
    {"source", 0x7f, 0x7f},
    {"names", B(K_ACCOUNT), B(K_ACCOUNT)},
    {"cve", B(K_VULN), B(K_VULN)},
    {"models", B(K_VULN), 0},
    {"builds", B(K_VULN), B(K_VULN)},
    {"advisory", B(K_VULN), B(K_VULN)},
    {"date", B(K_VULN), B(K_VULN)},
    {"note", B(K_VULN), 0},
};
#define NKEYS (sizeof keys / sizeof keys[0])

static const char *const signal_names[] = {
    "onvif_manufacturer", "onvif_model", "onvif_firmware", "onvif_hardware", "mac_oui", "rtsp_server", "sdp_session",
    "sdp_info",           "sdp_tool",    "http_server",    "http_realm",     "isapi",   "magicbox",    NULL,
};

static int known_signal(const char *s, size_t n)
{
    for (const char *const *p = signal_names; *p; p++)
        if (strlen(*p) == n && strncmp(*p, s, n) == 0)
            return 1;
    return 0;
}

void vendors_normalise_org(const char *in, char *out, size_t cap)
{
    size_t o = 0;
    for (; *in && o + 1 < cap; in++)
        if (isalnum((unsigned char)*in))
            out[o++] = (char)tolower((unsigned char)*in);
    if (cap)
        out[o] = '\0';
}

static void free_entry(struct entry *e)
{
    free(e->id);
    free(e->company);
    free(e->name);
    free(e->organization);
    free(e->org_display);
    free(e->signals);
    free(e->match);
    free(e->source);
    free(e->names);
    free(e->cve);
    free(e->models);
    free(e->advisory);
    free(e->date);
    free(e->note);
}

void vendors_destroy(struct vendors **v)
{
    if (!v || !*v)
        return;
    for (size_t i = 0; i < (*v)->n; i++)
        free_entry(&(*v)->e[i]);
    free((*v)->e);
    for (size_t i = 0; i < (*v)->noui; i++)
        free((*v)->oui[i].org);
    free((*v)->oui);
    free(*v);
    *v = NULL;
}

struct parser {
    const char *path;
    FILE *errs;
    int nerr;
    struct vendors *v;
};

static void perr(struct parser *p, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void perr(struct parser *p, int line, const char *fmt, ...)
{
    va_list ap;
    p->nerr++;
    if (!p->errs)
        return;
    fprintf(p->errs, "%s:%d: ", p->path, line);
    va_start(ap, fmt);
    vfprintf(p->errs, fmt, ap);
    va_end(ap);
    fputc('\n', p->errs);
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

static nvr_err set_key(struct parser *p, struct entry *e, size_t k, char *val, int line)
{
    char **dst = NULL;
    const char *name = keys[k].name;
    if (strcmp(name, "name") == 0)
        dst = &e->name;
    else if (strcmp(name, "status") == 0) {
        if (strcmp(val, "covered") == 0)
            e->covered = 1;
        else if (strcmp(val, "other") != 0) {
            perr(p, line, "status must be covered or other");
            return 0;
        }
        return 0;
    } else if (strcmp(name, "company") == 0)
        dst = &e->company;
    else if (strcmp(name, "organization") == 0) {
        char norm[VALUE_MAX];
        vendors_normalise_org(val, norm, sizeof norm);
        if (!norm[0]) {
            perr(p, line, "organization must contain letters or digits");
            return 0;
        }
        free(e->org_display);
        if (!(e->org_display = strdup(val)))
            return NVR_ENOMEM;
        val = norm;
        dst = &e->organization;
        free(*dst);
        return (*dst = strdup(val)) ? 0 : NVR_ENOMEM;
    } else if (strcmp(name, "signals") == 0) {
        for (char *s = val; *s;) {
            size_t n = strcspn(s, ",");
            char *w = s;
            while (n && *w == ' ') {
                w++;
                n--;
            }
            size_t m = n;
            while (m && w[m - 1] == ' ')
                m--;
            if (!known_signal(w, m)) {
                perr(p, line, "unknown signal \"%.*s\" (see docs/design/audit.md)", (int)m, w);
                return 0;
            }
            s = w + n;
            if (*s == ',')
                s++;
        }
        dst = &e->signals;
    } else if (strcmp(name, "match") == 0) {
        char *colon = strchr(val, ':');
        if (!colon || colon[1] == '\0') {
            perr(p, line, "match must be word:TEXT, contains:TEXT or prefix:TEXT");
            return 0;
        }
        *colon = '\0';
        if (strcmp(val, "word") == 0)
            e->op = OP_WORD;
        else if (strcmp(val, "contains") == 0)
            e->op = OP_CONTAINS;
        else if (strcmp(val, "prefix") == 0)
            e->op = OP_PREFIX;
        else {
            perr(p, line, "match must be word:TEXT, contains:TEXT or prefix:TEXT");
            return 0;
        }
        val = colon + 1;
        dst = &e->match;
    } else if (strcmp(name, "source") == 0)
        dst = &e->source;
    else if (strcmp(name, "names") == 0)
        dst = &e->names;
    else if (strcmp(name, "cve") == 0)
        dst = &e->cve;
    else if (strcmp(name, "models") == 0)
        dst = &e->models;
    else if (strcmp(name, "advisory") == 0) {
        if (strncmp(val, "https://", 8) != 0) {
            perr(p, line, "advisory must be an https:// URL");
            return 0;
        }
        dst = &e->advisory;
    } else if (strcmp(name, "date") == 0) {
        int y, m, d, used = 0;
        if (sscanf(val, "%4d-%2d-%2d%n", &y, &m, &d, &used) != 3 || used != 10 || val[10] || m < 1 || m > 12 || d < 1 ||
            d > 31) {
            perr(p, line, "date must be YYYY-MM-DD");
            return 0;
        }
        dst = &e->date;
    } else if (strcmp(name, "note") == 0)
        dst = &e->note;
    else if (strcmp(name, "builds") == 0) {
        int a, b, used = 0;
        if (sscanf(val, "%6d-%6d%n", &a, &b, &used) != 2 || used != (int)strlen(val) || strlen(val) != 13 || a > b) {
            perr(p, line, "builds must be YYMMDD-YYMMDD (firmware build dates, inclusive)");
            return 0;
        }
        e->build_from = a;
        e->build_to = b;
        return 0;
    }
    free(*dst);
    return (*dst = strdup(val)) ? 0 : NVR_ENOMEM;
}

static struct entry *find(const struct vendors *v, enum kind k, const char *id)
{
    for (size_t i = 0; i < v->n; i++)
        if (v->e[i].kind == k && strcasecmp(v->e[i].id, id) == 0)
            return &v->e[i];
    return NULL;
}

static void finish_section(struct parser *p, struct entry *e)
{
    for (size_t k = 0; k < NKEYS; k++)
        if ((keys[k].required & B(e->kind)) && !e->key_line[k])
            perr(p, e->line, "[%s %s] needs %s", kind_names[e->kind], e->id, keys[k].name);
}

nvr_err vendors_parse(struct vendors **out, const char *path, const char *text, size_t len, FILE *errs)
{
    struct parser p = {path, errs, 0, NULL};
    struct entry *cur = NULL;
    int line = 0, rc = NVR_OK;
    *out = NULL;
    if (!(p.v = calloc(1, sizeof *p.v)))
        return NVR_ENOMEM;
    for (size_t pos = 0; pos < len;) {
        char buf[VALUE_MAX + 64];
        size_t eol = pos;
        while (eol < len && text[eol] != '\n')
            eol++;
        line++;
        size_t n = eol - pos;
        if (n >= sizeof buf) {
            perr(&p, line, "line longer than %zu bytes", sizeof buf - 1);
            pos = eol + 1;
            continue;
        }
        memcpy(buf, text + pos, n);
        buf[n] = '\0';
        pos = eol + 1;
        if (memchr(buf, '\0', n)) {
            perr(&p, line, "NUL byte");
            continue;
        }
        /* comments: ';' or '#' at the start of a line or after blank space */
        for (char *c = buf; *c; c++)
            if ((*c == ';' || *c == '#') && (c == buf || c[-1] == ' ' || c[-1] == '\t')) {
                *c = '\0';
                break;
            }
        char *s = trim(buf);
        if (!*s)
            continue;
        if (*s == '[') {
            char *close = strchr(s, ']');
            if (cur)
                finish_section(&p, cur);
            cur = NULL;
            if (!close || *trim(close + 1)) {
                perr(&p, line, "section header must be [KIND NAME]");
                continue;
            }
            *close = '\0';
            char *kind = trim(s + 1), *sp = kind + strcspn(kind, " \t");
            char *name = *sp ? trim(sp + 1) : sp;
            *sp = '\0';
            int k = -1;
            for (int i = 0; i < K_NKINDS; i++)
                if (strcmp(kind, kind_names[i]) == 0)
                    k = i;
            if (k < 0) {
                perr(&p, line,
                     "unknown section kind \"%s\" (company, brand, oui, fingerprint, oem, account or vulnerability)",
                     kind);
                continue;
            }
            if (!*name) {
                perr(&p, line, "[%s] needs a name: [%s NAME]", kind, kind);
                continue;
            }
            if (find(p.v, (enum kind)k, name)) {
                perr(&p, line, "duplicate section [%s %s]", kind, name);
                continue;
            }
            if (p.v->n == p.v->cap) {
                size_t nc = p.v->cap ? p.v->cap * 2 : 32;
                struct entry *ne = realloc(p.v->e, nc * sizeof *ne);
                if (!ne) {
                    rc = NVR_ENOMEM;
                    goto out;
                }
                p.v->e = ne;
                p.v->cap = nc;
            }
            cur = &p.v->e[p.v->n++];
            memset(cur, 0, sizeof *cur);
            cur->kind = (enum kind)k;
            cur->line = line;
            if (!(cur->id = strdup(name))) {
                rc = NVR_ENOMEM;
                goto out;
            }
            continue;
        }
        char *eq = strchr(s, '=');
        if (!eq) {
            perr(&p, line, "expected KEY = VALUE or [KIND NAME]");
            continue;
        }
        *eq = '\0';
        char *key = trim(s), *val = trim(eq + 1);
        if (!cur) {
            perr(&p, line, "key %s outside a section", key);
            continue;
        }
        size_t k;
        for (k = 0; k < NKEYS; k++)
            if (strcmp(keys[k].name, key) == 0)
                break;
        if (k == NKEYS || !(keys[k].kinds & B(cur->kind))) {
            perr(&p, line, "unknown key %s in [%s %s]", key, kind_names[cur->kind], cur->id);
            continue;
        }
        if (cur->key_line[k]) {
            perr(&p, line, "duplicate key %s (first on line %d)", key, cur->key_line[k]);
            continue;
        }
        if (!*val) {
            perr(&p, line, "%s must not be empty", key);
            continue;
        }
        cur->key_line[k] = line;
        if ((rc = set_key(&p, cur, k, val, line)))
            goto out;
    }
    if (cur)
        finish_section(&p, cur);
    /* references */
    for (size_t i = 0; i < p.v->n; i++) {
        struct entry *e = &p.v->e[i];
        if (e->kind != K_COMPANY && e->company && !find(p.v, K_COMPANY, e->company))
            perr(&p, e->line, "[%s %s]: no [company %s]", kind_names[e->kind], e->id, e->company);
    }
    if (p.nerr)
        rc = NVR_ECONFIG;
out:
    if (rc)
        vendors_destroy(&p.v);
    *out = p.v;
    return rc;
}

nvr_err vendors_load(struct vendors **out, const char *path, const char *oui_path, FILE *errs)
{
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    size_t len = 0;
    int rc;
    *out = NULL;
    if (!f) {
        if (errs)
            fprintf(errs, "%s: cannot open the vendor data file\n", path);
        return NVR_EIO;
    }
    text = malloc(1 << 20);
    if (!text) {
        fclose(f);
        return NVR_ENOMEM;
    }
    len = fread(text, 1, (1 << 20) - 1, f);
    int toolong = !feof(f);
    fclose(f);
    if (toolong) {
        if (errs)
            fprintf(errs, "%s: larger than 1 MiB\n", path);
        free(text);
        return NVR_ECONFIG;
    }
    rc = vendors_parse(out, path, text, len, errs);
    free(text);
    if (rc)
        return rc;
    if (vendors_load_oui(*out, oui_path ? oui_path : VENDORS_DEFAULT_OUI))
        nvr_log(NVR_WARN, NULL,
                "audit: cannot read the OUI registry path=%s (install ieee-data); MAC "
                "addresses will not be matched",
                oui_path ? oui_path : VENDORS_DEFAULT_OUI);
    return NVR_OK;
}

static int cmp_oui(const void *a, const void *b)
{
    const struct oui_row *x = a, *y = b;
    if (x->bits != y->bits)
        return x->bits < y->bits ? -1 : 1;
    return x->prefix < y->prefix ? -1 : x->prefix > y->prefix;
}

/* One CSV field starting at *p (quoted or not), copied to out; advances *p
 * past the following comma.  */
static void csv_field(const char **p, char *out, size_t cap)
{
    const char *s = *p;
    size_t o = 0;
    if (*s == '"') {
        s++;
        while (*s && *s != '\n') {
            if (*s == '"' && s[1] == '"')
                s++;
            else if (*s == '"') {
                s++;
                break;
            }
            if (o + 1 < cap)
                out[o++] = *s;
            s++;
        }
    } else {
        while (*s && *s != ',' && *s != '\n' && *s != '\r') {
            if (o + 1 < cap)
                out[o++] = *s;
            s++;
        }
    }
    out[o] = '\0';
    if (*s == ',')
        s++;
    *p = s;
}

/* Appends the rows of one registry file (IEEE CSV: Registry,Assignment,
 * Organization Name,...) to v. */
static nvr_err read_registry(struct vendors *v, const char *path, size_t *cap)
{
    FILE *f = fopen(path, "r");
    char line[1024], reg[16], hex[16], org[256];
    int rc = NVR_OK;
    if (!f)
        return NVR_EIO;
    while (fgets(line, sizeof line, f)) {
        const char *p = line;
        char *end;
        csv_field(&p, reg, sizeof reg);
        csv_field(&p, hex, sizeof hex);
        csv_field(&p, org, sizeof org);
        size_t hl = strlen(hex);
        int bits = hl == 6 ? 24 : hl == 7 ? 28 : hl == 9 ? 36 : 0;
        if (!bits || strncmp(reg, "MA-", 3) != 0 || !org[0])
            continue;
        unsigned long long x = strtoull(hex, &end, 16);
        if (*end)
            continue;
        if (v->noui == *cap) {
            size_t nc = *cap ? *cap * 2 : 4096;
            struct oui_row *nr = realloc(v->oui, nc * sizeof *nr);
            if (!nr) {
                rc = NVR_ENOMEM;
                break;
            }
            v->oui = nr;
            *cap = nc;
        }
        char *copy = strdup(org);
        if (!copy) {
            rc = NVR_ENOMEM;
            break;
        }
        v->oui[v->noui++] = (struct oui_row){bits, x, copy};
    }
    fclose(f);
    return rc;
}

nvr_err vendors_load_oui(struct vendors *v, const char *oui_path)
{
    size_t cap = 0;
    int rc;
    for (size_t i = 0; i < v->noui; i++)
        free(v->oui[i].org);
    free(v->oui);
    v->oui = NULL;
    v->noui = 0;
    rc = read_registry(v, oui_path, &cap);
    /* Debian's ieee-data keeps the MA-M and MA-S blocks next to oui.csv */
    size_t n = strlen(oui_path);
    if (rc == NVR_OK && n >= 7 && strcmp(oui_path + n - 7, "oui.csv") == 0) {
        static const char *const more[] = {"mam.csv", "oui36.csv"};
        for (size_t i = 0; i < 2 && rc == NVR_OK; i++) {
            char path[4096];
            if (snprintf(path, sizeof path, "%.*s%s", (int)(n - 7), oui_path, more[i]) < (int)sizeof path &&
                read_registry(v, path, &cap) == NVR_ENOMEM)
                rc = NVR_ENOMEM;
        }
    }
    if (v->noui)
        qsort(v->oui, v->noui, sizeof *v->oui, cmp_oui);
    return rc;
}

const char *vendors_oui_org(const struct vendors *v, const char *mac)
{
    unsigned b[6];
    int used = 0;
    if (!v->noui || sscanf(mac, "%2x:%2x:%2x:%2x:%2x:%2x%n", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &used) != 6 ||
        used != 17)
        return NULL;
    uint64_t m48 = 0;
    for (int i = 0; i < 6; i++)
        m48 = m48 << 8 | b[i];
    /* the longest registered prefix wins: an MA-S or MA-M block lies inside an
     * MA-L block registered to the IEEE itself */
    static const int bits[] = {36, 28, 24};
    for (int i = 0; i < 3; i++) {
        struct oui_row key = {bits[i], m48 >> (48 - bits[i]), NULL};
        const struct oui_row *r = bsearch(&key, v->oui, v->noui, sizeof *v->oui, cmp_oui);
        if (r)
            return r->org;
    }
    return NULL;
}

size_t vendors_count(const struct vendors *v, size_t *oui_rows)
{
    if (oui_rows)
        *oui_rows = v->noui;
    return v->n;
}

/* needle in hay as a whole word (neighbours not letters/digits), case-insensitive */
static int has_word(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    if (!n)
        return 0;
    for (const char *h = hay; (h = strcasestr(h, needle)); h++) {
        int before = h == hay || !isalnum((unsigned char)h[-1]);
        int after = !isalnum((unsigned char)h[n]);
        if (before && after)
            return 1;
    }
    return 0;
}

static int in_list(const char *list, const char *signal)
{
    size_t sl = strlen(signal);
    for (const char *s = list; *s;) {
        while (*s == ' ' || *s == ',')
            s++;
        size_t n = strcspn(s, ",");
        size_t m = n;
        while (m && s[m - 1] == ' ')
            m--;
        if (m == sl && strncmp(s, signal, sl) == 0)
            return 1;
        s += n;
    }
    return 0;
}

static void fill(const struct vendors *v, const struct entry *e, struct vendors_match *m)
{
    const struct entry *co = find(v, K_COMPANY, e->company);
    m->company = co ? co->id : e->company;
    m->company_name = co ? co->name : e->company;
    m->oem = e->kind == K_OEM;
    m->covered = co && co->covered && !m->oem; /* an OEM label is a hint, not evidence */
    m->source = e->source;
}

int vendors_match(const struct vendors *v, const char *signal, const char *value, struct vendors_match *m)
{
    memset(m, 0, sizeof *m);
    if (!value || !value[0])
        return 0;
    if (strcmp(signal, "mac_oui") == 0) {
        const char *org = vendors_oui_org(v, value);
        char norm[VALUE_MAX];
        if (!org)
            return 0;
        vendors_normalise_org(org, norm, sizeof norm);
        for (size_t i = 0; i < v->n; i++) {
            const struct entry *e = &v->e[i];
            if (e->kind == K_OUI && strcmp(e->organization, norm) == 0) {
                fill(v, e, m);
                snprintf(m->what, sizeof m->what, "OUI %.8s registered to \"%s\"", value, org);
                return 1;
            }
        }
        return 0;
    }
    /* fingerprints first (most specific), then OEM labels, then brands */
    for (size_t i = 0; i < v->n; i++) {
        const struct entry *e = &v->e[i];
        if (e->kind != K_FINGERPRINT || !in_list(e->signals, signal))
            continue;
        int hit = e->op == OP_WORD       ? has_word(value, e->match)
                  : e->op == OP_CONTAINS ? strcasestr(value, e->match) != NULL
                                         : strncasecmp(value, e->match, strlen(e->match)) == 0;
        if (hit) {
            fill(v, e, m);
            snprintf(m->what, sizeof m->what, "fingerprint %s (%s \"%s\")", e->id,
                     e->op == OP_WORD       ? "word"
                     : e->op == OP_CONTAINS ? "contains"
                                            : "prefix",
                     e->match);
            return 1;
        }
    }
    for (int pass = 0; pass < 2; pass++) {
        enum kind k = pass == 0 ? K_OEM : K_BRAND;
        if (k == K_OEM && strcmp(signal, "onvif_manufacturer") != 0)
            continue; /* an OEM label is about the label only */
        for (size_t i = 0; i < v->n; i++) {
            const struct entry *e = &v->e[i];
            if (e->kind == k && has_word(value, e->id)) {
                fill(v, e, m);
                snprintf(m->what, sizeof m->what, "%s \"%s\"", k == K_OEM ? "reported OEM label" : "brand", e->id);
                return 1;
            }
        }
    }
    return 0;
}

/* The firmware build date YYMMDD in a firmware string: the six digits after
 * "build" (Hikvision: "V5.4.0 build 160530"); -1 if none. */
int vendors_firmware_build(const char *fw)
{
    for (const char *p = fw; p && (p = strcasestr(p, "build")); p += 5) {
        const char *q = p + 5;
        while (*q == ' ' || *q == '_' || *q == ':')
            q++;
        int n = 0;
        while (isdigit((unsigned char)q[n]))
            n++;
        if (n == 6)
            return (int)strtol(q, NULL, 10);
    }
    return -1;
}

int vendors_vulnerable(const struct vendors *v, const char *company, const char *model, const char *firmware,
                       size_t *iter, struct vendors_vuln *out)
{
    int build = firmware ? vendors_firmware_build(firmware) : -1;
    if (build < 0 || !company)
        return 0;
    for (size_t i = *iter; i < v->n; i++) {
        const struct entry *e = &v->e[i];
        if (e->kind != K_VULN || strcasecmp(e->company, company) != 0 || build < e->build_from || build > e->build_to)
            continue;
        if (e->models) { /* comma list of shell patterns, case-insensitive */
            int hit = 0;
            char pat[VALUE_MAX];
            for (const char *s = e->models; *s && !hit;) {
                size_t n = strcspn(s, ",");
                const char *w = s;
                while (n && *w == ' ') {
                    w++;
                    n--;
                }
                snprintf(pat, sizeof pat, "%.*s", (int)n, w);
                for (size_t k = strlen(pat); k && pat[k - 1] == ' ';)
                    pat[--k] = '\0';
                hit = model && pat[0] && fnmatch(pat, model, FNM_CASEFOLD) == 0;
                s = w + n;
                if (*s == ',')
                    s++;
            }
            if (!hit)
                continue;
        }
        *iter = i + 1;
        out->id = e->id;
        out->cve = e->cve;
        out->models = e->models;
        out->advisory = e->advisory;
        out->date = e->date;
        out->note = e->note;
        out->source = e->source;
        out->build = build;
        out->build_from = e->build_from;
        out->build_to = e->build_to;
        return 1;
    }
    *iter = v->n;
    return 0;
}

const char *vendors_default_account(const struct vendors *v, const char *company, const char *name)
{
    if (!company || !name || !name[0])
        return NULL;
    for (size_t i = 0; i < v->n; i++) {
        const struct entry *e = &v->e[i];
        if (e->kind == K_ACCOUNT && strcasecmp(e->company, company) == 0 && in_list(e->names, name))
            return e->source;
    }
    return NULL;
}
