/* iop-service: the profile service from the command line, for scripts.
 *
 *   iop-service [-connect=HOST:PORT] [-identity=FILE] [-newidentity] COMMAND ...
 *
 * Every command makes one connection (TLS 1.3, and the conversation handshake when an
 * identity is given), runs its calls through src/services/client and prints one JSON
 * value on stdout. The whole command line is checked before anything is sent, so a
 * usage error never half-runs a command. Errors go to stderr as one line,
 * "error: STATUS_NAME: details" for a status the server answered, "error: TEXT"
 * otherwise, and set the exit code:
 *   0 success, 1 the server answered a status other than OK, 2 usage or local errors
 *   (bad options, unreadable files, a missing or malformed identity file),
 *   3 connection, TLS or handshake failures and lost connections.
 * doc/iop-service.md describes every command and its output. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "consensus/hash.h"
#include "iop-config.h"
#include "services/client/profile_client.h"
#include "services/profile/profile_check.h"
#include "util/args.h"
#include "util/fs.h"
#include "util/hex.h"
#include "util/json_write.h"

enum {
    EXIT_STATUS = 1,
    EXIT_USAGE = 2,
    EXIT_CONNECTION = 3,
};

#define DEFAULT_CONNECT "127.0.0.1:16988"
#define CHECKIN_PING_S  30 /* well inside the server's 60 s idle timeout */

static const struct arg_def service_options[] = {
    {"?", ARG_BOOL, ARG_CMDLINE_ONLY, "", "Print this help message and exit"},
    {"h", ARG_BOOL, ARG_CMDLINE_ONLY | ARG_HIDDEN, "", "Print this help message and exit"},
    {"help", ARG_BOOL, ARG_CMDLINE_ONLY | ARG_HIDDEN, "", "Print this help message and exit"},
    {"version", ARG_BOOL, ARG_CMDLINE_ONLY, "", "Print version and exit"},
    {"connect", ARG_STRING, ARG_CMDLINE_ONLY, "=<host:port>",
     "Profile server to use: numeric IPv4 or [IPv6] address and port (default: " DEFAULT_CONNECT
     ")"},
    {"identity", ARG_STRING, ARG_CMDLINE_ONLY, "=<file>",
     "Identity key file: the 32 bytes of a BIP340 secret key. Needed by the commands that "
     "act on your own profile; optional for the others"},
    {"newidentity", ARG_BOOL, ARG_CMDLINE_ONLY, "",
     "Create the -identity file with a new random key (mode 0600) if it does not exist"},
    {"timeout", ARG_INT, ARG_CMDLINE_ONLY, "=<n>",
     "Seconds to wait for the connection and for each answer (default: 30)"},
};

static const char usage_text[] =
    "Commands:\n"
    "  identity                       show the -identity file's public key and identity id\n"
    "  ping [TEXT]                    check the server is alive; echoes TEXT\n"
    "  roles                          the services the server runs and their ports\n"
    "  profile register --type T [--plan NAME]\n"
    "                                 host your identity (the type is fixed from now on)\n"
    "  profile cancel                 end hosting and delete everything stored about you\n"
    "  profile update [--type T] [--name N] [--lat X --lon Y] [--extra S]\n"
    "                 [--image FILE] [--thumbnail FILE]\n"
    "                                 publish a new signed profile (replaces all fields)\n"
    "  profile get [ID] [--images]    a profile by identity id (default: your own)\n"
    "  profile checkin [--seconds N]  stay online for N seconds (default 0)\n"
    "  profile app add NAME...        list application services your device offers\n"
    "  profile app remove NAME\n"
    "  profile search [--name GLOB] [--type GLOB] [--near LAT,LON --radius METRES]\n"
    "                 [--extra GLOB] [--thumbnails] [--max N] [--page N]\n"
    "                                 find profiles; every page (N results, default 100)\n"
    "                                 is fetched\n"
    "\n"
    "Output is JSON on stdout. Exit codes: 0 success, 1 the server refused (stderr says\n"
    "\"error: STATUS_NAME: details\"), 2 usage or local error, 3 connection failure.\n";

