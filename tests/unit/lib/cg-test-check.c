/* cg-test-check.c: see cg-test-check.h. */
#include "cg-test-check.h"

#include <stdio.h>
#include <string.h>

#include "config/cg-config.h"
#include "crypto/cg-crypto.h"
#include "log/cg-log.h"

static guint failed_checks;

void
cg_test_check(gboolean ok, const char *what, const char *detail)
{
    printf("%s: %s%s%s\n", ok ? "PASS" : "FAIL", what, detail ? ": " : "", detail ? detail : "");
    if (!ok)
        failed_checks++;
}

guint
cg_test_check_failures(void)
{
    return failed_checks;
}

int
cg_test_check_result(void)
{
    printf("%s\n", failed_checks ? "RESULT: FAIL" : "RESULT: PASS");
    return failed_checks ? 1 : 0;
}

char *
cg_test_run_command(const char *command_line)
{
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    int wait_status = 0;
    g_autoptr(GError) error = NULL;
    if (!g_spawn_command_line_sync(command_line, &out, &err, &wait_status, &error))
        return g_strdup(error->message);
    return g_strconcat(out ? out : "", err ? err : "", NULL);
}

guint
cg_test_count_substrings(const char *haystack, const char *needle)
{
    guint found = 0;
    for (const char *p = haystack; (p = strstr(p, needle)); p++)
        found++;
    return found;
}

CgTrafficSelector
cg_test_ts_range(const char *from, const char *to)
{
    g_autoptr(GInetAddress) start = g_inet_address_new_from_string(from);
    g_autoptr(GInetAddress) end = g_inet_address_new_from_string(to);
    g_assert_nonnull(start);
    g_assert_nonnull(end);
    gboolean v6 = g_inet_address_get_family(start) == G_SOCKET_FAMILY_IPV6;
    gsize address_len = v6 ? 16 : 4;
    CgTrafficSelector ts = {
        .ts_type = v6 ? CG_TS_IPV6_ADDR_RANGE : CG_TS_IPV4_ADDR_RANGE,
        .end_port = 0xffff,
    };
    memcpy(ts.start_addr, g_inet_address_to_bytes(start), address_len);
    memcpy(ts.end_addr, g_inet_address_to_bytes(end), address_len);
    return ts;
}

CgKernelSa
cg_test_gcm_tunnel_sa(guint32 spi, GInetAddress *src, GInetAddress *dst, guint32 reqid,
                      const CgTrafficSelector *local_ts, guint n_local_ts,
                      const CgTrafficSelector *remote_ts, guint n_remote_ts)
{
    static const guint8 key_and_salt[36] = { 7 };
    return (CgKernelSa){
        .spi = spi,
        .src = src,
        .dst = dst,
        .mode = CG_MODE_TUNNEL,
        .encr_id = CG_ENCR_AES_GCM_16,
        .encr_key_bits = 256,
        .encr_key = key_and_salt,
        .encr_key_len = sizeof(key_and_salt),
        .reqid = reqid,
        .n_local_ts = n_local_ts,
        .n_remote_ts = n_remote_ts,
        .local_ts = local_ts,
        .remote_ts = remote_ts,
    };
}

CgKernel *
cg_test_check_open_xfrm(const char *what, gboolean *esp_available, const char **esp_why)
{
    g_autoptr(GError) error = NULL;
    cg_log_set_level(CG_LOG_WARNING);
    if (!cg_crypto_init(NULL, &error)) {
        cg_test_check(FALSE, "crypto", error->message);
        return NULL;
    }
    *esp_why = NULL;
    *esp_available = cg_kernel_xfrm_esp_available(esp_why);
    printf("INFO: kernel ESP %s (%s)\n", *esp_available ? "available" : "NOT available", *esp_why);
    CgKernel *kernel = cg_kernel_xfrm_new(NULL, &error);
    cg_test_check(kernel != NULL, what, error ? error->message : NULL);
    return kernel;
}
