/* See blockstore.h. Writes go through pwrite on one cached descriptor per kind (the
 * current blk file, the last rev file written); reads open the file, check the record
 * header against the file's real size and read with pread, so a reader never trusts a
 * length it has not bounded. */
#include "chain/blockstore.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "consensus/serialize.h"
#include "util/fs.h"

#define NO_FILE            UINT32_MAX
#define UNDO_CHECKSUM_SIZE 32u

struct blockstore {
    char *dir;
    uint8_t magic[4];
    struct blockfile_info *files;
    bool *dirty;
    size_t nfiles, cap;
    uint32_t last_file;
    uint32_t max_file_size;
    bool prealloc;
    int blk_fd;
    uint32_t blk_fd_file;
    uint64_t blk_alloc; /* bytes pre-allocated in the open blk file */
    int rev_fd;
    uint32_t rev_fd_file;
    uint64_t rev_alloc;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

bool blockstore_file_path(char *buf, size_t len, const char *dir, const char *prefix,
                          uint32_t file)
{
    int n = snprintf(buf, len, "%s/%s%05u.dat", dir, prefix, (unsigned)file);
    return n > 0 && (size_t)n < len;
}

static bool ensure_files(struct blockstore *bs, size_t n)
{
    if (n <= bs->nfiles) return true;
    if (n > bs->cap) {
        size_t cap = bs->cap ? bs->cap : 16;
        while (cap < n) cap *= 2;
        struct blockfile_info *f = realloc(bs->files, cap * sizeof(*f));
        if (!f) return false;
        bs->files = f;
        bool *d = realloc(bs->dirty, cap * sizeof(*d));
        if (!d) return false;
        bs->dirty = d;
        bs->cap = cap;
    }
    memset(bs->files + bs->nfiles, 0, (n - bs->nfiles) * sizeof(*bs->files));
    memset(bs->dirty + bs->nfiles, 0, (n - bs->nfiles) * sizeof(*bs->dirty));
    bs->nfiles = n;
    return true;
}

struct blockstore *blockstore_open(const char *dir, const uint8_t magic[4],
                                   const struct blockfile_info *files, size_t file_count,
                                   uint32_t last_file, char *err, size_t errlen)
{
    if (!fs_mkdirs(dir, err, errlen)) return NULL;
    if (last_file >= BLOCKSTORE_MAX_FILES || file_count > BLOCKSTORE_MAX_FILES ||
        (file_count > 0 && last_file >= file_count)) {
        set_err(err, errlen, "last block file %u out of range", (unsigned)last_file);
        return NULL;
    }
    struct blockstore *bs = calloc(1, sizeof(*bs));
    if (!bs) goto oom;
    bs->blk_fd = bs->rev_fd = -1;
    bs->blk_fd_file = bs->rev_fd_file = NO_FILE;
    bs->max_file_size = BLOCKSTORE_MAX_FILE_SIZE;
    memcpy(bs->magic, magic, 4);
    bs->dir = strdup(dir);
    if (!bs->dir) goto oom;
    if (!ensure_files(bs,
                      file_count > last_file + (size_t)1 ? file_count : last_file + (size_t)1))
        goto oom;
    if (file_count) memcpy(bs->files, files, file_count * sizeof(*files));
    bs->last_file = last_file;
    return bs;
oom:
    set_err(err, errlen, "out of memory");
    blockstore_close(bs);
    return NULL;
}

static void close_fd(int *fd, uint32_t *which)
{
    if (*fd >= 0) close(*fd);
    *fd = -1;
    *which = NO_FILE;
}

/* Leaves the open blk or rev file: fsync, and give back unused pre-allocation. */
static bool finish_fd(struct blockstore *bs, bool rev, char *err, size_t errlen)
{
    int *fd = rev ? &bs->rev_fd : &bs->blk_fd;
    uint32_t *which = rev ? &bs->rev_fd_file : &bs->blk_fd_file;
    bool ok = true;
    if (*fd >= 0) {
        if (bs->prealloc && *which < bs->nfiles) {
            const struct blockfile_info *fi = &bs->files[*which];
            if (ftruncate(*fd, (off_t)(rev ? fi->undo_size : fi->size)) != 0) ok = false;
        }
        if (fsync(*fd) != 0) ok = false;
        if (!ok)
            set_err(err, errlen, "cannot finish %s%05u.dat: %s", rev ? "rev" : "blk",
                    (unsigned)*which, strerror(errno));
    }
    close_fd(fd, which);
    if (rev)
        bs->rev_alloc = 0;
    else
        bs->blk_alloc = 0;
    return ok;
}

void blockstore_close(struct blockstore *bs)
{
    if (!bs) return;
    finish_fd(bs, false, NULL, 0);
    finish_fd(bs, true, NULL, 0);
    free(bs->dir);
    free(bs->files);
    free(bs->dirty);
    free(bs);
}

void blockstore_set_max_file_size(struct blockstore *bs, uint32_t bytes)
{
    bs->max_file_size = bytes ? bytes : 1;
}

void blockstore_set_preallocate(struct blockstore *bs, bool on) { bs->prealloc = on; }

uint32_t blockstore_last_file(const struct blockstore *bs) { return bs->last_file; }
size_t blockstore_file_count(const struct blockstore *bs) { return bs->nfiles; }

const struct blockfile_info *blockstore_file_info(const struct blockstore *bs, uint32_t file)
{
    return file < bs->nfiles ? &bs->files[file] : NULL;
}

size_t blockstore_take_dirty(struct blockstore *bs, uint32_t *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < bs->nfiles && n < cap; i++) {
        if (!bs->dirty[i]) continue;
        bs->dirty[i] = false;
        out[n++] = (uint32_t)i;
    }
    return n;
}

