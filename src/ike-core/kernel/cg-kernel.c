/* cg-kernel.c: choosing a data-plane backend. */
#include "kernel/cg-kernel.h"

#include "log/cg-log.h"

G_DEFINE_QUARK(cg-kernel-error-quark, cg_kernel_error)

CgKernel *cg_kernel_new(const char *backend, const CgKernelListener *listener, GError **error)
{
    if (!backend || g_strcmp0(backend, "log") == 0)
        return cg_kernel_log_new(listener);
    if (g_strcmp0(backend, "auto") == 0) {
        /* the xfrm and uesp backends arrive with the data-plane work */
        cg_info(NULL, "data plane: 'auto' chose the log backend (no packet backend built in)");
        return cg_kernel_log_new(listener);
    }
    g_set_error(error, CG_KERNEL_ERROR, CG_KERNEL_ERROR_UNSUPPORTED,
                "data-plane backend '%s' is not available (known: log, auto)", backend);
    return NULL;
}

void cg_kernel_free(CgKernel *k)
{
    if (k && k->ops->free)
        k->ops->free(k);
}

const char *cg_kernel_name(CgKernel *k)
{
    return k->ops->name;
}