static void errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void errorf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* ---- The command line after the global options ---- */

enum command {
    CMD_IDENTITY,
    CMD_PING,
    CMD_ROLES,
    CMD_REGISTER,
    CMD_CANCEL,
    CMD_UPDATE,
    CMD_GET,
    CMD_CHECKIN,
    CMD_APP_ADD,
    CMD_APP_REMOVE,
    CMD_SEARCH,
};

struct cmd {
    enum command kind;
    bool needs_identity;
    const char *text; /* ping payload, app remove name */
    const char *plan, *type;
    /* update */
    const char *name, *extra, *image_file, *thumbnail_file;
    bool has_lat, has_lon;
    int32_t lat, lon;
    /* get */
    bool has_id, images;
    uint8_t id[32];
    /* checkin */
    int64_t seconds;
    /* app add */
    const char *const *names;
    size_t nnames;
    /* search */
    struct profile_client_search search;
    bool has_radius;
};

/* A "--name value" or "--name=value" option; *i moves past what was used. NULL value for
 * a flag. False if words[*i] is not an option. */
static bool next_option(char **words, int n, int *i, const char **name, size_t *namelen,
                        const char **value, bool takes_value, char *err, size_t errlen)
{
    const char *w = words[*i];
    if (strncmp(w, "--", 2) != 0 || w[2] == '\0') return false;
    *name = w + 2;
    const char *eq = strchr(*name, '=');
    *namelen = eq ? (size_t)(eq - *name) : strlen(*name);
    *value = NULL;
    (*i)++;
    if (!takes_value) {
        if (eq) snprintf(err, errlen, "option --%.*s takes no value", (int)*namelen, *name);
        return !eq;
    }
    if (eq) {
        *value = eq + 1;
    } else if (*i < n) {
        *value = words[(*i)++];
    } else {
        snprintf(err, errlen, "option --%.*s needs a value", (int)*namelen, *name);
        return false;
    }
    return true;
}

/* Degrees as text to 1e-6 degrees, within +-limit. */
static bool parse_degrees(const char *s, int32_t limit, int32_t *out)
{
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(d)) return false;
    double e6 = round(d * 1e6);
    if (e6 < -(double)limit || e6 > (double)limit) return false;
    *out = (int32_t)e6;
    return true;
}

static bool parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
    int64_t v;
    if (!args_parse_int64(s, &v) || v < (int64_t)lo || v > (int64_t)hi) return false;
    *out = (uint32_t)v;
    return true;
}

/* One spec of the options a subcommand accepts: name, whether it takes a value. */
struct opt_spec {
    const char *name;
    bool value;
};

static const struct opt_spec *find_spec(const struct opt_spec *specs, const char *name,
                                        size_t len)
{
    for (; specs->name; specs++)
        if (strlen(specs->name) == len && strncmp(specs->name, name, len) == 0) return specs;
    return NULL;
}

