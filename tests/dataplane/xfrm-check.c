/* xfrm-check.c: drives the xfrm backend against the running kernel and
 * checks the result with `ip xfrm` (run by test-xfrm.sh inside a fresh
 * network namespace). What the kernel cannot do (ESP SAs on a kernel
 * without ESP) is reported as SKIPPED with the kernel's own reason,
 * never as passed.
 *
 * Output: one line per check, "PASS: ...", "FAIL: ..." or "SKIPPED: ...";
 * exit status 1 if any check failed. */
#include <stdio.h>
#include <string.h>

#include "config/cg-config.h"
#include "kernel/cg-kernel.h"
#include "kernel/cg-xfrm-private.h"
#include "cg-test-check.h"

int
main(int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    /* the ESP probe says what "auto" would choose here, and why */
    gboolean esp = FALSE;
    const char *why = NULL;
    CgKernel *k = cg_test_check_open_xfrm(
        "xfrm backend opens netlink and subscribes to XFRM events", &esp, &why);
    if (!k)
        return 1;

    g_autoptr(GInetAddress) us = g_inet_address_new_from_string("10.60.0.1");
    g_autoptr(GInetAddress) peer = g_inet_address_new_from_string("10.60.0.2");
    g_autoptr(GInetAddress) peer2 = g_inet_address_new_from_string("10.60.0.3");

    /* 1. SPI allocation: a larval SA the kernel holds for us */
    guint32 spi_in = 0;
    g_clear_error(&error);
    gboolean ok = k->ops->get_spi(k, peer, us, 7, &spi_in, &error);
    cg_test_check(ok && spi_in >= 0x100, "XFRM_MSG_ALLOCSPI gives an SPI",
                  error ? error->message : NULL);
    g_autofree char *states = cg_test_run_command("ip xfrm state list");
    g_autofree char *want_spi = g_strdup_printf("spi 0x%08x", spi_in);
    cg_test_check(strstr(states, want_spi) != NULL, "the allocated SPI is in the kernel's SA table",
                  want_spi);

    /* 2. policies: out, in and fwd for local x remote selectors */
    CgTrafficSelector local[] = { cg_test_ts_range("10.61.0.0", "10.61.0.255") };
    CgTrafficSelector remote[] = { cg_test_ts_range("10.62.0.1", "10.62.0.6") }; /* 4 prefixes */
    CgKernelSa out_sa
        = cg_test_gcm_tunnel_sa(0x4000 + (spi_in & 0xfff), us, peer, 7, local, 1, remote, 1);
    out_sa.conn_name = "xfrm-check";
    g_clear_error(&error);
    ok = k->ops->add_policies(k, 7, &out_sa, &error);
    cg_test_check(ok, "policies installed", error ? error->message : NULL);
    g_autofree char *policies = cg_test_run_command("ip xfrm policy list");
    guint n_tmpl = cg_test_count_substrings(policies, "reqid 7 mode tunnel");
    g_autofree char *n_text = g_strdup_printf("%u templates with reqid 7 (want 12: 4 prefixes x "
                                              "out/in/fwd)",
                                              n_tmpl);
    cg_test_check(n_tmpl == 12, "one policy per prefix pair and direction", n_text);
    cg_test_check(strstr(policies, "src 10.61.0.0/24 dst 10.62.0.2/31") != NULL
                      && strstr(policies, "dir out") != NULL && strstr(policies, "dir fwd") != NULL,
                  "selectors and directions as expected", NULL);

    /* 3. a rekey (new reqid, same selectors) replaces the policies in
     * place; deleting the old reqid then leaves the new ones alone */
    out_sa.reqid = 8;
    g_clear_error(&error);
    ok = k->ops->add_policies(k, 8, &out_sa, &error) && k->ops->del_policies(k, 7, &error);
    g_free(policies);
    policies = cg_test_run_command("ip xfrm policy list");
    cg_test_check(ok && strstr(policies, "reqid 8 mode tunnel")
                      && !strstr(policies, "reqid 7 mode tunnel"),
                  "make before break: the rekeyed reqid's policies survive the old one's deletion",
                  error ? error->message : NULL);

    /* 4. migrate (MOBIKE): the out policies' template moves to the new
     * peer address */
    CgXfrmPolicy *p = NULL;
    g_autoptr(CgNl) nl = cg_nl_open(NETLINK_XFRM, NULL);
    g_autoptr(GArray) sels = g_array_new(FALSE, FALSE, sizeof(CgXfrmPolicy));
    cg_xfrm_selectors(local, 1, remote, 1, XFRM_POLICY_OUT, sels);
    p = &g_array_index(sels, CgXfrmPolicy, 0);
    cg_xfrm_addr_from_inet(us, &p->tmpl_src);
    cg_xfrm_addr_from_inet(peer, &p->tmpl_dst);
    p->reqid = 8;
    CgXfrmAddr new_src, new_dst;
    cg_xfrm_addr_from_inet(us, &new_src);
    cg_xfrm_addr_from_inet(peer2, &new_dst);
    g_clear_error(&error);
    ok = nl && cg_xfrm_msg_migrate(nl, p, &new_src, &new_dst, 4500, 4500, &error);
    g_free(policies);
    policies = cg_test_run_command("ip xfrm policy list");
    cg_test_check(ok && strstr(policies, "tmpl src 10.60.0.1 dst 10.60.0.3") != NULL,
                  "XFRM_MSG_MIGRATE moves a policy to a new peer address",
                  error ? error->message : NULL);

    /* 5. ESP SAs: only where the kernel has ESP */
    CgKernelSa in_sa = out_sa;
    in_sa.spi = spi_in;
    in_sa.inbound = TRUE;
    in_sa.src = peer;
    in_sa.dst = us;
    in_sa.replay_window = 128;
    in_sa.esn = TRUE;
    g_clear_error(&error);
    ok = k->ops->add_sa(k, &in_sa, &error);
    if (!ok && g_error_matches(error, CG_KERNEL_ERROR, CG_KERNEL_ERROR_UNSUPPORTED)) {
        printf("SKIPPED: *** ESP SA installation could NOT be checked on this kernel: %s ***\n",
               error->message);
        cg_test_check(!esp, "the probe agrees that this kernel has no ESP", why);
    } else {
        cg_test_check(ok, "inbound ESP SA installed (UPDSA of the allocated SPI)",
                      error ? error->message : NULL);
        g_clear_error(&error);
        gboolean out_ok = k->ops->add_sa(k, &out_sa, &error);
        cg_test_check(out_ok, "outbound ESP SA installed", error ? error->message : NULL);
        CgKernelSaStats st;
        g_clear_error(&error);
        cg_test_check(k->ops->query_sa(k, spi_in, TRUE, &st, &error), "SA counters readable",
                      error ? error->message : NULL);
        g_clear_error(&error);
        cg_test_check(k->ops->del_sa(k, spi_in, TRUE, &error)
                          && (!out_ok || k->ops->del_sa(k, out_sa.spi, FALSE, &error)),
                      "SAs deleted", error ? error->message : NULL);
    }

    /* 6. cleanup through the backend */
    g_clear_error(&error);
    cg_test_check(k->ops->del_policies(k, 8, &error), "policies deleted",
                  error ? error->message : NULL);
    cg_kernel_free(k);
    g_free(policies);
    policies = cg_test_run_command("ip xfrm policy list");
    cg_test_check(strstr(policies, "reqid 8") == NULL, "no policy left behind", NULL);
    return cg_test_check_result();
}
