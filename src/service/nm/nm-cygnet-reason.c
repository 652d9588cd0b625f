/* nm-cygnet-reason.c: see nm-cygnet-reason.h. */
#include "config.h"

#include "nm-cygnet-reason.h"

NMVpnPluginFailure
nm_cygnet_failure_for_reason(CgReason reason)
{
    switch (reason) {
        case CG_REASON_AUTH_FAILED:
        case CG_REASON_LOCAL_CREDENTIALS: /* a wrong PIN or passphrase */
            return NM_VPN_PLUGIN_FAILURE_LOGIN_FAILED;
        case CG_REASON_ADDRESS_FAILURE:
        case CG_REASON_TS_UNACCEPTABLE:
            return NM_VPN_PLUGIN_FAILURE_BAD_IP_CONFIG;
        default:
            /* unreachable, no proposal, the gateway's certificate or
             * identity rejected, dead peer: NetworkManager 1.42 has one
             * code for all of them; the log names which */
            return NM_VPN_PLUGIN_FAILURE_CONNECT_FAILED;
    }
}
