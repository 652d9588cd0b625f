/* cg-esp.h: the ESP packet codec (RFC 4303) on top of CgCipher.
 *
 * One CgEspXform is one direction of one SA with its own cipher context;
 * it is used by one thread at a time (the caller's lock). Packets are
 * sealed and opened in place, starting at the SPI; what carries them (UDP
 * encapsulation, raw IP) is the caller's business.
 *
 *   SPI(4) | Sequence(4) | IV | Payload | Padding | PadLen(1) | NextHdr(1) | ICV
 *
 * Supported: AES-GCM-16 (RFC 4106), ChaCha20-Poly1305 (RFC 7634), AES-CBC
 * (RFC 3602) with HMAC-SHA1-96 (RFC 2404) or HMAC-SHA2 (RFC 4868), each
 * with or without extended sequence numbers (RFC 4303 2.2.1). */
#pragma once

#include <glib.h>

#include "crypto/cg-crypto.h"

G_BEGIN_DECLS

#define CG_ESP_HDR_LEN 8 /* SPI + sequence number */
/* IP protocol numbers carried in Next Header (IANA) */
#define CG_ESP_NH_IPV4  4
#define CG_ESP_NH_IPV6  41
#define CG_ESP_NH_DUMMY 59 /* RFC 4303 2.6: dummy packet, discard */

typedef struct {
    CgCipher *cipher;
    guint32 spi;
    gboolean esn;
    gboolean aead;
    guint16 encr_id;
    guint16 integ_id;
    gsize iv_len;
    gsize icv_len;
    gsize align; /* ciphertext multiple: cipher block, at least 4 (RFC 4303 2.4) */
    /* CBC with ESN only: CgCipher's ICV covers aad | iv | ciphertext, but
     * RFC 4303 2.2.1 appends the high sequence bits after the ciphertext,
     * so that ICV is computed here with cg_prf over the integrity key. */
    guint16 esn_hmac_prf;
    guint8 *integ_key;
    gsize integ_key_len;
} CgEspXform;

typedef enum {
    CG_ESP_OK = 0,
    CG_ESP_MALFORMED,   /* lengths do not add up */
    CG_ESP_AUTH_FAILED, /* ICV mismatch */
    CG_ESP_BAD_PADDING, /* authenticated, but padding bytes or length wrong */
} CgEspStatus;

gboolean cg_esp_xform_init(CgEspXform *x, guint32 spi, guint16 encr_id, guint16 encr_key_bits,
                           guint16 integ_id, const guint8 *encr_key, gsize encr_key_len,
                           const guint8 *integ_key, gsize integ_key_len, gboolean esn,
                           GError **error);
/* Frees the cipher and wipes the key copy. */
void cg_esp_xform_clear(CgEspXform *x);

/* Bytes in front of the payload: header and IV. */
static inline gsize
cg_esp_payload_offset(const CgEspXform *x)
{
    return CG_ESP_HDR_LEN + x->iv_len;
}
/* The most bytes sealing adds behind the payload: padding, the two
 * trailer bytes and the ICV. */
static inline gsize
cg_esp_trailer_max(const CgEspXform *x)
{
    return x->align - 1 + 2 + x->icv_len;
}
/* Exact length of the ESP packet for a payload of payload_len bytes. */
gsize cg_esp_packet_len(const CgEspXform *x, gsize payload_len);
/* The largest payload whose ESP packet fits into room bytes (0 if none). */
gsize cg_esp_max_payload(const CgEspXform *x, gsize room);

/* Seals in place. pkt has cg_esp_payload_offset() bytes of room, then the
 * payload (payload_len bytes), then at least cg_esp_trailer_max() bytes.
 * iv: NULL picks one (AEAD: the sequence number, unique per key as RFC
 * 4106 3.1 requires; CBC: random, RFC 3602 2.3); tests pass their own.
 * Returns the packet length, 0 on a crypto failure. */
gsize cg_esp_seal(CgEspXform *x, guint64 seq, guint8 next_header, guint8 *pkt, gsize payload_len,
                  const guint8 *iv);

/* Opens in place a packet of len bytes whose full sequence number (from
 * the replay window) is seq. On CG_ESP_OK the inner packet is at
 * pkt + *payload_off, *payload_len bytes long. */
CgEspStatus cg_esp_open(CgEspXform *x, guint64 seq, guint8 *pkt, gsize len, gsize *payload_off,
                        gsize *payload_len, guint8 *next_header);

/* Header fields, no checks beyond len >= CG_ESP_HDR_LEN (caller's). */
static inline guint32
cg_esp_spi(const guint8 *pkt)
{
    return (guint32)pkt[0] << 24 | (guint32)pkt[1] << 16 | (guint32)pkt[2] << 8 | pkt[3];
}
static inline guint32
cg_esp_seq_lo(const guint8 *pkt)
{
    return (guint32)pkt[4] << 24 | (guint32)pkt[5] << 16 | (guint32)pkt[6] << 8 | pkt[7];
}

const char *cg_esp_status_to_string(CgEspStatus status);

G_END_DECLS
