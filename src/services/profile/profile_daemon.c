/* The profile service on its own thread (see profile_daemon.h). */
#include "services/profile/profile_daemon.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/fs.h"
#include "util/random.h"

struct profile_daemon {
    struct identity_key *identity;
    struct profile_service *ps;
    struct event_base *base;
    struct svc_server *server;
    pthread_t thread;
    bool running;
};

struct identity_key *profile_identity_load(const char *dir, char *err, size_t errlen)
{
    char path[4096];
    if (!fs_join(path, sizeof path, dir, PROFILE_IDENTITY_FILE)) {
        snprintf(err, errlen, "profile identity: path too long");
        return NULL;
    }
    uint8_t secret[IDENTITY_SECRET_SIZE];
    struct identity_key *k = NULL;
    if (fs_exists(path)) {
        char *data = NULL;
        size_t len = 0;
        if (!fs_read_file(path, IDENTITY_SECRET_SIZE + 1, &data, &len) ||
            len != IDENTITY_SECRET_SIZE) {
            free(data);
            snprintf(err, errlen, "profile identity: %s is not a 32-byte key file", path);
            return NULL;
        }
        memcpy(secret, data, sizeof secret);
        memset(data, 0, len);
        free(data);
        k = identity_key_from_secret(secret, err, errlen);
    } else {
        /* A random 32-byte string is a valid secret except with negligible odds;
         * retry a few times rather than reason about it. */
        for (int tries = 0; !k && tries < 8; tries++) {
            if (!random_bytes(secret, sizeof secret)) {
                snprintf(err, errlen, "profile identity: no randomness");
                return NULL;
            }
            k = identity_key_from_secret(secret, err, errlen);
        }
        if (k && !fs_write_atomic(path, secret, sizeof secret, 0600, err, errlen)) {
            identity_key_free(k);
            k = NULL;
        }
    }
    memset(secret, 0, sizeof secret);
    return k;
}

static void *loop_thread(void *arg)
{
    struct profile_daemon *d = arg;
    event_base_dispatch(d->base);
    return NULL;
}

struct profile_daemon *profile_daemon_start(const struct profile_daemon_config *cfg, char *err,
                                            size_t errlen)
{
    if (!cfg->dir) {
        snprintf(err, errlen, "profile: no directory");
        return NULL;
    }
    if (!fs_mkdirs(cfg->dir, err, errlen)) return NULL;
    struct profile_daemon *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(err, errlen, "profile: out of memory");
        return NULL;
    }
    d->identity = profile_identity_load(cfg->dir, err, errlen);
    if (!d->identity) goto fail;
    struct profile_service_config pcfg = {
        .store_dir = cfg->dir,
        .max_hosted = cfg->max_hosted,
        .plans = cfg->plans,
        .nplans = cfg->nplans,
    };
    d->ps = profile_service_new(&pcfg, err, errlen);
    if (!d->ps) goto fail;
    d->base = event_base_new();
    if (!d->base) {
        snprintf(err, errlen, "profile: cannot create an event loop");
        goto fail;
    }
    struct svc_server_config scfg = {0};
    scfg.bind = cfg->bind ? cfg->bind : "0.0.0.0";
    scfg.port = cfg->port;
    scfg.cert_dir = cfg->dir;
    scfg.identity = d->identity;
    scfg.operator_key = cfg->operator_key;
    /* ListRoles: this port serves the profile service. (With port 0, the port chosen by
     * the kernel is not known yet; iopd always names one.) */
    struct svc_role role = {IOP__COMMON__SERVICE_TYPE__SERVICE_PROFILE, cfg->port};
    scfg.roles = &role;
    scfg.nroles = 1;
    profile_service_attach(d->ps, &scfg);
    d->server = svc_server_new(d->base, &scfg, err, errlen);
    if (!d->server) goto fail;
    uint8_t pk[IDENTITY_PUBKEY_SIZE];
    identity_key_public(d->identity, pk);
    profile_service_set_endpoint(d->ps, svc_server_port(d->server), pk);
    if (pthread_create(&d->thread, NULL, loop_thread, d) != 0) {
        snprintf(err, errlen, "profile: cannot start a thread");
        goto fail;
    }
    d->running = true;
    return d;
fail:
    profile_daemon_stop(d);
    return NULL;
}

struct profile_service *profile_daemon_service(struct profile_daemon *d) { return d->ps; }

uint16_t profile_daemon_port(const struct profile_daemon *d)
{
    return svc_server_port(d->server);
}

void profile_daemon_stop(struct profile_daemon *d)
{
    if (!d) return;
    if (d->running) {
        event_base_loopexit(d->base, NULL);
        pthread_join(d->thread, NULL);
    }
    svc_server_free(d->server); /* its close callbacks still reach the service */
    if (d->base) event_base_free(d->base);
    profile_service_free(d->ps);
    identity_key_free(d->identity);
    free(d);
}
