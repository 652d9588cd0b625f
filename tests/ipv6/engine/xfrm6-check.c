/* xfrm6-check.c: the xfrm backend with IPv6, against the running kernel,
 * checked with `ip xfrm` (run by test-ipv6-xfrm.sh inside a fresh network
 * namespace): SPI allocation towards an IPv6 peer, policies with IPv6
 * selectors (6-in-6), IPv4 selectors over IPv6 (4-in-6), IPv6 selectors
 * over IPv4 (6-in-4), dual-stack selectors in one CHILD_SA (only pairs of
 * one family become policies), their removal, an IPv6 virtual IP, and
 * ESP SAs where the kernel has ESP. What the kernel cannot do is reported
 * as SKIPPED with the kernel's own reason, never as passed.
 *
 * Output: one line per check, "PASS: ...", "FAIL: ..." or "SKIPPED: ...";
 * exit status 1 if any check failed. */
#include <stdio.h>
#include <string.h>

#include "config/cg-config.h"
#include "kernel/cg-kernel.h"
#include "cg-test-check.h"

/* Installs policies for reqid with the given selectors and outer
 * addresses, checks the number of templates and the given lines, removes
 * them and checks that none is left. */
static void
policy_case(CgKernel *k, const char *name, guint32 reqid, GInetAddress *us, GInetAddress *peer,
            CgTrafficSelector *local, guint n_local, CgTrafficSelector *remote, guint n_remote,
            guint want_templates, const char *const *want_lines)
{
    CgKernelSa sa
        = cg_test_gcm_tunnel_sa(0x5000 + reqid, us, peer, reqid, local, n_local, remote, n_remote);
    sa.conn_name = "xfrm6-check";
    g_autoptr(GError) error = NULL;
    g_autofree char *what = g_strdup_printf("%s: policies installed", name);
    cg_test_check(k->ops->add_policies(k, reqid, &sa, &error), what, error ? error->message : NULL);
    g_autofree char *policies = cg_test_run_command("ip xfrm policy list");
    g_autofree char *tag = g_strdup_printf("reqid %u mode tunnel", reqid);
    guint n = cg_test_count_substrings(policies, tag);
    g_autofree char *n_text
        = g_strdup_printf("%u templates with reqid %u (want %u)", n, reqid, want_templates);
    g_autofree char *what_n = g_strdup_printf("%s: one policy per prefix pair and direction", name);
    cg_test_check(n == want_templates, what_n, n_text);
    for (guint i = 0; want_lines[i]; i++) {
        g_autofree char *what_l = g_strdup_printf("%s: the kernel shows '%s'", name, want_lines[i]);
        cg_test_check(strstr(policies, want_lines[i]) != NULL, what_l, NULL);
    }
    if (cg_test_check_failures())
        printf("INFO: ip xfrm policy list:\n%s\n", policies);
    g_clear_error(&error);
    g_autofree char *what_d = g_strdup_printf("%s: policies deleted", name);
    cg_test_check(k->ops->del_policies(k, reqid, &error), what_d, error ? error->message : NULL);
    g_free(policies);
    policies = cg_test_run_command("ip xfrm policy list");
    g_autofree char *what_g = g_strdup_printf("%s: no policy of reqid %u left", name, reqid);
    cg_test_check(strstr(policies, tag) == NULL, what_g, NULL);
}

