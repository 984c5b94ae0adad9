/* A pool of threads that runs the script checks of one block in parallel (Bitcoin
 * Core's CCheckQueue; the -par option).
 *
 * One batch at a time: checkqueue_begin, any number of checkqueue_add calls (workers
 * start on the jobs at once), then checkqueue_wait, in which the calling thread works
 * too until every job has run or one has failed. The first failure stops the remaining
 * work: jobs not yet started are skipped. Workers take jobs in small batches, so the
 * lock is taken about once per dozens of signature checks.
 *
 * A queue is used by one controlling thread (validation holds cs_main-like exclusion);
 * only its workers run concurrently. No global state: the chainstate owns the queue. */
#ifndef IOP_CHAIN_CHECKQUEUE_H
#define IOP_CHAIN_CHECKQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/script.h"
#include "consensus/sighash.h"
#include "consensus/tx.h"

/* Bitcoin Core's limit on script verification threads, the caller included. */
#define CHECKQUEUE_MAX_THREADS 15
/* *failed_index when the batch failed for a reason other than a job (out of memory). */
#define CHECKQUEUE_NO_INDEX SIZE_MAX

/* One input to verify. Everything is borrowed and must stay valid and unchanged until
 * checkqueue_wait returns. */
struct script_check_job {
    const struct tx *tx;                   /* the spending transaction */
    size_t in_index;                       /* which of its inputs */
    const struct tx_out *spent;            /* the output that input spends */
    uint32_t flags;                        /* SCRIPT_VERIFY_* */
    const struct sighash_precomputed *pre; /* per transaction; required for Taproot */
    const struct sig_cache_hook *cache;    /* NULL: no signature cache */
};

/* Runs one job on the calling thread (script_verify_cached); *err is SCRIPT_ERR_OK on
 * success. Also what the workers run. */
__attribute__((warn_unused_result)) bool
script_check_job_run(const struct script_check_job *job, enum script_error *err);

/* Threads the -par value asks for, the calling thread included, given ncores: 0 means
 * ncores, a negative value leaves that many cores free; the result is clamped to
 * 1..CHECKQUEUE_MAX_THREADS (1: the caller checks alone, no workers). */
int checkqueue_resolve_par(int par, int ncores);

struct checkqueue;

/* Starts checkqueue_resolve_par(par, online cores) - 1 worker threads. NULL when memory
 * or a thread cannot be had (nothing is left running). */
struct checkqueue *checkqueue_new(int par);
/* Stops and joins the workers. NULL is a no-op. Must not be called inside a batch
 * (between checkqueue_begin and the end of checkqueue_wait). */
void checkqueue_free(struct checkqueue *q);
/* Threads that check scripts during checkqueue_wait, the caller included. */
int checkqueue_threads(const struct checkqueue *q);

/* Starts a batch; the previous one must have been waited for. */
void checkqueue_begin(struct checkqueue *q);
/* Copies n jobs into the batch. Their indexes continue from the jobs added before (the
 * first job of the batch is 0). False on out of memory: the batch is then failed and
 * checkqueue_wait reports CHECKQUEUE_NO_INDEX with SCRIPT_ERR_UNKNOWN_ERROR. */
bool checkqueue_add(struct checkqueue *q, const struct script_check_job *jobs, size_t n);
/* Works on the batch until all jobs are done or one failed, then ends the batch. True
 * when every job passed. On failure, *failed_index (optional) is the index of the
 * failing job -- the lowest among those found to fail, so with one bad input it is that
 * input -- and *err (optional) its script error. */
__attribute__((warn_unused_result)) bool
checkqueue_wait(struct checkqueue *q, size_t *failed_index, enum script_error *err);

#endif
