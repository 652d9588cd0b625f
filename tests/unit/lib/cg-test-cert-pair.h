/* cg-test-cert-pair.h: a certificate gateway and a client, two engines on
 * loopback, for the tests that vary only where the client's key comes
 * from (PKCS#12 file, PKCS#11 token, ...). */
#pragma once

#include "engine/cg-engine.h"
#include "cg-test-loop.h"

typedef struct {
    CgEngine *gw;
    CgEngine *rw;
    /* the client's connection, all but its key source: set cert/key,
     * pkcs12 or pkcs11_module + cert_nickname before connecting */
    CgConnConfig *rw_config;
    guint gw_ike_up;
    guint rw_ike_up;
} CgTestCertPair;

/* Engines on 127.0.0.1 with ephemeral ports; the gateway "gw.test"
 * authenticates with DATA_DIR's gw-chain.pem and gw.key, both trust
 * DATA_DIR's ca.pem; the client is "rw@test". */
void cg_test_cert_pair_init(CgTestCertPair *pair, const char *data_dir);
/* Loads the client's connection, initiates, and iterates the main
 * context until both sides have the IKE_SA up or timeout_ms passed. */
void cg_test_cert_pair_connect(CgTestCertPair *pair, guint timeout_ms);
void cg_test_cert_pair_clear(CgTestCertPair *pair);

/* An engine on 127.0.0.1, ephemeral ports, one crypto worker. */
CgEngine *cg_test_loopback_engine(void);