/* Applies one option of a profile subcommand to c. */
static bool apply_option(struct cmd *c, const char *name, const char *v, char *err,
                         size_t errlen)
{
#define IS(x) (strcmp(name, x) == 0)
    if (IS("plan")) {
        c->plan = v;
    } else if (IS("type")) {
        if (c->kind == CMD_SEARCH)
            c->search.type = v;
        else
            c->type = v;
    } else if (IS("name")) {
        if (c->kind == CMD_SEARCH)
            c->search.name = v;
        else
            c->name = v;
    } else if (IS("extra")) {
        if (c->kind == CMD_SEARCH)
            c->search.extra_data = v;
        else
            c->extra = v;
    } else if (IS("lat")) {
        if (!parse_degrees(v, PROFILE_LAT_LIMIT, &c->lat)) {
            snprintf(err, errlen, "--lat must be degrees in -90..90, not '%s'", v);
            return false;
        }
        c->has_lat = true;
    } else if (IS("lon")) {
        if (!parse_degrees(v, PROFILE_LON_LIMIT, &c->lon)) {
            snprintf(err, errlen, "--lon must be degrees in -180..180, not '%s'", v);
            return false;
        }
        c->has_lon = true;
    } else if (IS("image")) {
        c->image_file = v;
    } else if (IS("thumbnail")) {
        c->thumbnail_file = v;
    } else if (IS("images")) {
        c->images = true;
    } else if (IS("seconds")) {
        if (!args_parse_int64(v, &c->seconds) || c->seconds < 0 || c->seconds > 86400 * 365) {
            snprintf(err, errlen, "--seconds must be a whole number of seconds, not '%s'", v);
            return false;
        }
    } else if (IS("near")) {
        const char *comma = strchr(v, ',');
        char lat[64];
        if (!comma || (size_t)(comma - v) >= sizeof lat) {
            snprintf(err, errlen, "--near must be LAT,LON in degrees, not '%s'", v);
            return false;
        }
        snprintf(lat, sizeof lat, "%.*s", (int)(comma - v), v);
        if (!parse_degrees(lat, PROFILE_LAT_LIMIT, &c->search.latitude) ||
            !parse_degrees(comma + 1, PROFILE_LON_LIMIT, &c->search.longitude)) {
            snprintf(err, errlen, "--near must be LAT,LON in degrees, not '%s'", v);
            return false;
        }
        c->search.use_location = true;
    } else if (IS("radius")) {
        if (!parse_u32(v, 1, PROFILE_MAX_RADIUS, &c->search.radius)) {
            snprintf(err, errlen, "--radius must be metres in 1..%u, not '%s'",
                     PROFILE_MAX_RADIUS, v);
            return false;
        }
        c->has_radius = true;
    } else if (IS("page")) {
        if (!parse_u32(v, 1, PROFILE_SEARCH_MAX_RESPONSE, &c->search.max_response)) {
            snprintf(err, errlen, "--page must be in 1..%d, not '%s'",
                     PROFILE_SEARCH_MAX_RESPONSE, v);
            return false;
        }
    } else if (IS("thumbnails")) {
        c->search.include_thumbnails = true;
    } else if (IS("max")) {
        if (!parse_u32(v, 1, PROFILE_SEARCH_MAX_TOTAL, &c->search.max_total)) {
            snprintf(err, errlen, "--max must be in 1..%d, not '%s'", PROFILE_SEARCH_MAX_TOTAL,
                     v);
            return false;
        }
    }
#undef IS
    return true;
}

/* Reads the options of a profile subcommand (specs) and up to max_pos positional words
 * (at least min_pos) into pos. */
static bool parse_options(struct cmd *c, char **words, int n, const struct opt_spec *specs,
                          const char **pos, int min_pos, int max_pos, int *npos, char *err,
                          size_t errlen)
{
    *npos = 0;
    for (int i = 0; i < n;) {
        if (strncmp(words[i], "--", 2) != 0 || words[i][2] == '\0') {
            if (*npos >= max_pos) {
                snprintf(err, errlen, "unexpected argument '%s'", words[i]);
                return false;
            }
            pos[(*npos)++] = words[i++];
            continue;
        }
        const char *name = words[i] + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const struct opt_spec *sp = find_spec(specs, name, len);
        if (!sp) {
            snprintf(err, errlen, "unknown option --%.*s", (int)len, name);
            return false;
        }
        const char *v;
        if (!next_option(words, n, &i, &name, &len, &v, sp->value, err, errlen)) return false;
        if (!apply_option(c, sp->name, v, err, errlen)) return false;
    }
    if (*npos < min_pos) {
        snprintf(err, errlen, "missing argument");
        return false;
    }
    return true;
}

