/* lg-conns.h: the load generator's connections, one per initiator
 * identity, all alike but for the identity and the inner address. */
#pragma once

#include "engine/cg-engine.h"
#include "lg-options.h"

G_BEGIN_DECLS

/* Loads `n_ids` connections into `engine`; lg_conn_name() names them. */
gboolean lg_conns_load(CgEngine *engine, const LgOptions *opts, guint n_ids, GError **error);
/* The name of connection `index` (0 <= index < n_ids), into `buf`. */
const char *lg_conn_name(guint index, char *buf, gsize buf_len);

G_END_DECLS