/* The cached descriptor for blk<file> or rev<file>, opening it (and finishing the
 * previous one) as needed. */
static int get_fd(struct blockstore *bs, bool rev, uint32_t file, char *err, size_t errlen)
{
    int *fd = rev ? &bs->rev_fd : &bs->blk_fd;
    uint32_t *which = rev ? &bs->rev_fd_file : &bs->blk_fd_file;
    if (*fd >= 0 && *which == file) return *fd;
    if (!finish_fd(bs, rev, err, errlen)) return -1;
    char path[4096];
    if (!blockstore_file_path(path, sizeof(path), bs->dir, rev ? "rev" : "blk", file)) {
        set_err(err, errlen, "block directory path too long");
        return -1;
    }
    int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (f < 0) {
        set_err(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    *fd = f;
    *which = file;
    return f;
}

static bool pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
    const uint8_t *p = buf;
    while (len) {
        ssize_t n = pwrite(fd, p, len, (off_t)off);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        p += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return true;
}

static bool pread_all(int fd, void *buf, size_t len, uint64_t off)
{
    uint8_t *p = buf;
    while (len) {
        ssize_t n = pread(fd, p, len, (off_t)off);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        if (n == 0) return false; /* end of file */
        p += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return true;
}

/* Grows the file in whole chunks so that [0, end) is allocated. Failure is harmless
 * (the write itself will report a full disk), so it is ignored. */
static void preallocate(struct blockstore *bs, int fd, uint64_t *alloc, uint64_t end,
                        uint32_t chunk)
{
    if (!bs->prealloc || end <= *alloc) return;
    uint64_t want = (end + chunk - 1) / chunk * chunk;
    if (posix_fallocate(fd, 0, (off_t)want) == 0) *alloc = want;
}

static bool write_record(int fd, const uint8_t magic[4], const uint8_t *data, size_t len,
                         const uint8_t *trailer, size_t trailer_len, uint64_t off)
{
    uint8_t hdr[BLOCKSTORE_RECORD_HEADER];
    memcpy(hdr, magic, 4);
    le32_write(hdr + 4, (uint32_t)len);
    return pwrite_all(fd, hdr, sizeof(hdr), off) &&
           pwrite_all(fd, data, len, off + sizeof(hdr)) &&
           (!trailer_len || pwrite_all(fd, trailer, trailer_len, off + sizeof(hdr) + len));
}

bool blockstore_write_block(struct blockstore *bs, const uint8_t *data, size_t len,
                            int32_t height, uint32_t time, struct blockstore_pos *pos,
                            char *err, size_t errlen)
{
    if (len == 0 || len > BLOCKSTORE_MAX_BLOCK_SIZE) {
        set_err(err, errlen, "block size %zu out of range", len);
        return false;
    }
    uint64_t need = BLOCKSTORE_RECORD_HEADER + (uint64_t)len;
    struct blockfile_info *fi = &bs->files[bs->last_file];
    if (fi->size > 0 && fi->size + need > bs->max_file_size) {
        if (bs->last_file + 1 >= BLOCKSTORE_MAX_FILES) {
            set_err(err, errlen, "out of block file numbers");
            return false;
        }
        if (!ensure_files(bs, (size_t)bs->last_file + 2)) {
            set_err(err, errlen, "out of memory");
            return false;
        }
        if (bs->blk_fd_file == bs->last_file && !finish_fd(bs, false, err, errlen))
            return false;
        bs->last_file++;
        bs->dirty[bs->last_file] = true;
        fi = &bs->files[bs->last_file];
    }
    if (fi->size + need > UINT32_MAX) {
        set_err(err, errlen, "block file too large");
        return false;
    }
    int fd = get_fd(bs, false, bs->last_file, err, errlen);
    if (fd < 0) return false;
    uint64_t off = fi->size;
    preallocate(bs, fd, &bs->blk_alloc, off + need, BLOCKSTORE_BLOCK_CHUNK);
    if (!write_record(fd, bs->magic, data, len, NULL, 0, off)) {
        set_err(err, errlen, "cannot write blk%05u.dat: %s", (unsigned)bs->last_file,
                strerror(errno));
        return false;
    }
    if (fi->blocks == 0 || height < fi->height_first) fi->height_first = height;
    if (fi->blocks == 0 || time < fi->time_first) fi->time_first = time;
    if (fi->blocks == 0 || height > fi->height_last) fi->height_last = height;
    if (fi->blocks == 0 || time > fi->time_last) fi->time_last = time;
    fi->blocks++;
    fi->size = (uint32_t)(off + need);
    bs->dirty[bs->last_file] = true;
    pos->file = bs->last_file;
    pos->offset = (uint32_t)(off + BLOCKSTORE_RECORD_HEADER);
    return true;
}

static void undo_checksum(uint8_t out[32], const uint256 *block_hash, const uint8_t *data,
                          size_t len)
{
    struct sha256_ctx ctx;
    uint8_t once[32];
    sha256_init(&ctx);
    sha256_write(&ctx, block_hash->b, 32);
    sha256_write(&ctx, data, len);
    sha256_finalize(&ctx, once);
    sha256(once, sizeof(once), out);
}

bool blockstore_write_undo(struct blockstore *bs, uint32_t file, const uint256 *block_hash,
                           const uint8_t *data, size_t len, struct blockstore_pos *pos,
                           char *err, size_t errlen)
{
    if (len > BLOCKSTORE_MAX_UNDO_SIZE) {
        set_err(err, errlen, "undo size %zu out of range", len);
        return false;
    }
    if (file >= bs->nfiles) {
        set_err(err, errlen, "undo for unknown block file %u", (unsigned)file);
        return false;
    }
    struct blockfile_info *fi = &bs->files[file];
    uint64_t need = BLOCKSTORE_RECORD_HEADER + (uint64_t)len + UNDO_CHECKSUM_SIZE;
    if (fi->undo_size + need > UINT32_MAX) {
        set_err(err, errlen, "undo file too large");
        return false;
    }
    int fd = get_fd(bs, true, file, err, errlen);
    if (fd < 0) return false;
    uint64_t off = fi->undo_size;
    uint8_t sum[32];
    undo_checksum(sum, block_hash, data, len);
    preallocate(bs, fd, &bs->rev_alloc, off + need, BLOCKSTORE_UNDO_CHUNK);
    if (!write_record(fd, bs->magic, data, len, sum, sizeof(sum), off)) {
        set_err(err, errlen, "cannot write rev%05u.dat: %s", (unsigned)file, strerror(errno));
        return false;
    }
    fi->undo_size = (uint32_t)(off + need);
    bs->dirty[file] = true;
    pos->file = file;
    pos->offset = (uint32_t)(off + BLOCKSTORE_RECORD_HEADER);
    return true;
}

/* Reads the record whose data starts at pos in <prefix><file>.dat: checks the magic, a
 * size in [1, max] and that size + trailer bytes are in the file; returns data and
 * trailer in one buffer. */
static bool read_record(struct blockstore *bs, const char *prefix,
                        const struct blockstore_pos *pos, uint32_t max, size_t trailer,
                        uint8_t **data, size_t *len, char *err, size_t errlen)
{
    *data = NULL;
    *len = 0;
    char path[4096];
    if (!blockstore_file_path(path, sizeof(path), bs->dir, prefix, pos->file)) {
        set_err(err, errlen, "block directory path too long");
        return false;
    }
    if (pos->offset < BLOCKSTORE_RECORD_HEADER) {
        set_err(err, errlen, "bad position %u in %s", (unsigned)pos->offset, path);
        return false;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        set_err(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return false;
    }
    bool ok = false;
    struct stat st;
    uint8_t hdr[BLOCKSTORE_RECORD_HEADER];
    uint64_t start = pos->offset;
    if (fstat(fd, &st) != 0 || !pread_all(fd, hdr, sizeof(hdr), start - sizeof(hdr))) {
        set_err(err, errlen, "cannot read record header at %s:%u", path, (unsigned)pos->offset);
        goto out;
    }
    if (memcmp(hdr, bs->magic, 4) != 0) {
        set_err(err, errlen, "bad magic at %s:%u", path, (unsigned)pos->offset);
        goto out;
    }
    uint32_t size = le32_read(hdr + 4);
    if (size == 0 || size > max) {
        set_err(err, errlen, "record size %u out of range at %s:%u", (unsigned)size, path,
                (unsigned)pos->offset);
        goto out;
    }
    if (start + size + trailer > (uint64_t)st.st_size) {
        set_err(err, errlen, "truncated record at %s:%u", path, (unsigned)pos->offset);
        goto out;
    }
    uint8_t *buf = malloc(size + trailer);
    if (!buf) {
        set_err(err, errlen, "out of memory");
        goto out;
    }
    if (!pread_all(fd, buf, size + trailer, start)) {
        set_err(err, errlen, "cannot read record at %s:%u: %s", path, (unsigned)pos->offset,
                strerror(errno));
        free(buf);
        goto out;
    }
    *data = buf;
    *len = size;
    ok = true;
out:
    close(fd);
    return ok;
}

bool blockstore_read_block(struct blockstore *bs, const struct blockstore_pos *pos,
                           uint8_t **data, size_t *len, char *err, size_t errlen)
{
    return read_record(bs, "blk", pos, BLOCKSTORE_MAX_BLOCK_SIZE, 0, data, len, err, errlen);
}

bool blockstore_read_undo(struct blockstore *bs, const struct blockstore_pos *pos,
                          const uint256 *block_hash, uint8_t **data, size_t *len, char *err,
                          size_t errlen)
{
    if (!read_record(bs, "rev", pos, BLOCKSTORE_MAX_UNDO_SIZE, UNDO_CHECKSUM_SIZE, data, len,
                     err, errlen))
        return false;
    uint8_t sum[32];
    undo_checksum(sum, block_hash, *data, *len);
    if (memcmp(sum, *data + *len, sizeof(sum)) != 0) {
        set_err(err, errlen, "undo checksum mismatch at rev%05u.dat:%u", (unsigned)pos->file,
                (unsigned)pos->offset);
        free(*data);
        *data = NULL;
        *len = 0;
        return false;
    }
    return true;
}

bool blockstore_flush(struct blockstore *bs, bool sync, char *err, size_t errlen)
{
    if (!sync) return true;
    if (bs->blk_fd >= 0 && fsync(bs->blk_fd) != 0) {
        set_err(err, errlen, "fsync blk%05u.dat: %s", (unsigned)bs->blk_fd_file,
                strerror(errno));
        return false;
    }
    if (bs->rev_fd >= 0 && fsync(bs->rev_fd) != 0) {
        set_err(err, errlen, "fsync rev%05u.dat: %s", (unsigned)bs->rev_fd_file,
                strerror(errno));
        return false;
    }
    return true;
}

/* ---- Sequential reader ---- */

struct blockfile_reader {
    FILE *f;
    uint8_t magic[4];
    uint64_t next;       /* where the next scan starts */
    uint64_t last_magic; /* where the last returned record's magic was */
    uint64_t records;
    uint64_t skipped;
};

struct blockfile_reader *blockfile_reader_open(const char *path, const uint8_t magic[4],
                                               char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        set_err(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    struct blockfile_reader *r = calloc(1, sizeof(*r));
    if (!r) {
        fclose(f);
        set_err(err, errlen, "out of memory");
        return NULL;
    }
    r->f = f;
    memcpy(r->magic, magic, 4);
    return r;
}

void blockfile_reader_free(struct blockfile_reader *r)
{
    if (!r) return;
    fclose(r->f);
    free(r);
}

uint64_t blockfile_reader_records(const struct blockfile_reader *r) { return r->records; }
uint64_t blockfile_reader_skipped(const struct blockfile_reader *r) { return r->skipped; }

void blockfile_reader_resync(struct blockfile_reader *r) { r->next = r->last_magic + 1; }

/* Finds the magic at or after r->next; returns its offset, or -1 at the end. */
static int64_t find_magic(struct blockfile_reader *r, bool *io_error)
{
    uint64_t pos = r->next;
    if (fseeko(r->f, (off_t)pos, SEEK_SET) != 0) {
        *io_error = true;
        return -1;
    }
    uint8_t win[4] = {0, 0, 0, 0}; /* the last four bytes read */
    size_t have = 0;
    for (;;) {
        int c = getc(r->f);
        if (c == EOF) {
            if (ferror(r->f)) *io_error = true;
            return -1;
        }
        pos++;
        memmove(win, win + 1, 3);
        win[3] = (uint8_t)c;
        if (have < 4) have++;
        if (have == 4 && memcmp(win, r->magic, 4) == 0) return (int64_t)(pos - 4);
    }
}

int blockfile_reader_next(struct blockfile_reader *r, uint8_t **data, size_t *len,
                          uint64_t *offset, char *err, size_t errlen)
{
    *data = NULL;
    *len = 0;
    for (;;) {
        bool io_error = false;
        int64_t at = find_magic(r, &io_error);
        if (at < 0) {
            if (io_error) {
                set_err(err, errlen, "read error: %s", strerror(errno));
                return -1;
            }
            return 0;
        }
        r->skipped += (uint64_t)at - r->next;
        uint8_t sz[4];
        if (fread(sz, 1, 4, r->f) != 4) {
            if (ferror(r->f)) {
                set_err(err, errlen, "read error: %s", strerror(errno));
                return -1;
            }
            return 0;
        }
        uint32_t size = le32_read(sz);
        r->next = (uint64_t)at + 1; /* unless the record turns out good */
        if (size < 80 || size > BLOCKSTORE_MAX_BLOCK_SIZE) {
            r->skipped++;
            continue;
        }
        uint8_t *buf = malloc(size);
        if (!buf) {
            set_err(err, errlen, "out of memory");
            return -1;
        }
        if (fread(buf, 1, size, r->f) != size) {
            free(buf);
            if (ferror(r->f)) {
                set_err(err, errlen, "read error: %s", strerror(errno));
                return -1;
            }
            /* Cut short: look for another magic inside what is there, as Core does. */
            r->skipped++;
            continue;
        }
        r->last_magic = (uint64_t)at;
        r->next = (uint64_t)at + BLOCKSTORE_RECORD_HEADER + size;
        r->records++;
        *data = buf;
        *len = size;
        if (offset) *offset = (uint64_t)at + BLOCKSTORE_RECORD_HEADER;
        return 1;
    }
}
