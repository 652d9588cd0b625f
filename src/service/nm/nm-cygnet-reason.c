/* nm-cygnet-reason.c: see nm-cygnet-reason.h. */
#include "config.h"

#include "nm-cygnet-reason.h"

NMVpnPluginFailure
nm_cygnet_failure_for_reason(CgReason reason)
{
    switch (reason) {
        case CG_REASON_AUTH_FAILED:
            return NM_VPN_PLUGIN_FAILURE_LOGIN_FAILED;
        case CG_REASON_ADDRESS_FAILURE:
        case CG_REASON_TS_UNACCEPTABLE:
            return NM_VPN_PLUGIN_FAILURE_BAD_IP_CONFIG;
        default:
            /* unreachable, no proposal, certificate rejected, dead peer... */
            return NM_VPN_PLUGIN_FAILURE_CONNECT_FAILED;
    }
}
