/* test-codec-samples.h: valid encodings built with the codec's own
 * writers, shared by the codec unit tests. */
#pragma once

#include "codec/cg-codec.h"

G_BEGIN_DECLS

/* An IKE_SA_INIT request: SA (2 proposals with Key Length), KE, Ni,
 * N(NAT_DETECTION_SOURCE_IP), N(NAT_DETECTION_DESTINATION_IP). */
GByteArray *sample_ike_sa_init(void);
/* The SA that sample_ike_sa_init() carries. */
void sample_ike_sa(CgSaPayload *sa);
/* A plaintext chain like the inside of an IKE_AUTH SK payload, with one
 * payload of every other type; *first gets the first payload type. */
GByteArray *sample_auth_plaintext(guint8 *first);
/* An IKE_AUTH request whose SK payload holds sample_auth_plaintext() as
 * if it were ciphertext (an 8-byte "IV" in front, 16-byte "ICV" after). */
GByteArray *sample_ike_auth(void);

G_END_DECLS
