/* cg-kernel.c: choosing a data-plane backend. */
#include "kernel/cg-kernel.h"

#include <string.h>

#include "log/cg-log.h"

G_DEFINE_QUARK(cg - kernel - error - quark, cg_kernel_error)

static CgKernel *
new_auto(const CgKernelListener *listener, GError **error)
{
    const char *why = NULL;
    if (cg_kernel_xfrm_esp_available(&why)) {
        cg_info(NULL, "data plane: 'auto' chose xfrm (%s)", why);
        return cg_kernel_xfrm_new(listener, error);
    }
    cg_info(NULL, "data plane: 'auto' chose uesp, ESP in user space (%s)", why);
    return cg_kernel_uesp_new(listener, error);
}

CgKernel *
cg_kernel_new(const char *backend, const CgKernelListener *listener, GError **error)
{
    CgKernel *k = NULL;
    if (!backend || g_strcmp0(backend, "log") == 0)
        return cg_kernel_log_new(listener);
    if (g_strcmp0(backend, "auto") == 0)
        return new_auto(listener, error);
    if (g_strcmp0(backend, "xfrm") == 0)
        k = cg_kernel_xfrm_new(listener, error);
    else if (g_strcmp0(backend, "uesp") == 0)
        k = cg_kernel_uesp_new(listener, error);
    else {
        g_set_error(error, CG_KERNEL_ERROR, CG_KERNEL_ERROR_UNSUPPORTED,
                    "data-plane backend '%s' is not available (known: auto, xfrm, uesp, log)",
                    backend);
        return NULL;
    }
    if (k)
        cg_info(NULL, "data plane: %s (as configured)", backend);
    return k;
}

void
cg_kernel_free(CgKernel *k)
{
    if (k && k->ops->free)
        k->ops->free(k);
}

const char *
cg_kernel_name(CgKernel *k)
{
    return k->ops->name;
}

void
cg_kernel_get_stats(CgKernel *k, CgKernelStats *out)
{
    memset(out, 0, sizeof(*out));
    if (k && k->ops->get_stats)
        k->ops->get_stats(k, out);
}
