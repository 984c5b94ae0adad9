/* The script check queue.
 *
 * One mutex guards the batch: a growing array of jobs, the index of the next job to
 * hand out, how many threads hold jobs, and the failure found so far. Workers sleep on
 * one condition variable until there are jobs (or the queue is shutting down), take a
 * slice of jobs from the front, copy it out and run it without the lock. The slice is a
 * share of what is left divided among the threads (at most BATCH_MAX), so the lock is
 * taken rarely while there is much to do and the last jobs still spread over all
 * threads. The controlling thread does the same inside checkqueue_wait, then sleeps on
 * a second condition variable until no thread holds jobs.
 *
 * A failure sets an atomic flag that the running slices check between jobs, so every
 * thread stops within one script check; jobs not handed out are never started. */
#include "chain/checkqueue.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BATCH_MAX 64

struct checkqueue {
    pthread_mutex_t lock;
    pthread_cond_t work_cv; /* workers: jobs to take, or quit */
    pthread_cond_t done_cv; /* controller: no thread holds jobs any more */
    pthread_t *threads;
    int nworkers;
    int idle; /* workers asleep on work_cv */
    bool quit;

    /* The current batch. */
    struct script_check_job *jobs;
    size_t njobs, cap;
    size_t next; /* first job not handed out */
    int holders; /* threads running a slice */
    bool failed; /* a job failed, or checkqueue_add ran out of memory */
    size_t failed_index;
    enum script_error failed_err;
    atomic_bool abort; /* mirrors failed, read without the lock */
};

bool script_check_job_run(const struct script_check_job *job, enum script_error *err)
{
    const struct tx_in *in = &job->tx->vin[job->in_index];
    const struct script_checker checker = {
        .tx = job->tx,
        .in_index = job->in_index,
        .amount = job->spent->value,
        .pre = job->pre,
    };
    return script_verify_cached(in->script_sig, in->script_sig_len, job->spent->script_pubkey,
                                job->spent->script_pubkey_len, in->witness, in->witness_count,
                                job->flags, &checker, job->cache, err);
}

int checkqueue_resolve_par(int par, int ncores)
{
    if (ncores < 1) ncores = 1;
    int n = par;
    if (n <= 0) n += ncores;
    if (n < 1) n = 1;
    if (n > CHECKQUEUE_MAX_THREADS) n = CHECKQUEUE_MAX_THREADS;
    return n;
}

/* Takes the next slice of jobs into buf; the lock is held. Returns how many (0: none). */
static size_t take_slice(struct checkqueue *q, struct script_check_job *buf, size_t *base)
{
    if (q->failed || q->next >= q->njobs) return 0;
    size_t left = q->njobs - q->next;
    size_t n = left / (size_t)(q->nworkers + 2);
    if (n < 1) n = 1;
    if (n > BATCH_MAX) n = BATCH_MAX;
    *base = q->next;
    memcpy(buf, q->jobs + q->next, n * sizeof(*buf));
    q->next += n;
    q->holders++;
    return n;
}

/* Runs a slice without the lock; returns the offset of the failing job or n. */
static size_t run_slice(struct checkqueue *q, const struct script_check_job *buf, size_t n,
                        enum script_error *err)
{
    for (size_t i = 0; i < n; i++) {
        if (atomic_load_explicit(&q->abort, memory_order_relaxed)) return n;
        if (!script_check_job_run(&buf[i], err)) return i;
    }
    return n;
}

/* Records the end of a slice; the lock is held. */
static void finish_slice(struct checkqueue *q, size_t base, size_t off, size_t n,
                         enum script_error err)
{
    q->holders--;
    if (off < n && (!q->failed || base + off < q->failed_index)) {
        q->failed = true;
        q->failed_index = base + off;
        q->failed_err = err;
        atomic_store_explicit(&q->abort, true, memory_order_relaxed);
    }
    if (q->holders == 0 && (q->failed || q->next >= q->njobs)) pthread_cond_signal(&q->done_cv);
}

static void *worker_main(void *arg)
{
    struct checkqueue *q = arg;
    struct script_check_job buf[BATCH_MAX];
    pthread_mutex_lock(&q->lock);
    for (;;) {
        size_t base = 0, n = 0;
        while (!q->quit && (n = take_slice(q, buf, &base)) == 0) {
            q->idle++;
            pthread_cond_wait(&q->work_cv, &q->lock);
            q->idle--;
        }
        if (n == 0) break; /* quit */
        pthread_mutex_unlock(&q->lock);
        enum script_error err = SCRIPT_ERR_OK;
        size_t off = run_slice(q, buf, n, &err);
        pthread_mutex_lock(&q->lock);
        finish_slice(q, base, off, n, err);
    }
    pthread_mutex_unlock(&q->lock);
    return NULL;
}

