/* See node_context.h. */
#include "chain/node_context.h"

#include <string.h>

#include "chain/validation.h"

/* Core's DEFAULT_MAX_TIP_AGE. */
#define MAX_TIP_AGE (24 * 60 * 60)

bool node_context_init(struct node_context *n)
{
    if (pthread_mutex_init(&n->lock, NULL) != 0) return false;
    if (pthread_cond_init(&n->tip_changed, NULL) != 0) {
        pthread_mutex_destroy(&n->lock);
        return false;
    }
    return true;
}

void node_context_destroy(struct node_context *n)
{
    if (!n) return;
    pthread_cond_destroy(&n->tip_changed);
    pthread_mutex_destroy(&n->lock);
}

bool node_is_initial_block_download(struct node_context *n)
{
    if (n->ibd_done) return false;
    if (n->importing || !n->chainstate) return true;
    const struct block_index *tip = chainstate_tip(n->chainstate);
    if (!tip) return true;
    int64_t now = n->now ? n->now() : 0;
    if ((int64_t)tip->time < now - MAX_TIP_AGE) return true;
    n->ibd_done = true;
    return false;
}
