/* cg-kernel-log.c: a data plane that only records. It hands out unique
 * SPIs, remembers installed SAs and policies, and logs each change, so
 * the engine can be run and tested without kernel IPsec. */
#include "kernel/cg-kernel.h"

#include "log/cg-log.h"

typedef struct {
    CgKernel base;
    GHashTable *spis;    /* guint32 spi -> TRUE (allocated or installed) */
    GHashTable *sas;     /* guint32 spi -> CgKernelSaStats* */
    GHashTable *policies;/* guint32 reqid -> TRUE */
} CgKernelLog;

static gboolean log_get_spi(CgKernel *k, GInetAddress *src, GInetAddress *dst, guint32 reqid,
                            guint32 *spi_out, GError **error)
{
    CgKernelLog *kl = (CgKernelLog *)k;
    guint32 spi;
    /* RFC 4303 2.1: SPIs 1-255 are reserved */
    do
        spi = g_random_int();
    while (spi < 256 || g_hash_table_contains(kl->spis, GUINT_TO_POINTER(spi)));
    g_hash_table_add(kl->spis, GUINT_TO_POINTER(spi));
    *spi_out = spi;
    return TRUE;
}

static gboolean log_add_sa(CgKernel *k, const CgKernelSa *sa, GError **error)
{
    CgKernelLog *kl = (CgKernelLog *)k;
    g_autofree char *src = g_inet_address_to_string(sa->src);
    g_autofree char *dst = g_inet_address_to_string(sa->dst);
    g_hash_table_add(kl->spis, GUINT_TO_POINTER(sa->spi));
    g_hash_table_replace(kl->sas, GUINT_TO_POINTER(sa->spi), g_new0(CgKernelSaStats, 1));
    cg_debug(sa->conn_name, "kernel(log): add %s SA %08x %s -> %s%s, reqid %u",
             sa->inbound ? "inbound" : "outbound", sa->spi, src, dst,
             sa->encap_dst_port ? " (UDP encapsulated)" : "", sa->reqid);
    return TRUE;
}

static gboolean log_update_sa(CgKernel *k, guint32 spi, gboolean inbound, GInetAddress *new_src,
                              GInetAddress *new_dst, guint16 sport, guint16 dport, GError **error)
{
    cg_debug(NULL, "kernel(log): update SA %08x", spi);
    return TRUE;
}

static gboolean log_del_sa(CgKernel *k, guint32 spi, gboolean inbound, GError **error)
{
    CgKernelLog *kl = (CgKernelLog *)k;
    g_hash_table_remove(kl->sas, GUINT_TO_POINTER(spi));
    g_hash_table_remove(kl->spis, GUINT_TO_POINTER(spi));
    cg_debug(NULL, "kernel(log): delete %s SA %08x", inbound ? "inbound" : "outbound", spi);
    return TRUE;
}

static gboolean log_query_sa(CgKernel *k, guint32 spi, gboolean inbound, CgKernelSaStats *out,
                             GError **error)
{
    CgKernelLog *kl = (CgKernelLog *)k;
    CgKernelSaStats *st = g_hash_table_lookup(kl->sas, GUINT_TO_POINTER(spi));
    if (!st) {
        g_set_error(error, CG_KERNEL_ERROR, CG_KERNEL_ERROR_FAILED, "no SA %08x", spi);
        return FALSE;
    }
    *out = *st;
    return TRUE;
}

static gboolean log_add_policies(CgKernel *k, guint32 reqid, const CgKernelSa *out_sa,
                                 GError **error)
{
    CgKernelLog *kl = (CgKernelLog *)k;
    g_hash_table_add(kl->policies, GUINT_TO_POINTER(reqid));
    cg_debug(out_sa->conn_name, "kernel(log): add policies for reqid %u (%u x %u selectors)",
             reqid, out_sa->n_local_ts, out_sa->n_remote_ts);
    return TRUE;
}

static gboolean log_del_policies(CgKernel *k, guint32 reqid, GError **error)
{
    CgKernelLog *kl = (CgKernelLog *)k;
    g_hash_table_remove(kl->policies, GUINT_TO_POINTER(reqid));
    cg_debug(NULL, "kernel(log): delete policies for reqid %u", reqid);
    return TRUE;
}

static gboolean log_add_vip(CgKernel *k, GInetAddress *addr, guint prefix, GError **error)
{
    g_autofree char *a = g_inet_address_to_string(addr);
    cg_debug(NULL, "kernel(log): add virtual IP %s/%u", a, prefix);
    return TRUE;
}

static gboolean log_del_vip(CgKernel *k, GInetAddress *addr, guint prefix, GError **error)
{
    g_autofree char *a = g_inet_address_to_string(addr);
    cg_debug(NULL, "kernel(log): delete virtual IP %s/%u", a, prefix);
    return TRUE;
}

static void log_free(CgKernel *k)
{
    CgKernelLog *kl = (CgKernelLog *)k;
    g_hash_table_unref(kl->spis);
    g_hash_table_unref(kl->sas);
    g_hash_table_unref(kl->policies);
    g_free(kl);
}

static const CgKernelOps log_ops = {
    .name = "log",
    .get_spi = log_get_spi,
    .add_sa = log_add_sa,
    .update_sa = log_update_sa,
    .del_sa = log_del_sa,
    .query_sa = log_query_sa,
    .add_policies = log_add_policies,
    .del_policies = log_del_policies,
    .add_vip = log_add_vip,
    .del_vip = log_del_vip,
    .free = log_free,
};

CgKernel *cg_kernel_log_new(const CgKernelListener *listener)
{
    CgKernelLog *kl = g_new0(CgKernelLog, 1);
    kl->base.ops = &log_ops;
    if (listener)
        kl->base.listener = *listener;
    kl->spis = g_hash_table_new(g_direct_hash, g_direct_equal);
    kl->sas = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    kl->policies = g_hash_table_new(g_direct_hash, g_direct_equal);
    return &kl->base;
}
