/* cygnet-policy-log.h: every decision, with its reason, goes to stderr,
 * to syslog (the journal) and to STATE_DIR/decisions.log. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Opens STATE_DIR/decisions.log (kept below 256 KiB: the previous one is
 * decisions.log.1) and syslog. Without a state dir: stderr and syslog. */
void policy_log_open(const char *state_dir);
void policy_log(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void policy_log_close(void);

G_END_DECLS
