/* cg-test-check.h: what the check programs that shell tests drive inside
 * a network namespace share (tests/dataplane's xfrm-check, tests/ipv6's
 * xfrm6-check): one "PASS: ..." or "FAIL: ..." line per check, a final
 * RESULT line, running a command such as `ip xfrm policy list` to look
 * at what the kernel holds, and opening the xfrm backend. */
#pragma once

#include <glib.h>

#include "kernel/cg-kernel.h"

/* Prints "PASS: what" or "FAIL: what" (with ": detail" unless detail is
 * NULL) and counts the failures. */
void cg_test_check(gboolean ok, const char *what, const char *detail);
/* How many checks failed so far. */
guint cg_test_check_failures(void);
/* Prints "RESULT: PASS" or "RESULT: FAIL"; returns the exit status (1
 * if any check failed). */
int cg_test_check_result(void);

/* The command line's standard output followed by its standard error, or
 * the reason it could not run. */
char *cg_test_run_command(const char *command_line);
/* How many times needle starts in haystack (overlapping ones too). */
guint cg_test_count_substrings(const char *haystack, const char *needle);
/* An address-range selector, all ports, of the family of the addresses. */
CgTrafficSelector cg_test_ts_range(const char *from, const char *to);

/* A tunnel-mode SA with AES-GCM-16, a 256-bit key and salt of no secret
 * value, for reqid and these selectors (borrowed, like src and dst);
 * callers set the rest (inbound, replay window, ESN, conn_name). */
CgKernelSa cg_test_gcm_tunnel_sa(guint32 spi, GInetAddress *src, GInetAddress *dst, guint32 reqid,
                                 const CgTrafficSelector *local_ts, guint n_local_ts,
                                 const CgTrafficSelector *remote_ts, guint n_remote_ts);

/* Lets only warnings and errors log (the output is the check lines),
 * initializes crypto, prints what the kernel's ESP probe says ("INFO:
 * kernel ESP ...") into *esp_available and *esp_why, and opens the xfrm
 * backend, checked as `what`. NULL when crypto or the backend fails (a
 * FAIL line says why): the program should exit with 1. */
CgKernel *cg_test_check_open_xfrm(const char *what, gboolean *esp_available, const char **esp_why);
