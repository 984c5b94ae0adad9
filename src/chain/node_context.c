/* See node_context.h. */
#include "chain/node_context.h"

#include <string.h>

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
