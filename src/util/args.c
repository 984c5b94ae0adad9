/* Options from the command line and iop.conf; see args.h for the rules.
 *
 * Every value is kept as an entry (option, source, section, text, negated) in the order
 * it was read, and the getters walk the entries by precedence. Keeping everything rather
 * than overwriting lets one set answer for any section and keeps list options simple. */
#include "util/args.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SRC_CMDLINE, SRC_CONF };

struct arg_entry {
    size_t def;
    int source;
    char *section; /* NULL: top level (conf) or plain -name (command line) */
    char *value;
    bool negated;
};

struct args {
    const struct arg_def *defs;
    size_t ndefs;
    struct arg_entry *entries;
    size_t nentries, cap;
    char *section; /* selected chain section, or NULL */
    char *warnings;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static const char *const known_sections[] = {"main", "test", "regtest", "btc-main",
                                             "btc-regtest"};

static bool is_known_section(const char *s)
{
    for (size_t i = 0; i < sizeof known_sections / sizeof known_sections[0]; i++)
        if (strcmp(s, known_sections[i]) == 0) return true;
    return false;
}

struct args *args_new(const struct arg_def *defs, size_t n)
{
    struct args *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    a->defs = defs;
    a->ndefs = n;
    return a;
}

void args_free(struct args *a)
{
    if (!a) return;
    for (size_t i = 0; i < a->nentries; i++) {
        free(a->entries[i].section);
        free(a->entries[i].value);
    }
    free(a->entries);
    free(a->section);
    free(a->warnings);
    free(a);
}

bool args_parse_int64(const char *s, int64_t *out)
{
    if (!s || !*s || isspace((unsigned char)*s)) return false;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0') return false;
    *out = (int64_t)v;
    return true;
}

bool args_parse_bool(const char *s, bool *out)
{
    if (!s || strcmp(s, "") == 0 || strcmp(s, "1") == 0 || strcmp(s, "true") == 0) {
        *out = true;
        return true;
    }
    if (strcmp(s, "0") == 0 || strcmp(s, "false") == 0) {
        *out = false;
        return true;
    }
    return false;
}

static long find_def(const struct args *a, const char *name, size_t len)
{
    for (size_t i = 0; i < a->ndefs; i++)
        if (strlen(a->defs[i].name) == len && strncmp(a->defs[i].name, name, len) == 0)
            return (long)i;
    return -1;
}

static bool add_entry(struct args *a, size_t def, int source, const char *section,
                      const char *value, bool negated)
{
    if (a->nentries == a->cap) {
        size_t ncap = a->cap ? a->cap * 2 : 16;
        struct arg_entry *n = realloc(a->entries, ncap * sizeof *n);
        if (!n) return false;
        a->entries = n;
        a->cap = ncap;
    }
    struct arg_entry *e = &a->entries[a->nentries];
    e->def = def;
    e->source = source;
    e->section = section ? strdup(section) : NULL;
    e->value = strdup(value);
    e->negated = negated;
    if (!e->value || (section && !e->section)) {
        free(e->section);
        free(e->value);
        return false;
    }
    a->nentries++;
    return true;
}

/* Interprets one "name=value" / "name" / "noname" / "section.name=value" setting.
 * Returns 1 when stored, 0 when unknown and ignored, -1 on error (err set). where is
 * "" for the command line or " in FILE:LINE" for a conf file. */
static int store_setting(struct args *a, int source, const char *section, const char *key,
                         size_t keylen, const char *value, bool ignore_unknown,
                         const char *where, char *err, size_t errlen)
{
    const char *dot = memchr(key, '.', keylen);
    char secbuf[64];
    if (dot) {
        size_t slen = (size_t)(dot - key);
        if (slen == 0 || slen >= sizeof secbuf) {
            set_err(err, errlen, "Invalid parameter -%.*s%s", (int)keylen, key, where);
            return -1;
        }
        memcpy(secbuf, key, slen);
        secbuf[slen] = '\0';
        section = secbuf;
        keylen -= slen + 1;
        key = dot + 1;
    }
    bool negated = false;
    long def = find_def(a, key, keylen);
    if (def < 0 && keylen > 2 && strncmp(key, "no", 2) == 0) {
        def = find_def(a, key + 2, keylen - 2);
        negated = def >= 0;
    }
    if (def < 0) {
        if (ignore_unknown) return 0;
        set_err(err, errlen, "Invalid parameter -%.*s%s", (int)keylen, key, where);
        return -1;
    }
    const struct arg_def *d = &a->defs[def];
    if (source == SRC_CONF && (d->flags & ARG_CMDLINE_ONLY)) {
        if (ignore_unknown) return 0;
        set_err(err, errlen, "Option -%s can only be given on the command line%s", d->name,
                where);
        return -1;
    }
    if (negated) {
        /* -nofoo means false; -nofoo=0 means foo=1 (Core's double negation). */
        bool b = true;
        if (value && !args_parse_bool(value, &b)) {
            set_err(err, errlen, "Invalid value for -no%s: '%s' (expected 0 or 1)%s", d->name,
                    value, where);
            return -1;
        }
        if (!b) {
            negated = false;
            value = "1";
        } else {
            value = "0";
        }
        if (!negated && d->type != ARG_BOOL) {
            set_err(err, errlen, "Invalid value for -no%s: '0' (-%s is not a boolean)%s",
                    d->name, d->name, where);
            return -1;
        }
    } else {
        if (!value) value = d->type == ARG_BOOL ? "1" : "";
        switch (d->type) {
        case ARG_BOOL: {
            bool b;
            if (!args_parse_bool(value, &b)) {
                set_err(err, errlen, "Invalid value for -%s: '%s' (expected 0 or 1)%s", d->name,
                        value, where);
                return -1;
            }
            value = b ? "1" : "0";
            break;
        }
        case ARG_INT: {
            int64_t v;
            if (!args_parse_int64(value, &v)) {
                set_err(err, errlen, "Invalid value for -%s: '%s' (expected an integer)%s",
                        d->name, value, where);
                return -1;
            }
            break;
        }
        case ARG_STRING:
        case ARG_LIST: break;
        }
    }
    if (!add_entry(a, (size_t)def, source, section, value, negated)) {
        set_err(err, errlen, "out of memory");
        return -1;
    }
    return 1;
}

bool args_parse_cmdline(struct args *a, int argc, char *const *argv, int *first_positional,
                        char *err, size_t errlen)
{
    int i = 1;
    for (; i < argc; i++) {
        const char *w = argv[i];
        if (w[0] != '-') break;
        w++;
        if (w[0] == '-') w++;
        if (*w == '\0') {
            set_err(err, errlen, "Invalid parameter %s", argv[i]);
            return false;
        }
        const char *eq = strchr(w, '=');
        size_t keylen = eq ? (size_t)(eq - w) : strlen(w);
        if (store_setting(a, SRC_CMDLINE, NULL, w, keylen, eq ? eq + 1 : NULL, false, "", err,
                          errlen) < 0)
            return false;
    }
    if (first_positional) {
        *first_positional = i;
    } else if (i < argc) {
        set_err(err, errlen,
                "Command line contains unexpected token '%s', see -help for a "
                "list of options.",
                argv[i]);
        return false;
    }
    return true;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1])) *--e = '\0';
    return s;
}