static bool parse_command(struct cmd *c, char **words, int n, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    if (n == 0) {
        snprintf(err, errlen, "no command given (see -help)");
        return false;
    }
    const char *pos[2] = {NULL, NULL};
    int npos = 0;
    static const struct opt_spec none[] = {{NULL, false}};
    const char *w = words[0];
    if (strcmp(w, "identity") == 0 || strcmp(w, "roles") == 0) {
        c->kind = w[0] == 'i' ? CMD_IDENTITY : CMD_ROLES;
        return parse_options(c, words + 1, n - 1, none, pos, 0, 0, &npos, err, errlen);
    }
    if (strcmp(w, "ping") == 0) {
        c->kind = CMD_PING;
        if (!parse_options(c, words + 1, n - 1, none, pos, 0, 1, &npos, err, errlen))
            return false;
        c->text = npos ? pos[0] : "iop-service";
        return true;
    }
    if (strcmp(w, "profile") != 0) {
        snprintf(err, errlen, "unknown command '%s' (see -help)", w);
        return false;
    }
    if (n < 2) {
        snprintf(err, errlen, "profile needs a subcommand (see -help)");
        return false;
    }
    const char *sub = words[1];
    char **rest = words + 2;
    int nrest = n - 2;
    c->needs_identity = true;
    if (strcmp(sub, "register") == 0) {
        static const struct opt_spec s[] = {{"type", true}, {"plan", true}, {NULL, false}};
        c->kind = CMD_REGISTER;
        if (!parse_options(c, rest, nrest, s, pos, 0, 0, &npos, err, errlen)) return false;
        if (!c->type) {
            snprintf(err, errlen, "profile register needs --type");
            return false;
        }
        return true;
    }
    if (strcmp(sub, "cancel") == 0) {
        c->kind = CMD_CANCEL;
        return parse_options(c, rest, nrest, none, pos, 0, 0, &npos, err, errlen);
    }
    if (strcmp(sub, "update") == 0) {
        static const struct opt_spec s[] = {
            {"type", true},  {"name", true},  {"lat", true},       {"lon", true},
            {"extra", true}, {"image", true}, {"thumbnail", true}, {NULL, false}};
        c->kind = CMD_UPDATE;
        if (!parse_options(c, rest, nrest, s, pos, 0, 0, &npos, err, errlen)) return false;
        if (c->has_lat != c->has_lon) {
            snprintf(err, errlen, "--lat and --lon go together");
            return false;
        }
        return true;
    }
    if (strcmp(sub, "get") == 0) {
        static const struct opt_spec s[] = {{"images", false}, {NULL, false}};
        c->kind = CMD_GET;
        if (!parse_options(c, rest, nrest, s, pos, 0, 1, &npos, err, errlen)) return false;
        if (npos) {
            size_t len;
            if (strlen(pos[0]) != 64 || !hex_decode(c->id, 32, &len, pos[0], 64)) {
                snprintf(err, errlen, "ID must be 64 hex digits (an identity id)");
                return false;
            }
            c->has_id = true;
            c->needs_identity = false;
        }
        return true;
    }
    if (strcmp(sub, "checkin") == 0) {
        static const struct opt_spec s[] = {{"seconds", true}, {NULL, false}};
        c->kind = CMD_CHECKIN;
        return parse_options(c, rest, nrest, s, pos, 0, 0, &npos, err, errlen);
    }
    if (strcmp(sub, "app") == 0) {
        if (nrest >= 1 && strcmp(rest[0], "add") == 0) {
            c->kind = CMD_APP_ADD;
            if (nrest < 2) {
                snprintf(err, errlen, "profile app add needs at least one NAME");
                return false;
            }
            c->names = (const char *const *)(rest + 1);
            c->nnames = (size_t)(nrest - 1);
            return true;
        }
        if (nrest >= 1 && strcmp(rest[0], "remove") == 0) {
            c->kind = CMD_APP_REMOVE;
            if (!parse_options(c, rest + 1, nrest - 1, none, pos, 1, 1, &npos, err, errlen))
                return false;
            c->text = pos[0];
            return true;
        }
        snprintf(err, errlen, "profile app needs 'add NAME...' or 'remove NAME'");
        return false;
    }
    if (strcmp(sub, "search") == 0) {
        static const struct opt_spec s[] = {
            {"name", true}, {"type", true},   {"extra", true},
            {"near", true}, {"radius", true}, {"thumbnails", false},
            {"max", true},  {"page", true},   {NULL, false}};
        c->kind = CMD_SEARCH;
        c->needs_identity = false;
        if (!parse_options(c, rest, nrest, s, pos, 0, 0, &npos, err, errlen)) return false;
        if (c->search.use_location != c->has_radius) {
            snprintf(err, errlen, "--near and --radius go together");
            return false;
        }
        if (c->search.include_thumbnails &&
            c->search.max_total > PROFILE_SEARCH_MAX_TOTAL_THUMBS) {
            snprintf(err, errlen, "--max is at most %d with --thumbnails",
                     PROFILE_SEARCH_MAX_TOTAL_THUMBS);
            return false;
        }
        return true;
    }
    snprintf(err, errlen, "unknown profile subcommand '%s' (see -help)", sub);
    return false;
}

