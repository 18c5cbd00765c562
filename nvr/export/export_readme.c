/* SPDX-License-Identifier: Apache-2.0 */
/*
 * export_readme.c - README.txt and SHA256SUMS.txt of an export (see
 * export_readme.h).
 *
 * Texts from the request (case, reason, operator, camera names) are the
 * user's: control characters become spaces and long ones are wrapped at
 * word boundaries to EXPORT_README_COLUMNS, counted in characters (UTF-8
 * code points), so no line runs off a printed page.
 */
#include "export/export_readme.h"

#include "base/hex.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define COLS EXPORT_README_COLUMNS

void export_zone_name(char *out, size_t n)
{
    const char *tz = getenv("TZ");
    char link[PATH_MAX];
    if (tz && *tz) {
        snprintf(out, n, "%s", tz[0] == ':' ? tz + 1 : tz);
        return;
    }
    ssize_t k = readlink("/etc/localtime", link, sizeof link - 1);
    if (k > 0) {
        link[k] = '\0';
        const char *z = strstr(link, "zoneinfo/");
        if (z) {
            snprintf(out, n, "%s", z + 9);
            return;
        }
    }
    snprintf(out, n, "UTC");
}

static time_t secs_of(int64_t us)
{
    return (time_t)(us >= 0 ? us / 1000000 : (us - 999999) / 1000000);
}

/* ".250" when us is not on a whole second, else "". */
static void frac(int64_t us, char out[8])
{
    int ms = (int)((us - (int64_t)secs_of(us) * 1000000) / 1000);
    if (us % 1000000 == 0)
        out[0] = '\0';
    else
        snprintf(out, 8, ".%03d", ms);
}

/* "2026-11-22 09:00:00 UTC" */
static void fmt_utc(int64_t us, char *out, size_t n)
{
    time_t s = secs_of(us);
    struct tm tm;
    char a[32], f[8];
    gmtime_r(&s, &tm);
    strftime(a, sizeof a, "%Y-%m-%d %H:%M:%S", &tm);
    frac(us, f);
    snprintf(out, n, "%s%s UTC", a, f);
}

/* "UTC-06:00" */
static void fmt_offset(long off, char out[16])
{
    long a = off < 0 ? -off : off;
    snprintf(out, 16, "UTC%c%02ld:%02ld", off < 0 ? '-' : '+', a / 3600 % 100, a / 60 % 60);
}

/* "2026-11-22 03:00:00 CST (UTC-06:00)", in the recorder's zone */
static void fmt_local(int64_t us, char *out, size_t n)
{
    time_t s = secs_of(us);
    struct tm tm;
    char a[32], f[8], off[16];
    localtime_r(&s, &tm);
    strftime(a, sizeof a, "%Y-%m-%d %H:%M:%S", &tm);
    frac(us, f);
    fmt_offset(tm.tm_gmtoff, off);
    snprintf(out, n, "%s%s %s (%s)", a, f, tm.tm_zone ? tm.tm_zone : "", off);
}

/* "1 h 2 min 3 s" */
static void fmt_duration(int64_t us, char *out, size_t n)
{
    long long s = (long long)((us + 500000) / 1000000);
    if (s >= 3600)
        snprintf(out, n, "%lld h %lld min %lld s", s / 3600, s / 60 % 60, s % 60);
    else if (s >= 60)
        snprintf(out, n, "%lld min %lld s", s / 60, s % 60);
    else
        snprintf(out, n, "%lld s", s);
}

