/* Block and undo files in Bitcoin Core's on-disk layout.
 *
 * Blocks are appended to blocks/blk00000.dat, blk00001.dat, ... as records of
 *     magic (4 bytes) | size (u32 little-endian) | serialized block (size bytes)
 * and a file is closed once the next record would take it past the size limit (128 MiB;
 * smaller for tests). The undo data of a block goes to rev<N>.dat with the same number N
 * as its block file, as
 *     magic | size (u32 LE) | undo data | sha256d(block hash || undo data) (32 bytes)
 * so a damaged record or one paired with the wrong block is detected on reading.
 *
 * A position names the first byte of a record's data (after magic and size), as Core's
 * FlatFilePos does; it is what the block index stores. Reading re-checks the record
 * header at position - 8: the magic, a size within the limit and within the file, so a
 * corrupt index or file gives an error, never an oversized allocation.
 *
 * What each file holds (struct blockfile_info) is kept here in memory; the block index
 * persists it (blockindex.h) and hands it back on the next start, and writes continue at
 * the recorded end of the last file (bytes past it are overwritten, as in Core).
 *
 * A separate sequential reader walks any file in this layout (-loadblock, -reindex),
 * scanning past garbage for the magic as Core's LoadExternalBlockFile does. */
#ifndef IOP_CHAIN_BLOCKSTORE_H
#define IOP_CHAIN_BLOCKSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/hash.h"

#define BS_WU __attribute__((warn_unused_result))

#define BLOCKSTORE_MAX_FILE_SIZE  (128u * 1024 * 1024)
#define BLOCKSTORE_RECORD_HEADER  8u                  /* magic + size */
#define BLOCKSTORE_MAX_BLOCK_SIZE 4000000u            /* MAX_BLOCK_SERIALIZED_SIZE */
#define BLOCKSTORE_MAX_UNDO_SIZE  (32u * 1024 * 1024) /* Core's MAX_SIZE */
#define BLOCKSTORE_BLOCK_CHUNK    (16u * 1024 * 1024) /* pre-allocation steps */
#define BLOCKSTORE_UNDO_CHUNK     (1u * 1024 * 1024)
#define BLOCKSTORE_MAX_FILES      (1u << 20) /* 128 TiB of blocks: more means corruption */

/* Where a record's data starts. */
struct blockstore_pos {
    uint32_t file;
    uint32_t offset; /* of the data; the record header is the 8 bytes before it */
};

/* What one blk/rev file pair holds (Core's CBlockFileInfo). */
struct blockfile_info {
    uint32_t blocks;    /* records in blkN.dat */
    uint32_t size;      /* bytes used in blkN.dat */
    uint32_t undo_size; /* bytes used in revN.dat */
    int32_t height_first, height_last;
    uint32_t time_first, time_last;
};

struct blockstore;

/* Opens the block store in dir (created if missing, e.g. "<datadir>/blocks") for records
 * with the given magic. files[0..file_count) is what the index recorded (NULL/0 for a
 * new store); last_file is the file new blocks go to. Returns NULL with a message in
 * err[errlen] on failure. */
BS_WU struct blockstore *blockstore_open(const char *dir, const uint8_t magic[4],
                                         const struct blockfile_info *files, size_t file_count,
                                         uint32_t last_file, char *err, size_t errlen);
/* Flushes (without fsync) and frees; NULL is a no-op. */
void blockstore_close(struct blockstore *bs);

/* A smaller file size limit (tests); takes effect for the next write. */
void blockstore_set_max_file_size(struct blockstore *bs, uint32_t bytes);
/* Grow files in chunks (16 MiB blk, 1 MiB rev) with posix_fallocate before writing,
 * and truncate them to their used size when finished. Off by default. */
void blockstore_set_preallocate(struct blockstore *bs, bool on);

/* Appends a serialized block (1 <= len <= BLOCKSTORE_MAX_BLOCK_SIZE) of the given height
 * and header time, switching to a new file when the current one would pass the limit.
 * *pos receives the data position. The previous file is flushed and fsynced when left. */
BS_WU bool blockstore_write_block(struct blockstore *bs, const uint8_t *data, size_t len,
                                  int32_t height, uint32_t time, struct blockstore_pos *pos,
                                  char *err, size_t errlen);
/* Reads the block record at pos into a new buffer (*data, caller frees; *len bytes). */
BS_WU bool blockstore_read_block(struct blockstore *bs, const struct blockstore_pos *pos,
                                 uint8_t **data, size_t *len, char *err, size_t errlen);

/* Appends undo data to rev<file>.dat, where file is the number of the block's own blk
 * file, followed by the checksum sha256d(block_hash || data). For files Bitcoin Core can
 * read, block_hash must be the hash of the block's PARENT (Core's checksum covers the
 * previous block hash, not the block's own). *pos receives the data position. */
BS_WU bool blockstore_write_undo(struct blockstore *bs, uint32_t file,
                                 const uint256 *block_hash, const uint8_t *data, size_t len,
                                 struct blockstore_pos *pos, char *err, size_t errlen);
/* Reads the undo record at pos and checks its checksum against block_hash (the parent's
 * hash, as written). */
BS_WU bool blockstore_read_undo(struct blockstore *bs, const struct blockstore_pos *pos,
                                const uint256 *block_hash, uint8_t **data, size_t *len,
                                char *err, size_t errlen);

/* Makes everything written so far durable: fsync of the open blk and rev files (sync)
 * or nothing more than the write(2) calls already did (!sync). */
BS_WU bool blockstore_flush(struct blockstore *bs, bool sync, char *err, size_t errlen);

/* The file new blocks go to, the number of files known, and one file's record (NULL
 * past the end). */
uint32_t blockstore_last_file(const struct blockstore *bs);
size_t blockstore_file_count(const struct blockstore *bs);
const struct blockfile_info *blockstore_file_info(const struct blockstore *bs, uint32_t file);
/* Files whose info changed since the last call, in increasing order, written to out
 * (at most cap); returns how many. The dirty marks of the returned files are cleared. */
size_t blockstore_take_dirty(struct blockstore *bs, uint32_t *out, size_t cap);

/* Path of blk<file>.dat or rev<file>.dat in dir into buf. False if it does not fit. */
bool blockstore_file_path(char *buf, size_t len, const char *dir, const char *prefix,
                          uint32_t file);

/* ---- Sequential reading of a blk*.dat-layout file (-loadblock, -reindex) ---- */

struct blockfile_reader;

/* Opens path for reading records with the given magic. NULL with err on failure. */
BS_WU struct blockfile_reader *blockfile_reader_open(const char *path, const uint8_t magic[4],
                                                     char *err, size_t errlen);
void blockfile_reader_free(struct blockfile_reader *r);
/* The next record: scans forward for the magic, skips candidates whose size is below 80
 * or above BLOCKSTORE_MAX_BLOCK_SIZE, and returns 1 with the record's data in a new
 * buffer (*data, caller frees; *len bytes) and its data offset in *offset. Returns 0 at
 * the end of the file (including a last record cut short) and -1 on a read error. */
BS_WU int blockfile_reader_next(struct blockfile_reader *r, uint8_t **data, size_t *len,
                                uint64_t *offset, char *err, size_t errlen);
/* After a record that did not parse as a block: resume the scan one byte after that
 * record's magic instead of after its data (Core does the same). */
void blockfile_reader_resync(struct blockfile_reader *r);
/* Records returned and bytes skipped as garbage so far. */
uint64_t blockfile_reader_records(const struct blockfile_reader *r);
uint64_t blockfile_reader_skipped(const struct blockfile_reader *r);

#endif