/* ---- Running a command ---- */

static int print_json(json_t *v)
{
    char *t = v ? json_write(v, 2) : NULL;
    json_decref(v);
    if (!t) {
        errorf("out of memory");
        return EXIT_USAGE;
    }
    printf("%s\n", t);
    fflush(stdout);
    free(t);
    return 0;
}

/* The exit code for a client call's result, after printing its error. */
static int call_failed(int st, const char *err)
{
    if (st == PROFILE_CLIENT_TRANSPORT) {
        errorf("connection lost: %s", err);
        return EXIT_CONNECTION;
    }
    if (st == PROFILE_CLIENT_LOCAL) {
        errorf("%s", err);
        return EXIT_USAGE;
    }
    fprintf(stderr, "error: %s: %s\n", profile_client_status_name(st), err);
    return EXIT_STATUS;
}

static bool read_image(const char *path, size_t max, uint8_t **data, size_t *len)
{
    char *buf = NULL;
    if (!fs_read_file(path, max + 1, &buf, len)) {
        errorf("cannot read %s", path);
        return false;
    }
    if (*len > max) {
        free(buf);
        errorf("%s is over %zu bytes", path, max);
        return false;
    }
    *data = (uint8_t *)buf;
    return true;
}

static int run_update(struct profile_client *pc, const struct cmd *c, json_t **out, char *err,
                      size_t errlen)
{
    struct profile_client_update u = {.type = c->type,
                                      .name = c->name,
                                      .latitude = c->lat,
                                      .longitude = c->lon,
                                      .extra_data = c->extra};
    uint8_t *image = NULL, *thumb = NULL;
    if (c->image_file && !read_image(c->image_file, PROFILE_MAX_IMAGE, &image, &u.image_len))
        return EXIT_USAGE;
    if (c->thumbnail_file &&
        !read_image(c->thumbnail_file, PROFILE_MAX_THUMBNAIL, &thumb, &u.thumbnail_len)) {
        free(image);
        return EXIT_USAGE;
    }
    u.image = image;
    u.thumbnail = thumb;
    int st = profile_client_update_profile(pc, &u, out, err, errlen);
    free(image);
    free(thumb);
    return st == 0 ? 0 : call_failed(st, err);
}

