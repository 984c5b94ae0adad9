/* Files and directories: the data directory, its lock file, atomic writes. */
#ifndef IOP_UTIL_FS_H
#define IOP_UTIL_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* "$HOME/.iop" into buf. Returns false if HOME is unset or buf is too small. */
bool fs_default_datadir(char *buf, size_t len);

/* a + "/" + b into buf (b alone if it is absolute). False if it does not fit. */
bool fs_join(char *buf, size_t len, const char *a, const char *b);

bool fs_is_dir(const char *path);
bool fs_exists(const char *path);

/* Creates path and its missing parents with mode 0700. */
__attribute__((warn_unused_result)) bool fs_mkdirs(const char *path, char *err, size_t errlen);

/* Takes an exclusive advisory lock (fcntl F_SETLK) on dir/.lock, creating the file.
 * On success *fd holds the open descriptor; closing it releases the lock. Fails (and
 * says which process holds it when the kernel tells) if another process holds it. */
__attribute__((warn_unused_result)) bool fs_lock_dir(const char *dir, int *fd, char *err,
                                                     size_t errlen);

/* Writes data to path atomically: a temporary file in the same directory, fsync,
 * rename. mode is the new file's permission bits. */
__attribute__((warn_unused_result)) bool fs_write_atomic(const char *path, const void *data,
                                                         size_t len, mode_t mode, char *err,
                                                         size_t errlen);

/* Reads a whole file (at most max bytes) into a new NUL-terminated buffer. */
__attribute__((warn_unused_result)) bool fs_read_file(const char *path, size_t max, char **out,
                                                      size_t *out_len);

#endif
