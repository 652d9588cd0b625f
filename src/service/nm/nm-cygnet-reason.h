/* nm-cygnet-reason.h: engine reasons in NetworkManager's terms. */
#pragma once

#include <NetworkManager.h>

#include "engine/cg-engine.h"

G_BEGIN_DECLS

/* The failure NetworkManager is told when an IKE_SA fails for reason.
 * nmcli shows LOGIN_FAILED as "Invalid secrets" and BAD_IP_CONFIG as "The
 * VPN service returned invalid configuration"; CONNECT_FAILED has no text
 * of its own in NetworkManager 1.42 ("Unknown reason"), so the service
 * also logs cg_reason_describe() for the journal. */
NMVpnPluginFailure nm_cygnet_failure_for_reason(CgReason reason);

G_END_DECLS