/* Search, then every further page; adds each result's distance with --near. */
static int run_search(struct profile_client *pc, const struct cmd *c, json_t **out, char *err,
                      size_t errlen)
{
    int st = profile_client_search(pc, &c->search, out, err, errlen);
    if (st != 0) return call_failed(st, err);
    json_t *all = json_object_get(*out, "profiles");
    size_t total = (size_t)json_integer_value(json_object_get(*out, "total"));
    while (json_array_size(all) < total) {
        size_t offset = json_array_size(all);
        size_t count = total - offset;
        size_t per =
            c->search.max_response ? c->search.max_response : PROFILE_SEARCH_MAX_RESPONSE;
        if (count > per) count = per;
        json_t *page;
        st = profile_client_search_part(pc, (uint32_t)offset, (uint32_t)count, &page, err,
                                        errlen);
        if (st != 0) return call_failed(st, err);
        json_t *ps = json_object_get(page, "profiles");
        size_t got = json_array_size(ps);
        json_array_extend(all, ps);
        json_decref(page);
        /* Profiles cancelled since the search are left out of pages; stop rather than
         * ask for the same offset forever. */
        if (got == 0) break;
    }
    if (c->search.use_location) {
        size_t i;
        json_t *p;
        json_array_foreach(all, i, p)
        {
            double lat = json_real_value(json_object_get(p, "latitude"));
            double lon = json_real_value(json_object_get(p, "longitude"));
            double d = profile_distance_m(c->search.latitude, c->search.longitude,
                                          (int32_t)round(lat * 1e6), (int32_t)round(lon * 1e6));
            json_object_set_new(p, "distance", json_real(round(d * 10) / 10));
        }
    }
    return 0;
}

