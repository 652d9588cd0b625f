/* cg-ike-auth-cp.h: the configuration payload of IKE_AUTH (RFC 7296
 * 2.19, 3.15), for sa/cg-ike-auth.c. */
#pragma once

#include "sa/cg-sa-private.h"

G_BEGIN_DECLS

/* Initiator: CP(CFG_REQUEST) for the virtual IPs and DNS asked for. */
void cg_cp_add_request(CgIkeSa *ike, CgChainBuilder *cb);
/* Responder: hands out addresses from the connection's pools. Returns
 * FALSE (INTERNAL_ADDRESS_FAILURE) when an address was asked for and
 * none could be given. */
gboolean cg_cp_build_reply(CgIkeSa *ike, const CgCpPayload *req, CgChainBuilder *cb);
/* Initiator: takes in a CP(CFG_REPLY): virtual IPs, DNS, split subnets. */
void cg_cp_process_reply(CgIkeSa *ike, const CgMessage *msg);

G_END_DECLS