static void add_warning(struct args *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void add_warning(struct args *a, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    size_t old = a->warnings ? strlen(a->warnings) : 0;
    char *n = realloc(a->warnings, old + strlen(buf) + 2);
    if (!n) return;
    if (old) n[old++] = '\n';
    strcpy(n + old, buf);
    a->warnings = n;
}

/* Whether line[0..len) is "rpcpassword" or "<section>.rpcpassword", spaces aside. */
static bool is_password_key(const char *line, size_t len)
{
    while (len > 0 && isspace((unsigned char)*line)) line++, len--;
    while (len > 0 && isspace((unsigned char)line[len - 1])) len--;
    static const char key[] = "rpcpassword";
    size_t k = sizeof key - 1;
    if (len < k || memcmp(line + len - k, key, k) != 0) return false;
    return len == k || line[len - k - 1] == '.';
}

bool args_read_conf_text(struct args *a, const char *text, const char *source,
                         bool ignore_unknown, char *err, size_t errlen)
{
    char *copy = strdup(text);
    if (!copy) {
        set_err(err, errlen, "out of memory");
        return false;
    }
    char section[64] = "";
    bool ok = true;
    int lineno = 0;
    /* strtok_r would skip empty lines and miscount; split by hand. */
    char *p = copy;
    while (p && ok) {
        char *nl = strchr(p, '\n');
        if (nl) *nl = '\0';
        lineno++;
        char where[300];
        snprintf(where, sizeof where, " in %s:%d", source, lineno);
        char *hash = strchr(p, '#');
        char *line = p;
        if (hash) {
            /* A # inside rpcpassword is ambiguous, as in Core. */
            char *eq = strchr(line, '=');
            if (eq && eq < hash && is_password_key(line, (size_t)(eq - line))) {
                set_err(err, errlen,
                        "parse error on line %d of %s, using # in rpcpassword can be "
                        "ambiguous and should be avoided",
                        lineno, source);
                ok = false;
                break;
            }
            *hash = '\0';
        }
        line = trim(line);
        if (*line == '\0') {
            /* blank or comment */
        } else if (*line == '[') {
            size_t len = strlen(line);
            if (line[len - 1] != ']' || len - 2 >= sizeof section || len < 3) {
                set_err(err, errlen, "parse error on line %d of %s: %s", lineno, source, line);
                ok = false;
                break;
            }
            memcpy(section, line + 1, len - 2);
            section[len - 2] = '\0';
            if (!is_known_section(section))
                add_warning(a, "Section [%s] is not recognized.", section);
        } else {
            char *eq = strchr(line, '=');
            if (!eq) {
                if (strncmp(line, "no", 2) == 0)
                    set_err(err, errlen,
                            "parse error on line %d of %s: %s, if you intended to specify a "
                            "negated option, use -%s=1 instead",
                            lineno, source, line, line);
                else
                    set_err(err, errlen, "parse error on line %d of %s: %s", lineno, source,
                            line);
                ok = false;
                break;
            }
            *eq = '\0';
            char *key = trim(line);
            char *value = trim(eq + 1);
            if (store_setting(a, SRC_CONF, section[0] ? section : NULL, key, strlen(key), value,
                              ignore_unknown, where, err, errlen) < 0) {
                ok = false;
                break;
            }
        }
        p = nl ? nl + 1 : NULL;
    }
    free(copy);
    return ok;
}

bool args_read_conf_file(struct args *a, const char *path, bool must_exist, bool ignore_unknown,
                         char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (!must_exist && errno == ENOENT) return true;
        set_err(err, errlen, "specified config file \"%s\" could not be opened.", path);
        return false;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    bool ok = buf != NULL;
    while (ok) {
        if (len + 1 >= cap) {
            if (cap > (16u << 20)) {
                set_err(err, errlen, "config file \"%s\" is too large", path);
                ok = false;
                break;
            }
            char *n = realloc(buf, cap * 2);
            if (!n) {
                ok = false;
                break;
            }
            buf = n;
            cap *= 2;
        }
        size_t r = fread(buf + len, 1, cap - len - 1, f);
        if (r == 0) break;
        len += r;
    }
    fclose(f);
    if (ok) {
        buf[len] = '\0';
        if (strlen(buf) != len) {
            set_err(err, errlen, "config file \"%s\" contains a NUL byte", path);
            ok = false;
        } else {
            ok = args_read_conf_text(a, buf, path, ignore_unknown, err, errlen);
        }
    } else if (err && !*err) {
        set_err(err, errlen, "out of memory reading \"%s\"", path);
    }
    free(buf);
    return ok;
}

bool args_select_section(struct args *a, const char *section)
{
    char *s = section ? strdup(section) : NULL;
    if (section && !s) return false;
    free(a->section);
    a->section = s;
    return true;
}

static bool section_eq(const char *a, const char *b)
{
    if (!a || !b) return a == b;
    return strcmp(a, b) == 0;
}

/* The entry that decides a single-valued option, or NULL. */
static const struct arg_entry *effective(const struct args *a, const char *name)
{
    long def = find_def(a, name, strlen(name));
    if (def < 0) return NULL;
    const struct arg_entry *best = NULL;
    /* Command line: last wins; plain or for the selected section. */
    for (size_t i = 0; i < a->nentries; i++) {
        const struct arg_entry *e = &a->entries[i];
        if (e->def == (size_t)def && e->source == SRC_CMDLINE &&
            (!e->section || section_eq(e->section, a->section)))
            best = e;
    }
    if (best) return best;
    /* Conf, selected section: first wins. */
    if (a->section) {
        for (size_t i = 0; i < a->nentries; i++) {
            const struct arg_entry *e = &a->entries[i];
            if (e->def == (size_t)def && e->source == SRC_CONF &&
                section_eq(e->section, a->section))
                return e;
        }
    }
    bool top_ok = !(a->defs[def].flags & ARG_NETWORK_ONLY) || !a->section ||
                  strcmp(a->section, "main") == 0;
    if (top_ok) {
        for (size_t i = 0; i < a->nentries; i++) {
            const struct arg_entry *e = &a->entries[i];
            if (e->def == (size_t)def && e->source == SRC_CONF && !e->section) return e;
        }
    }
    return NULL;
}

bool args_is_set(const struct args *a, const char *name) { return effective(a, name) != NULL; }

bool args_is_negated(const struct args *a, const char *name)
{
    const struct arg_entry *e = effective(a, name);
    return e && e->negated;
}

const char *args_get(const struct args *a, const char *name)
{
    const struct arg_entry *e = effective(a, name);
    return e ? e->value : NULL;
}

const char *args_get_str(const struct args *a, const char *name, const char *def)
{
    const char *v = args_get(a, name);
    return v ? v : def;
}

bool args_get_bool(const struct args *a, const char *name, bool def)
{
    const char *v = args_get(a, name);
    bool b;
    if (!v) return def;
    if (args_parse_bool(v, &b)) return b;
    return def;
}

int64_t args_get_int(const struct args *a, const char *name, int64_t def)
{
    const char *v = args_get(a, name);
    int64_t n;
    if (!v || !args_parse_int64(v, &n)) return def;
    return n;
}

/* Appends the values of one layer to out; returns true if the layer holds a negation
 * (which hides the layers below). */
static bool collect_layer(const struct args *a, size_t def, int source, const char *section,
                          bool any_section_cmdline, const char **out, size_t *n)
{
    size_t start = 0;
    bool neg = false;
    for (size_t i = 0; i < a->nentries; i++) {
        const struct arg_entry *e = &a->entries[i];
        bool match = e->def == def && e->source == source &&
                     (any_section_cmdline ? (!e->section || section_eq(e->section, a->section))
                                          : section_eq(e->section, section));
        if (match && e->negated) {
            neg = true;
            start = i + 1;
        }
    }
    for (size_t i = start; i < a->nentries; i++) {
        const struct arg_entry *e = &a->entries[i];
        bool match = e->def == def && e->source == source &&
                     (any_section_cmdline ? (!e->section || section_eq(e->section, a->section))
                                          : section_eq(e->section, section));
        if (match && !e->negated) out[(*n)++] = e->value;
    }
    return neg;
}

size_t args_get_list(const struct args *a, const char *name, const char ***out)
{
    *out = NULL;
    long def = find_def(a, name, strlen(name));
    if (def < 0 || a->nentries == 0) return 0;
    const char **v = malloc(a->nentries * sizeof *v);
    if (!v) return 0;
    size_t n = 0;
    bool stop = collect_layer(a, (size_t)def, SRC_CMDLINE, NULL, true, v, &n);
    if (!stop && a->section)
        stop = collect_layer(a, (size_t)def, SRC_CONF, a->section, false, v, &n);
    bool top_ok = !(a->defs[def].flags & ARG_NETWORK_ONLY) || !a->section ||
                  strcmp(a->section, "main") == 0;
    if (!stop && top_ok) collect_layer(a, (size_t)def, SRC_CONF, NULL, false, v, &n);
    if (n == 0) {
        free(v);
        return 0;
    }
    *out = v;
    return n;
}

bool args_soft_set(struct args *a, const char *name, const char *value)
{
    if (args_is_set(a, name)) return true;
    long def = find_def(a, name, strlen(name));
    if (def < 0) return false;
    return add_entry(a, (size_t)def, SRC_CMDLINE, NULL, value, false);
}

const char *args_chain(const struct args *a, char *err, size_t errlen)
{
    /* Only the command line and the top of the conf file can choose the chain. */
    struct args view = *a;
    view.section = NULL;
    int count = 0;
    const char *chain = "main";
    if (args_get_bool(&view, "regtest", false)) {
        chain = "regtest";
        count++;
    }
    if (args_get_bool(&view, "testnet", false)) {
        chain = "test";
        count++;
    }
    const char *c = args_get(&view, "chain");
    if (c) {
        chain = c;
        count++;
    }
    if (count > 1) {
        set_err(err, errlen,
                "Invalid combination of -regtest, -testnet and -chain. Can use "
                "at most one.");
        return NULL;
    }
    return chain;
}

const char *args_warnings(const struct args *a) { return a->warnings; }

char *args_help(const struct args *a)
{
    size_t cap = 256;
    for (size_t i = 0; i < a->ndefs; i++)
        cap += strlen(a->defs[i].name) + strlen(a->defs[i].param ? a->defs[i].param : "") +
               strlen(a->defs[i].help ? a->defs[i].help : "") + 16;
    char *s = malloc(cap);
    if (!s) return NULL;
    size_t len = (size_t)snprintf(s, cap, "Options:\n\n");
    for (size_t i = 0; i < a->ndefs; i++) {
        const struct arg_def *d = &a->defs[i];
        if (d->flags & ARG_HIDDEN) continue;
        len += (size_t)snprintf(s + len, cap - len, "  -%s%s\n       %s\n\n", d->name,
                                d->param ? d->param : "", d->help ? d->help : "");
    }
    return s;
}