static void sleep_seconds(int64_t s)
{
    struct timespec ts = {.tv_sec = (time_t)s, .tv_nsec = 0};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Checks in, says so on stdout at once (scripts may wait for it), then keeps the
 * connection alive with pings for the time asked. */
static int run_checkin(struct profile_client *pc, const struct cmd *c, char *err, size_t errlen)
{
    json_t *o;
    int st = profile_client_check_in(pc, &o, err, errlen);
    if (st != 0) return call_failed(st, err);
    json_object_set_new(o, "online", json_true());
    json_object_set_new(o, "seconds", json_integer(c->seconds));
    int rc = print_json(o);
    if (rc != 0) return rc;
    for (int64_t left = c->seconds; left > 0;) {
        int64_t step = left < CHECKIN_PING_S ? left : CHECKIN_PING_S;
        sleep_seconds(step);
        left -= step;
        json_t *pong;
        st = profile_client_ping(pc, "checkin", &pong, err, errlen);
        if (st != 0) return call_failed(st, err);
        json_decref(pong);
    }
    return 0;
}

static int run(struct profile_client *pc, const struct cmd *c)
{
    char err[1024];
    json_t *out = NULL;
    int st = 0, rc;
    switch (c->kind) {
    case CMD_IDENTITY: return EXIT_USAGE; /* handled without a connection */
    case CMD_PING: st = profile_client_ping(pc, c->text, &out, err, sizeof err); break;
    case CMD_ROLES: st = profile_client_list_roles(pc, &out, err, sizeof err); break;
    case CMD_REGISTER:
        st = profile_client_register_hosting(pc, c->plan, c->type, &out, err, sizeof err);
        break;
    case CMD_CANCEL: st = profile_client_cancel_hosting(pc, &out, err, sizeof err); break;
    case CMD_UPDATE:
        rc = run_update(pc, c, &out, err, sizeof err);
        return rc ? rc : print_json(out);
    case CMD_GET: {
        uint8_t iid[32];
        if (c->has_id)
            memcpy(iid, c->id, 32);
        else if (!profile_client_identity_id(pc, iid))
            return EXIT_USAGE;
        unsigned flags = PROFILE_CLIENT_GET_APPS;
        if (c->images) flags |= PROFILE_CLIENT_GET_IMAGE | PROFILE_CLIENT_GET_THUMBNAIL;
        st = profile_client_get_profile(pc, iid, flags, &out, err, sizeof err);
        break;
    }
    case CMD_CHECKIN: return run_checkin(pc, c, err, sizeof err);
    case CMD_APP_ADD:
        st = profile_client_app_add(pc, c->names, c->nnames, &out, err, sizeof err);
        break;
    case CMD_APP_REMOVE:
        st = profile_client_app_remove(pc, c->text, &out, err, sizeof err);
        break;
    case CMD_SEARCH:
        rc = run_search(pc, c, &out, err, sizeof err);
        if (rc) {
            json_decref(out);
            return rc;
        }
        return print_json(out);
    }
    if (st != 0) return call_failed(st, err);
    return print_json(out);
}

static int show_identity(const uint8_t secret[32])
{
    char err[256];
    struct identity_key *k = identity_key_from_secret(secret, err, sizeof err);
    if (!k) {
        errorf("%s", err);
        return EXIT_USAGE;
    }
    uint8_t pk[32], iid[32];
    char pkh[65], iidh[65];
    identity_key_public(k, pk);
    identity_key_free(k);
    sha256(pk, 32, iid);
    hex_encode(pkh, pk, 32);
    hex_encode(iidh, iid, 32);
    return print_json(json_pack("{s:s,s:s}", "public_key", pkh, "identity_id", iidh));
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    struct args *a =
        args_new(service_options, sizeof service_options / sizeof service_options[0]);
    if (!a) return EXIT_USAGE;
    char err[1024];
    int first = argc, rc = EXIT_USAGE;
    uint8_t secret[IDENTITY_SECRET_SIZE];
    bool have_secret = false;
    struct profile_client *pc = NULL;
    if (!args_parse_cmdline(a, argc, argv, &first, err, sizeof err)) {
        errorf("%s", err);
        goto out;
    }
    if (args_get_bool(a, "?", false) || args_get_bool(a, "h", false) ||
        args_get_bool(a, "help", false) || args_get_bool(a, "version", false)) {
        printf("iop-service profile service client version v%s\n", PACKAGE_VERSION);
        if (!args_get_bool(a, "version", false)) {
            char *h = args_help(a);
            printf("\nUsage:  iop-service [options] <command> [arguments]\n\n%s\n%s",
                   h ? h : "", usage_text);
            free(h);
        }
        rc = 0;
        goto out;
    }
    struct cmd c;
    if (!parse_command(&c, argv + first, argc - first, err, sizeof err)) {
        errorf("%s", err);
        goto out;
    }
    char host[256];
    uint16_t port;
    const char *connect = args_get_str(a, "connect", DEFAULT_CONNECT);
    if (!profile_client_parse_endpoint(connect, host, sizeof host, &port)) {
        errorf("-connect must be HOST:PORT with a numeric address, not '%s'", connect);
        goto out;
    }
    int64_t timeout = args_get_int(a, "timeout", 30);
    if (timeout <= 0 || timeout > 3600) {
        errorf("-timeout must be 1..3600 seconds");
        goto out;
    }
    const char *idfile = args_get(a, "identity");
    if (args_get_bool(a, "newidentity", false) && !idfile) {
        errorf("-newidentity needs -identity=FILE");
        goto out;
    }
    if (idfile) {
        if (!profile_client_identity_file(idfile, args_get_bool(a, "newidentity", false),
                                          secret, NULL, err, sizeof err)) {
            errorf("%s", err);
            goto out;
        }
        have_secret = true;
    } else if (c.needs_identity || c.kind == CMD_IDENTITY) {
        errorf("this command needs -identity=FILE");
        goto out;
    }
    if (c.kind == CMD_IDENTITY) {
        rc = show_identity(secret);
        goto out;
    }
    pc = profile_client_connect(host, port, have_secret ? secret : NULL, (int)timeout * 1000,
                                err, sizeof err);
    if (!pc) {
        errorf("%s", err);
        rc = EXIT_CONNECTION;
        goto out;
    }
    rc = run(pc, &c);
out:
    profile_client_free(pc);
    volatile uint8_t *v = secret;
    for (size_t i = 0; i < sizeof secret; i++) v[i] = 0;
    args_free(a);
    return rc;
}