int
main(int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    gboolean esp = FALSE;
    const char *why = NULL;
    CgKernel *k = cg_test_check_open_xfrm("xfrm backend opens netlink", &esp, &why);
    if (!k)
        return 1;

    g_autoptr(GInetAddress) us6 = g_inet_address_new_from_string("fd60::1");
    g_autoptr(GInetAddress) peer6 = g_inet_address_new_from_string("fd60::2");
    g_autoptr(GInetAddress) us4 = g_inet_address_new_from_string("10.60.0.1");
    g_autoptr(GInetAddress) peer4 = g_inet_address_new_from_string("10.60.0.2");

    /* 1. an SPI towards an IPv6 peer */
    guint32 spi_in = 0;
    gboolean ok = k->ops->get_spi(k, peer6, us6, 21, &spi_in, &error);
    cg_test_check(ok && spi_in >= 0x100, "XFRM_MSG_ALLOCSPI with IPv6 addresses gives an SPI",
                  error ? error->message : NULL);
    g_autofree char *states = cg_test_run_command("ip xfrm state list");
    g_autofree char *want_spi = g_strdup_printf("spi 0x%08x", spi_in);
    cg_test_check(strstr(states, want_spi) != NULL
                      && strstr(states, "src fd60::2 dst fd60::1") != NULL,
                  "the larval SA has the IPv6 addresses", want_spi);

    /* 2. 6-in-6: a /64 against a range of 6 addresses (4 prefixes) */
    CgTrafficSelector l6[] = { cg_test_ts_range("fd61::", "fd61::ffff:ffff:ffff:ffff") };
    CgTrafficSelector r6[] = { cg_test_ts_range("fd62::1", "fd62::6") };
    const char *const lines66[] = { "src fd61::/64 dst fd62::2/127", "dir out", "dir fwd",
                                    "tmpl src fd60::1 dst fd60::2", NULL };
    policy_case(k, "6-in-6", 22, us6, peer6, l6, 1, r6, 1, 12, lines66);

    /* 3. 4-in-6: IPv4 selectors, IPv6 tunnel endpoints */
    CgTrafficSelector l4[] = { cg_test_ts_range("10.61.0.0", "10.61.0.255") };
    CgTrafficSelector r4[] = { cg_test_ts_range("10.62.0.1", "10.62.0.1") };
    const char *const lines46[]
        = { "src 10.61.0.0/24 dst 10.62.0.1/32", "tmpl src fd60::1 dst fd60::2", NULL };
    policy_case(k, "4-in-6", 23, us6, peer6, l4, 1, r4, 1, 3, lines46);

    /* 4. 6-in-4: IPv6 selectors, IPv4 tunnel endpoints */
    CgTrafficSelector r6b[] = { cg_test_ts_range("fd62::1", "fd62::1") };
    const char *const lines64[]
        = { "src fd61::/64 dst fd62::1/128", "tmpl src 10.60.0.1 dst 10.60.0.2", NULL };
    policy_case(k, "6-in-4", 24, us4, peer4, l6, 1, r6b, 1, 3, lines64);

    /* 5. dual stack in one CHILD_SA: v4 x v4 and v6 x v6, never mixed */
    CgTrafficSelector ld[] = { l4[0], l6[0] };
    CgTrafficSelector rd[] = { r4[0], r6b[0] };
    const char *const linesd[]
        = { "src 10.61.0.0/24 dst 10.62.0.1/32", "src fd61::/64 dst fd62::1/128", NULL };
    policy_case(k, "dual stack", 25, us6, peer6, ld, 2, rd, 2, 6, linesd);

    /* 6. an IPv6 virtual IP (the xfrm backend puts it on lo) */
    g_autoptr(GInetAddress) vip = g_inet_address_new_from_string("fd63::7");
    g_clear_error(&error);
    ok = k->ops->add_vip && k->ops->add_vip(k, vip, 128, &error);
    g_autofree char *addrs = cg_test_run_command("ip -6 addr show dev lo");
    cg_test_check(ok && strstr(addrs, "fd63::7/128") != NULL, "IPv6 virtual IP added",
                  error ? error->message : NULL);
    g_clear_error(&error);
    ok = k->ops->del_vip && k->ops->del_vip(k, vip, 128, &error);
    g_free(addrs);
    addrs = cg_test_run_command("ip -6 addr show dev lo");
    cg_test_check(ok && strstr(addrs, "fd63::7") == NULL, "IPv6 virtual IP removed",
                  error ? error->message : NULL);

    /* 7. an ESP SA between IPv6 addresses: only where the kernel has ESP */
    CgKernelSa in_sa = cg_test_gcm_tunnel_sa(spi_in, peer6, us6, 21, l6, 1, r6, 1);
    in_sa.inbound = TRUE;
    in_sa.replay_window = 128;
    in_sa.conn_name = "xfrm6-check";
    g_clear_error(&error);
    ok = k->ops->add_sa(k, &in_sa, &error);
    if (!ok && g_error_matches(error, CG_KERNEL_ERROR, CG_KERNEL_ERROR_UNSUPPORTED)) {
        printf("SKIPPED: *** an ESP SA between IPv6 addresses could NOT be installed on this "
               "kernel: %s ***\n",
               error->message);
        cg_test_check(!esp, "the probe agrees that this kernel has no ESP", why);
    } else {
        cg_test_check(ok, "inbound ESP SA between IPv6 addresses installed",
                      error ? error->message : NULL);
        g_clear_error(&error);
        cg_test_check(k->ops->del_sa(k, spi_in, TRUE, &error), "IPv6 SA deleted",
                      error ? error->message : NULL);
    }

    cg_kernel_free(k);
    g_autofree char *policies = cg_test_run_command("ip xfrm policy list");
    cg_test_check(strstr(policies, "xfrm6") == NULL && strstr(policies, "reqid 2") == NULL,
                  "no policy left behind", NULL);
    (void)argc;
    (void)argv;
    return cg_test_check_result();
}
