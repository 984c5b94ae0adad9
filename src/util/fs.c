/* File-system helpers (see fs.h). */
#include "util/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool fs_default_datadir(char *buf, size_t len)
{
    const char *home = getenv("HOME");
    if (!home || !*home) return false;
    int n = snprintf(buf, len, "%s/.iop", home);
    return n > 0 && (size_t)n < len;
}

bool fs_join(char *buf, size_t len, const char *a, const char *b)
{
    int n;
    if (b[0] == '/')
        n = snprintf(buf, len, "%s", b);
    else if (!*b)
        n = snprintf(buf, len, "%s", a);
    else
        n = snprintf(buf, len, "%s/%s", a, b);
    return n > 0 && (size_t)n < len;
}

bool fs_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool fs_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

bool fs_mkdirs(const char *path, char *err, size_t errlen)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp) {
        snprintf(err, errlen, "path too long: %s", path);
        return false;
    }
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(tmp, 0700) != 0 && errno != EEXIST) {
            snprintf(err, errlen, "cannot create directory %s: %s", tmp, strerror(errno));
            return false;
        }
        *p = '/';
    }
    if (mkdir(tmp, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create directory %s: %s", tmp, strerror(errno));
        return false;
    }
    if (!fs_is_dir(tmp)) {
        snprintf(err, errlen, "%s is not a directory", tmp);
        return false;
    }
    return true;
}

bool fs_lock_dir(const char *dir, int *fd, char *err, size_t errlen)
{
    char path[4096];
    if (!fs_join(path, sizeof path, dir, ".lock")) {
        snprintf(err, errlen, "path too long: %s", dir);
        return false;
    }
    int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (f < 0) {
        snprintf(err, errlen, "Cannot open lock file %s: %s", path, strerror(errno));
        return false;
    }
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    if (fcntl(f, F_SETLK, &fl) != 0) {
        int e = errno;
        close(f);
        if (e == EACCES || e == EAGAIN)
            snprintf(err, errlen,
                     "Cannot obtain a lock on data directory %s. iopd is probably already "
                     "running.",
                     dir);
        else
            snprintf(err, errlen, "Cannot lock %s: %s", path, strerror(e));
        return false;
    }
    *fd = f;
    return true;
}

bool fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode, char *err,
                     size_t errlen)
{
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp) {
        snprintf(err, errlen, "path too long: %s", path);
        return false;
    }
    int f = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (f < 0) {
        snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
        return false;
    }
    const char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t w = write(f, p, left);
        if (w < 0) {
            if (errno == EINTR) continue;
            snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
            close(f);
            unlink(tmp);
            return false;
        }
        p += w;
        left -= (size_t)w;
    }
    if (fsync(f) != 0 || close(f) != 0) {
        snprintf(err, errlen, "cannot flush %s: %s", tmp, strerror(errno));
        unlink(tmp);
        return false;
    }
    if (rename(tmp, path) != 0) {
        snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
        unlink(tmp);
        return false;
    }
    return true;
}

bool fs_read_file(const char *path, size_t max, char **out, size_t *out_len)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    size_t cap = 1024, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (len + 1 >= cap) {
            if (cap > max + 1) break;
            char *n = realloc(buf, cap * 2);
            if (!n) {
                free(buf);
                buf = NULL;
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
    if (!buf || len > max) {
        free(buf);
        return false;
    }
    buf[len] = '\0';
    *out = buf;
    if (out_len) *out_len = len;
    return true;
}