/* "12,345,678" */
static void fmt_bytes(uint64_t v, char *out, size_t n)
{
    char d[32];
    int k = snprintf(d, sizeof d, "%llu", (unsigned long long)v);
    size_t o = 0;
    for (int i = 0; i < k && o + 2 < n; i++) {
        if (i && (k - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = d[i];
    }
    out[o] = '\0';
}

/* Characters (code points) in s[0..n). */
static size_t width(const char *s, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        w += ((unsigned char)s[i] & 0xC0) != 0x80;
    return w;
}

/* Writes label then text, wrapped at COLS at spaces; continuation lines are
 * indented as wide as the label.  Control characters print as spaces; a word
 * longer than a line is cut. */
static void wrapped(FILE *f, const char *label, const char *text)
{
    size_t indent = width(label, strlen(label)), col = indent, len = strlen(text);
    char *t = malloc(len + 1);
    if (!t)
        return;
    for (size_t i = 0; i <= len; i++)
        t[i] = i < len && (unsigned char)text[i] < 0x20 ? ' ' : text[i] == 0x7f ? ' ' : text[i];
    fputs(label, f);
    const char *p = t;
    int first = 1;
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        size_t wl = strcspn(p, " "), ww = width(p, wl);
        if (!first && col + 1 + ww > COLS) {
            fprintf(f, "\n%*s", (int)indent, "");
            col = indent;
            first = 1;
        }
        if (!first) {
            fputc(' ', f);
            col++;
        }
        while (col + ww > COLS && ww > COLS - indent) { /* a word longer than a line */
            size_t cut = 0, cw = 0;
            while (cw < COLS - col) {
                cut++;
                while (cut < wl && ((unsigned char)p[cut] & 0xC0) == 0x80)
                    cut++;
                cw++;
            }
            fwrite(p, 1, cut, f);
            fprintf(f, "\n%*s", (int)indent, "");
            col = indent;
            p += cut;
            wl -= cut;
            ww -= cw;
        }
        fwrite(p, 1, wl, f);
        col += ww;
        p += wl;
        first = 0;
    }
    fputc('\n', f);
    free(t);
}

static void heading(FILE *f, const char *title)
{
    size_t n = strlen(title);
    fprintf(f, "\n%s\n", title);
    for (size_t i = 0; i < n; i++)
        fputc('-', f);
    fputc('\n', f);
}

/* The Windows form of a name in the zip: backslashes. */
static void win_path(const char *name, char *out, size_t n)
{
    snprintf(out, n, "%s", name);
    for (char *c = out; *c; c++)
        if (*c == '/')
            *c = '\\';
}

static const char *cam_name(const struct export_request *r, size_t c)
{
    return r->names[c][0] ? r->names[c] : r->cameras[c];
}

static void write_about(FILE *f, const struct export_readme *in)
{
    const struct export_request *r = in->req;
    char a[320], b[16], zone[128];
    time_t now = secs_of(in->exported_us);
    struct tm tm;
    localtime_r(&now, &tm);
    export_zone_name(zone, sizeof zone);
    fmt_offset(tm.tm_gmtoff, b);
    heading(f, "About this export");
    wrapped(f, "Case:         ", r->case_id[0] ? r->case_id : "(none given)");
    wrapped(f, "Reason:       ", r->reason[0] ? r->reason : "(none given)");
    wrapped(f, "Exported by:  ", r->operator_name[0] ? r->operator_name : "(unknown)");
    fmt_utc(in->exported_us, a, sizeof a);
    fprintf(f, "Exported at:  %s\n", a);
    fmt_local(in->exported_us, a, sizeof a);
    fprintf(f, "              %s, the recorder's local time\n", a);
    fmt_utc(r->from_us, a, sizeof a);
    fprintf(f, "Time range:   from %s\n", a);
    fmt_utc(r->to_us, a, sizeof a);
    fprintf(f, "                to %s\n", a);
    fmt_local(r->from_us, a, sizeof a);
    fprintf(f, "              from %s\n", a);
    fmt_local(r->to_us, a, sizeof a);
    fprintf(f, "                to %s\n", a);
    snprintf(a, sizeof a, "%s (%s, %s at the time of export)", zone, tm.tm_zone ? tm.tm_zone : "", b);
    wrapped(f, "Time zone:    ", a);
    fputs("              Local times above are the recorder's local time in this zone.\n", f);
    fprintf(f, "Signing key:  Ed25519, fingerprint\n              %s\n", in->fingerprint);
}

static void write_cameras(FILE *f, const struct export_readme *in)
{
    const struct export_request *r = in->req;
    char label[32], a[128], b[128], d[64];
    heading(f, "Cameras");
    for (size_t c = 0; c < r->ncameras; c++) {
        char who[512];
        size_t nnative = 0, nvideo = 0;
        const char *native_dir = NULL;
        if (r->makers[c][0] || r->models[c][0])
            snprintf(who, sizeof who, "%s (camera id \"%s\"; %s%s%s)", cam_name(r, c), r->cameras[c], r->makers[c],
                     r->makers[c][0] && r->models[c][0] ? " " : "", r->models[c]);
        else
            snprintf(who, sizeof who, "%s (camera id \"%s\")", cam_name(r, c), r->cameras[c]);
        snprintf(label, sizeof label, "%zu. ", c + 1);
        wrapped(f, label, who);
        for (size_t i = 0; i < in->nfiles; i++) {
            const struct export_readme_file *e = &in->files[i];
            if (e->cam != (int)c)
                continue;
            if (e->native) {
                nnative++;
                native_dir = e->name;
                continue;
            }
            nvideo++;
            if (e->derivative_of) {
                fprintf(f, "   Copy %s: the video above with the date and time burned into the\n", e->name);
                fprintf(f,
                        "     picture, for players that do not show subtitles. It is re-encoded (not\n"
                        "     the recorder's original pixels): %s is the evidence.\n",
                        e->derivative_of);
                continue;
            }
            fmt_utc(e->first_us, a, sizeof a);
            fmt_local(e->first_us, b, sizeof b);
            fmt_duration(e->duration_us, d, sizeof d);
            fprintf(f, "   Video file %s, %s long:\n", e->name, d);
            fprintf(f, "     first frame %s = %s\n", a, b);
            fmt_utc(e->end_us, a, sizeof a);
            fmt_local(e->end_us, b, sizeof b);
            fprintf(f, "     ends at     %s = %s\n", a, b);
        }
        if (nvideo == 0)
            fputs("   Nothing was recorded by this camera in the time range.\n", f);
        if (nnative) {
            const char *slash = strrchr(native_dir, '/');
            fprintf(f, "   Original recorded files: %zu, in %.*s\n", nnative,
                    slash ? (int)(slash - native_dir + 1) : (int)strlen(native_dir), native_dir);
        }
    }
}

static void write_contents(FILE *f, const struct export_readme *in)
{
    heading(f, "What is in this archive");
    fputs("  *.mp4 (one per camera)  the video, playable in VLC, QuickTime, Windows' Media Player and\n"
          "                          web browsers. A subtitle track shows the wall-clock time of every\n"
          "                          frame, in the recorder's local time and in UTC: turn subtitles on\n"
          "                          to see it. Where the camera was offline the last picture is held\n"
          "                          and the subtitle says NO RECORDING. A camera whose video format\n"
          "                          changed has one file per format (NAME-part1.mp4, -part2 ...).\n"
          "                          Sound, where it was recorded, is AAC, or FLAC (lossless: the\n"
          "                          sound of cameras that send G.711); browsers such as Chrome and\n"
          "                          Edge play both; if a player gives no sound, try VLC or a browser.\n",
          f);
    if (in->req->native)
        fputs("  native/                 the original recorded files, byte for byte as stored.\n", f);
    fprintf(f,
            "  %-22s  the SHA-256 of every video and original file (for the commands below).\n"
            "  README.txt              this text.\n"
            "  manifest.json           what was exported, by whom and why, the time range (UTC and local),\n"
            "                          and the SHA-256 of every file here (this one and %s too)\n"
            "                          and of every source recording; under \"access_log\", the\n"
            "                          recorder's log entries of this export.\n"
            "  manifest.json.sig       the recorder's Ed25519 signature of manifest.json.\n"
            "  public-key.pem          the key it was signed with.\n",
            in->sums_name, in->sums_name);
}

static void write_files(FILE *f, const struct export_readme *in)
{
    char hx[65], by[32];
    heading(f, "Files and their SHA-256");
    fputs("A SHA-256 is a fingerprint of a file's exact bytes: changing any byte changes it completely.\n", f);
    for (size_t i = 0; i < in->nfiles; i++) {
        const struct export_readme_file *e = &in->files[i];
        nvr_hex(e->sha256, 32, hx);
        fmt_bytes(e->bytes, by, sizeof by);
        fprintf(f, "\n  %s (%s bytes)\n    SHA-256: %s\n", e->name, by, hx);
    }
}

static void write_check(FILE *f, const struct export_readme *in)
{
    char w[INDEX_PATH_MAX + 120];
    const struct export_readme_file *native = NULL;
    heading(f, "How to check that no file was changed");
    fprintf(f,
            "Unzip the archive into a new folder and open a terminal in that folder (Windows:\n"
            "PowerShell). Then run the command for your computer; it must say OK for every file.\n"
            "\n"
            "Linux:\n"
            "    sha256sum -c %s\n"
            "macOS (Terminal):\n"
            "    shasum -a 256 -c %s\n"
            "Windows (PowerShell), every file at once:\n"
            "    Get-Content %s | ForEach-Object {\n"
            "        $h, $f = $_ -split '  ', 2\n"
            "        $ok = (Get-FileHash -Algorithm SHA256 -LiteralPath $f).Hash -eq $h\n"
            "        if ($ok) { \"OK      $f\" } else { \"FAILED  $f\" }\n"
            "    }\n"
            "Windows, one file at a time: each command prints the file's SHA-256; compare it with the\n"
            "one listed above (upper or lower case does not matter).\n",
            in->sums_name, in->sums_name, in->sums_name);
    for (int cmd = 0; cmd < 2; cmd++) {
        fputs(cmd ? "  in Command Prompt (or PowerShell):\n" : "  in PowerShell:\n", f);
        for (size_t i = 0; i < in->nfiles; i++) {
            const struct export_readme_file *e = &in->files[i];
            if (e->native) {
                native = native ? native : e;
                continue;
            }
            win_path(e->name, w, sizeof w);
            fprintf(f, cmd ? "    certutil -hashfile %s SHA256\n" : "    Get-FileHash -Algorithm SHA256 %s\n", w);
        }
    }
    if (native) {
        win_path(native->name, w, sizeof w);
        fprintf(f,
                "  and likewise for each original file in native\\, for example\n"
                "    certutil -hashfile %s SHA256\n",
                w);
    }
    fprintf(f,
            "README.txt and %s are themselves covered by the signed manifest.json (below):\n"
            "a changed list or README fails `nvr verify` and the manifest's hashes.\n",
            in->sums_name);
}

static void write_signature(FILE *f, const struct export_readme *in)
{
    heading(f, "How to check that the recorder made this export (the signature)");
    fprintf(f,
            "The files' SHA-256 are listed in manifest.json, which the recorder signed with its own key,\n"
            "fingerprint\n"
            "    %s\n"
            "First get the recorder's key fingerprint from its operator OUT OF BAND (in person, by\n"
            "phone, on letterhead -- never from this zip or the e-mail that brought it) and check it is\n"
            "the one above: anyone can alter footage and re-sign it with a key of their own, and the\n"
            "key in this zip would then match the forgery. With the nvr program:\n"
            "    nvr verify EXPORT.zip --fingerprint sha256:HEX   (the fingerprint you were given)\n"
            "    nvr verify EXPORT.zip --key FILE                 (the recorder's public key, PEM)\n"
            "It checks that the recorder's key signed it, the signature and every file's SHA-256, and\n"
            "exits non-zero naming any file that does not match or another signer. Without a pin it\n"
            "says SIGNER NOT PINNED: then compare the fingerprint it prints with the one you were given.\n"
            "\n"
            "With standard tools (OpenSSL 3), after unzipping:\n"
            "    openssl pkeyutl -verify -pubin -inkey public-key.pem -rawin \\\n"
            "        -in manifest.json -sigfile manifest.json.sig\n"
            "prints \"Signature Verified Successfully\". Then check the fingerprint in manifest.json\n"
            "(\"signing_key\") is the one you were given, and that each file's SHA-256 (commands above)\n"
            "is the \"sha256\" listed for it under \"files\" in manifest.json.\n",
            in->fingerprint);
}

nvr_err export_readme_text(const struct export_readme *in, char **out, size_t *len)
{
    const char *title = "EVIDENCE EXPORT: RECORDED VIDEO FROM AN nvr NETWORK VIDEO RECORDER";
    FILE *f = open_memstream(out, len);
    if (!f)
        return NVR_ENOMEM;
    fprintf(f, "%s\n", title);
    for (size_t i = 0; i < strlen(title); i++)
        fputc('=', f);
    fputs("\n\nThis archive holds recorded video exactly as the recorder stored it (copied, not\n"
          "re-encoded), and the means to check that nothing in it was changed after it was exported.\n",
          f);
    write_about(f, in);
    write_cameras(f, in);
    write_contents(f, in);
    write_files(f, in);
    write_check(f, in);
    write_signature(f, in);
    if (fclose(f) != 0) {
        free(*out);
        *out = NULL;
        return NVR_ENOMEM;
    }
    return NVR_OK;
}

nvr_err export_sums_text(const struct export_readme_file *files, size_t n, char **out, size_t *len)
{
    char hx[65];
    FILE *f = open_memstream(out, len);
    if (!f)
        return NVR_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        nvr_hex(files[i].sha256, 32, hx);
        fprintf(f, "%s  %s\n", hx, files[i].name);
    }
    if (fclose(f) != 0) {
        free(*out);
        *out = NULL;
        return NVR_ENOMEM;
    }
    return NVR_OK;
}