static void stop_workers(struct checkqueue *q, int started)
{
    pthread_mutex_lock(&q->lock);
    q->quit = true;
    pthread_cond_broadcast(&q->work_cv);
    pthread_mutex_unlock(&q->lock);
    for (int i = 0; i < started; i++) pthread_join(q->threads[i], NULL);
}

struct checkqueue *checkqueue_new(int par)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int total = checkqueue_resolve_par(par, cores > 0 && cores < 1024 ? (int)cores : 1);
    struct checkqueue *q = calloc(1, sizeof(*q));
    if (!q) return NULL;
    q->nworkers = total - 1;
    atomic_init(&q->abort, false);
    if (q->nworkers > 0) {
        q->threads = calloc((size_t)q->nworkers, sizeof(*q->threads));
        if (!q->threads) {
            free(q);
            return NULL;
        }
    }
    if (pthread_mutex_init(&q->lock, NULL) != 0) goto fail_lock;
    if (pthread_cond_init(&q->work_cv, NULL) != 0) goto fail_work;
    if (pthread_cond_init(&q->done_cv, NULL) != 0) goto fail_done;
    for (int i = 0; i < q->nworkers; i++) {
        if (pthread_create(&q->threads[i], NULL, worker_main, q) != 0) {
            stop_workers(q, i);
            goto fail_threads;
        }
    }
    return q;

fail_threads:
    pthread_cond_destroy(&q->done_cv);
fail_done:
    pthread_cond_destroy(&q->work_cv);
fail_work:
    pthread_mutex_destroy(&q->lock);
fail_lock:
    free(q->threads);
    free(q);
    return NULL;
}

void checkqueue_free(struct checkqueue *q)
{
    if (!q) return;
    stop_workers(q, q->nworkers);
    pthread_cond_destroy(&q->done_cv);
    pthread_cond_destroy(&q->work_cv);
    pthread_mutex_destroy(&q->lock);
    free(q->threads);
    free(q->jobs);
    free(q);
}

int checkqueue_threads(const struct checkqueue *q) { return q->nworkers + 1; }

void checkqueue_begin(struct checkqueue *q)
{
    pthread_mutex_lock(&q->lock);
    q->njobs = 0;
    q->next = 0;
    q->failed = false;
    q->failed_index = CHECKQUEUE_NO_INDEX;
    q->failed_err = SCRIPT_ERR_OK;
    atomic_store_explicit(&q->abort, false, memory_order_relaxed);
    pthread_mutex_unlock(&q->lock);
}

bool checkqueue_add(struct checkqueue *q, const struct script_check_job *jobs, size_t n)
{
    if (n == 0) return true;
    bool ok = true;
    pthread_mutex_lock(&q->lock);
    if (q->failed) goto out; /* nothing more will run in this batch */
    if (n > q->cap - q->njobs) {
        size_t cap = q->cap ? q->cap : 256;
        while (cap - q->njobs < n && cap <= SIZE_MAX / 2 / sizeof(*q->jobs)) cap *= 2;
        struct script_check_job *grown =
            cap - q->njobs >= n ? realloc(q->jobs, cap * sizeof(*q->jobs)) : NULL;
        if (!grown) {
            q->failed = true;
            q->failed_index = CHECKQUEUE_NO_INDEX;
            q->failed_err = SCRIPT_ERR_UNKNOWN_ERROR;
            atomic_store_explicit(&q->abort, true, memory_order_relaxed);
            ok = false;
            goto out;
        }
        q->jobs = grown;
        q->cap = cap;
    }
    memcpy(q->jobs + q->njobs, jobs, n * sizeof(*jobs));
    q->njobs += n;
    if (q->idle > 0) {
        if (n > 1 && q->idle > 1)
            pthread_cond_broadcast(&q->work_cv);
        else
            pthread_cond_signal(&q->work_cv);
    }
out:
    pthread_mutex_unlock(&q->lock);
    return ok;
}

bool checkqueue_wait(struct checkqueue *q, size_t *failed_index, enum script_error *err)
{
    struct script_check_job buf[BATCH_MAX];
    pthread_mutex_lock(&q->lock);
    for (;;) {
        size_t base = 0;
        size_t n = take_slice(q, buf, &base);
        if (n == 0) break;
        pthread_mutex_unlock(&q->lock);
        enum script_error e = SCRIPT_ERR_OK;
        size_t off = run_slice(q, buf, n, &e);
        pthread_mutex_lock(&q->lock);
        finish_slice(q, base, off, n, e);
    }
    while (q->holders > 0) pthread_cond_wait(&q->done_cv, &q->lock);
    bool ok = !q->failed;
    if (failed_index) *failed_index = ok ? CHECKQUEUE_NO_INDEX : q->failed_index;
    if (err) *err = ok ? SCRIPT_ERR_OK : q->failed_err;
    /* End the batch: nothing is left for the workers to take. */
    q->njobs = 0;
    q->next = 0;
    q->failed = false;
    atomic_store_explicit(&q->abort, false, memory_order_relaxed);
    pthread_mutex_unlock(&q->lock);
    return ok;
}
