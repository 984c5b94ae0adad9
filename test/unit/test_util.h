/* Helpers shared by the unit tests: finding ../shared/vectors, reading files and JSON,
 * hex conversion with assertions. */
#ifndef IOP_TEST_UTIL_H
#define IOP_TEST_UTIL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Path of a file under the shared vectors folder: $IOP_VECTORS_DIR if set, else
 * <source dir>/../shared/vectors. Returns a static buffer overwritten by the next call. */
const char *test_vector_path(const char *relative);
/* Path of a file under test/data in the source tree (static buffer as above). */
const char *test_data_path(const char *relative);

/* Reads a whole file into a new buffer (caller frees); NULL if it cannot be read. A NUL
 * byte follows the data (not counted in *len). */
uint8_t *test_read_file(const char *path, size_t *len);
/* Loads a JSON file, failing the current test with a message if it cannot. */
json_t *test_load_json(const char *path);

/* Decodes hex (failing the test on bad input); caller frees the result. */
uint8_t *test_unhex(const char *hex, size_t *len);
/* Hex of data in a static buffer of up to 4 KiB of input, for messages. */
const char *test_hex(const uint8_t *data, size_t len);

/* A new empty directory /tmp/<prefix>-XXXXXX (malloc'd path, caller frees), failing the
 * current test if it cannot be made. */
char *test_make_tmpdir(const char *prefix);
/* Removes dir and everything below it (without following links). */
void test_remove_tree(const char *dir);

/* Prints "<what>: N cases" so every vector test reports how many it ran. */
void test_report_count(const char *what, size_t n);

#endif
