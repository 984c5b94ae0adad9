/* placeholder: being written. Contract: */
#ifndef IOP_CONSENSUS_TX_CHECK_H
#define IOP_CONSENSUS_TX_CHECK_H
#include <stdbool.h>
#include "consensus/tx.h"
/* Context-free transaction check (Core's CheckTransaction). On failure *reason is
 * Core's reject string ("bad-txns-vin-empty", ...). */
bool check_transaction(const struct tx *tx, const char **reason);
#endif
