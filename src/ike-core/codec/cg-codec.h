/* cg-codec.h: the IKEv2 wire format (RFC 7296 section 3).
 *
 * Pure: bytes in, structs out and back, no I/O, no crypto. Every length
 * read from the wire is checked against what is left before it is used.
 * Parsing happens in two steps, like iked's validate/parse: first the
 * message header and the chain of generic payload headers (cg_message_parse),
 * then each payload body on demand (cg_payload_parse_*).
 */
#pragma once

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

#define CG_CODEC_ERROR (cg_codec_error_quark())
GQuark cg_codec_error_quark(void);

typedef enum {
    CG_CODEC_ERROR_TRUNCATED,   /* a length runs past the end of the buffer */
    CG_CODEC_ERROR_MALFORMED,   /* a field holds a value the RFC forbids */
    CG_CODEC_ERROR_CRITICAL,    /* unknown payload with the critical bit set */
    CG_CODEC_ERROR_VERSION,     /* major version is not 2 */
    CG_CODEC_ERROR_TOO_MANY,    /* more items than the codec's bound */
} CgCodecError;

/* ---- small bounds-checked reader and writer -------------------------- */

typedef struct {
    const guint8 *data;
    gsize len;
    gsize pos;
} CgReader;

void cg_reader_init(CgReader *r, const guint8 *data, gsize len);
gsize cg_reader_left(const CgReader *r);
gboolean cg_reader_u8(CgReader *r, guint8 *out);
gboolean cg_reader_u16(CgReader *r, guint16 *out);  /* network byte order */
gboolean cg_reader_u32(CgReader *r, guint32 *out);
gboolean cg_reader_bytes(CgReader *r, gsize n, const guint8 **out); /* no copy */
gboolean cg_reader_skip(CgReader *r, gsize n);

/* Writers append to a GByteArray. */
void cg_put_u8(GByteArray *b, guint8 v);
void cg_put_u16(GByteArray *b, guint16 v);
void cg_put_u32(GByteArray *b, guint32 v);
void cg_put_bytes(GByteArray *b, const guint8 *p, gsize n);
void cg_set_u16(GByteArray *b, gsize off, guint16 v); /* patch a length */
void cg_set_u32(GByteArray *b, gsize off, guint32 v);

/* ---- constants (RFC 7296 3.1-3.16, IANA "IKEv2 Parameters") ----------- */

#define CG_IKE_HEADER_LEN 28
#define CG_IKE_HEADER_NEXT_PAYLOAD_OFFSET 16 /* byte offsets inside the header */
#define CG_IKE_HEADER_LENGTH_OFFSET 24
#define CG_PAYLOAD_HEADER_LEN 4
#define CG_MAX_PAYLOADS 64       /* payloads in one message (bound) */
#define CG_MAX_PROPOSALS 32
#define CG_MAX_TRANSFORMS 64     /* per proposal */
#define CG_MAX_TS 32             /* traffic selectors per TS payload */
#define CG_MAX_CP_ATTRS 64
#define CG_MAX_DELETE_SPIS 256
#define CG_IKE_MAX_MESSAGE 65535

typedef enum {
    CG_EXCH_IKE_SA_INIT = 34,
    CG_EXCH_IKE_AUTH = 35,
    CG_EXCH_CREATE_CHILD_SA = 36,
    CG_EXCH_INFORMATIONAL = 37,
} CgExchangeType;

/* header flags (RFC 7296 3.1) */
#define CG_FLAG_INITIATOR 0x08
#define CG_FLAG_VERSION 0x10
#define CG_FLAG_RESPONSE 0x20

typedef enum {
    CG_PL_NONE = 0,
    CG_PL_SA = 33,
    CG_PL_KE = 34,
    CG_PL_IDI = 35,
    CG_PL_IDR = 36,
    CG_PL_CERT = 37,
    CG_PL_CERTREQ = 38,
    CG_PL_AUTH = 39,
    CG_PL_NONCE = 40,
    CG_PL_NOTIFY = 41,
    CG_PL_DELETE = 42,
    CG_PL_VENDOR = 43,
    CG_PL_TSI = 44,
    CG_PL_TSR = 45,
    CG_PL_SK = 46,
    CG_PL_CP = 47,
    CG_PL_EAP = 48,
    CG_PL_SKF = 53, /* RFC 7383 */
} CgPayloadType;

typedef enum {
    CG_PROTO_IKE = 1,
    CG_PROTO_AH = 2,
    CG_PROTO_ESP = 3,
} CgProtocolId;

typedef enum {
    CG_TRANS_ENCR = 1,
    CG_TRANS_PRF = 2,
    CG_TRANS_INTEG = 3,
    CG_TRANS_DH = 4,
    CG_TRANS_ESN = 5,
} CgTransformType;

#define CG_ATTR_KEY_LENGTH 14 /* the only transform attribute (TV format) */

typedef enum {
    CG_ID_IPV4_ADDR = 1,
    CG_ID_FQDN = 2,
    CG_ID_RFC822_ADDR = 3,
    CG_ID_IPV6_ADDR = 5,
    CG_ID_DER_ASN1_DN = 9,
    CG_ID_DER_ASN1_GN = 10,
    CG_ID_KEY_ID = 11,
} CgIdType;

typedef enum {
    CG_AUTH_RSA_SIG = 1,
    CG_AUTH_PSK = 2,
    CG_AUTH_DSS = 3,
    CG_AUTH_ECDSA_256 = 9,
    CG_AUTH_ECDSA_384 = 10,
    CG_AUTH_ECDSA_521 = 11,
    CG_AUTH_DIGITAL_SIGNATURE = 14, /* RFC 7427 */
} CgAuthMethod;

typedef enum {
    /* errors */
    CG_N_UNSUPPORTED_CRITICAL_PAYLOAD = 1,
    CG_N_INVALID_IKE_SPI = 4,
    CG_N_INVALID_MAJOR_VERSION = 5,
    CG_N_INVALID_SYNTAX = 7,
    CG_N_INVALID_MESSAGE_ID = 9,
    CG_N_INVALID_SPI = 11,
    CG_N_NO_PROPOSAL_CHOSEN = 14,
    CG_N_INVALID_KE_PAYLOAD = 17,
    CG_N_AUTHENTICATION_FAILED = 24,
    CG_N_SINGLE_PAIR_REQUIRED = 34,
    CG_N_NO_ADDITIONAL_SAS = 35,
    CG_N_INTERNAL_ADDRESS_FAILURE = 36,
    CG_N_FAILED_CP_REQUIRED = 37,
    CG_N_TS_UNACCEPTABLE = 38,
    CG_N_INVALID_SELECTORS = 39,
    CG_N_TEMPORARY_FAILURE = 43,
    CG_N_CHILD_SA_NOT_FOUND = 44,
    /* status */
    CG_N_INITIAL_CONTACT = 16384,
    CG_N_SET_WINDOW_SIZE = 16385,
    CG_N_ADDITIONAL_TS_POSSIBLE = 16386,
    CG_N_IPCOMP_SUPPORTED = 16387,
    CG_N_NAT_DETECTION_SOURCE_IP = 16388,
    CG_N_NAT_DETECTION_DESTINATION_IP = 16389,
    CG_N_COOKIE = 16390,
    CG_N_USE_TRANSPORT_MODE = 16391,
    CG_N_HTTP_CERT_LOOKUP_SUPPORTED = 16392,
    CG_N_REKEY_SA = 16393,
    CG_N_ESP_TFC_PADDING_NOT_SUPPORTED = 16394,
    CG_N_NON_FIRST_FRAGMENTS_ALSO = 16395,
    CG_N_MOBIKE_SUPPORTED = 16396,
    CG_N_ADDITIONAL_IP4_ADDRESS = 16397,
    CG_N_ADDITIONAL_IP6_ADDRESS = 16398,
    CG_N_NO_ADDITIONAL_ADDRESSES = 16399,
    CG_N_UPDATE_SA_ADDRESSES = 16400,
    CG_N_COOKIE2 = 16401,
    CG_N_NO_NATS_ALLOWED = 16402,
    CG_N_EAP_ONLY_AUTHENTICATION = 16417,
    CG_N_IKEV2_FRAGMENTATION_SUPPORTED = 16430,
    CG_N_SIGNATURE_HASH_ALGORITHMS = 16431,
} CgNotifyType;

/* a Notify type below 16384 is an error (RFC 7296 3.10.1) */
#define CG_NOTIFY_IS_ERROR(t) ((t) < 16384)

typedef enum {
    CG_TS_IPV4_ADDR_RANGE = 7,
    CG_TS_IPV6_ADDR_RANGE = 8,
} CgTsType;

typedef enum {
    CG_CFG_REQUEST = 1,
    CG_CFG_REPLY = 2,
    CG_CFG_SET = 3,
    CG_CFG_ACK = 4,
} CgCfgType;

typedef enum {
    CG_CA_INTERNAL_IP4_ADDRESS = 1,
    CG_CA_INTERNAL_IP4_NETMASK = 2,
    CG_CA_INTERNAL_IP4_DNS = 3,
    CG_CA_INTERNAL_IP4_NBNS = 4,
    CG_CA_INTERNAL_IP4_DHCP = 6,
    CG_CA_APPLICATION_VERSION = 7,
    CG_CA_INTERNAL_IP6_ADDRESS = 8,
    CG_CA_INTERNAL_IP6_DNS = 10,
    CG_CA_INTERNAL_IP6_DHCP = 12,
    CG_CA_INTERNAL_IP4_SUBNET = 13,
    CG_CA_SUPPORTED_ATTRIBUTES = 14,
    CG_CA_INTERNAL_IP6_SUBNET = 15,
    CG_CA_INTERNAL_DNS_DOMAIN = 25, /* RFC 8598 */
} CgCfgAttrType;

/* ---- the message header and the payload chain ------------------------ */

typedef struct {
    guint8 spi_i[8];
    guint8 spi_r[8];
    guint8 next_payload;
    guint8 major_version;
    guint8 minor_version;
    guint8 exchange_type;
    guint8 flags;
    guint32 message_id;
    guint32 length;
} CgIkeHeader;

/* A payload as found in the chain: its body points into the parsed buffer. */
typedef struct {
    guint8 type;
    gboolean critical;
    const guint8 *body;
    gsize body_len;
} CgRawPayload;

typedef struct {
    CgIkeHeader header;
    CgRawPayload payloads[CG_MAX_PAYLOADS];
    guint n_payloads;
    /* When the chain ends in SK (or SKF), the type of the first payload
     * inside the encrypted data (the SK payload's Next Payload field). */
    guint8 sk_inner_first;
    /* payload type that triggered UNSUPPORTED_CRITICAL_PAYLOAD, else 0 */
    guint8 unsupported_critical;
} CgMessage;

/* Parses the fixed header only (needs CG_IKE_HEADER_LEN bytes). Fails with
 * CG_CODEC_ERROR_VERSION when the major version is not 2; *out is filled in
 * even then, so the caller can answer INVALID_MAJOR_VERSION (RFC 7296 2.5). */
gboolean cg_header_parse(const guint8 *buf, gsize len, CgIkeHeader *out, GError **error);
void cg_header_write(GByteArray *b, const CgIkeHeader *h); /* length written as given */
/* After the chain is complete: patches the header at header_offset in b
 * with Next Payload = first_type (pass cb.first_type, which is CG_PL_NONE
 * when nothing was added) and Length = b->len - header_offset. */
void cg_header_finish(GByteArray *b, gsize header_offset, guint8 first_type);

/* Parses header + payload chain of a whole message. Unknown non-critical
 * payloads are skipped (RFC 7296 2.5) and not stored; an unknown critical
 * one fails with CG_CODEC_ERROR_CRITICAL and sets msg->unsupported_critical.
 * The header's length must equal len (else CG_CODEC_ERROR_MALFORMED) and the
 * chain must end exactly at len. SK/SKF must be the last payload (3.14): it
 * is stored in msg->payloads like any other, its body (IV | ciphertext |
 * ICV; for SKF the 4-byte fragment header first) is left for the caller to
 * decrypt, and its Next Payload goes to msg->sk_inner_first. Resets
 * n_payloads, sk_inner_first and unsupported_critical first. On failure
 * msg->header is valid once the header itself parsed (see cg_header_parse). */
gboolean cg_message_parse(const guint8 *buf, gsize len, CgMessage *msg, GError **error);

/* Parses a payload chain that starts with type `first` (used for the
 * plaintext inside SK, padding already removed: the chain must end exactly
 * at len). Appends to msg->payloads (the CG_MAX_PAYLOADS bound counts the
 * outer payloads too). SK/SKF inside it are MALFORMED: they cannot nest. */
gboolean cg_payload_chain_parse(const guint8 *buf, gsize len, guint8 first, CgMessage *msg,
                                GError **error);

/* First payload of the given type, or NULL. */
const CgRawPayload *cg_message_find(const CgMessage *msg, guint8 type);

/* ---- building messages ----------------------------------------------- */

/* Builds a payload chain: each add writes the generic header with a
 * placeholder Next Payload that the following add patches.
 *
 * For a whole message: cg_header_write() the 28-byte header, cg_chain_init()
 * on the same buffer, add payloads, then cg_header_finish(b, 0,
 * cb.first_type) sets the header's Next Payload (byte 16) and Length
 * (bytes 24..27). first_type stays CG_PL_NONE while nothing was added.
 *
 * For SK: build the plaintext chain with its own builder in a separate
 * buffer (its first_type is the inner first payload), then in the outer
 * chain call cg_chain_begin_encrypted(&outer, CG_PL_SK, inner.first_type),
 * write IV | ciphertext | ICV, and cg_chain_end_payload(). Nothing may be
 * added after SK/SKF (checked with g_critical). */
typedef struct {
    GByteArray *buf;          /* owned by the caller */
    gsize prev_next_offset;   /* offset of the previous Next Payload byte */
    guint8 first_type;        /* type of the first payload added */
    gboolean has_prev;
} CgChainBuilder;

void cg_chain_init(CgChainBuilder *cb, GByteArray *buf);
/* Begins a payload of `type`; returns the offset of its generic header.
 * Write the body with cg_put_*, then call cg_chain_end_payload. */
gsize cg_chain_begin_payload(CgChainBuilder *cb, guint8 type, gboolean critical);
void cg_chain_end_payload(CgChainBuilder *cb, gsize header_offset);
/* Begins SK or SKF (type): its Next Payload is inner_first, the type of
 * the first payload inside the encrypted data (RFC 7296 3.14; RFC 7383 2.5:
 * CG_PL_NONE in all but the first fragment). End it with
 * cg_chain_end_payload like any payload. */
gsize cg_chain_begin_encrypted(CgChainBuilder *cb, guint8 type, guint8 inner_first);
/* Convenience: a whole payload from an already encoded body. */
void cg_chain_add_raw(CgChainBuilder *cb, guint8 type, const guint8 *body, gsize len);

/* ---- typed payloads -------------------------------------------------- *
 * Each cg_payload_parse_* takes one payload body (CgRawPayload.body and
 * body_len), reads nothing past len, and fills *out with pointers into that
 * body (no copies: keep the buffer alive); an empty variable part gives
 * data NULL and data_len 0. A body shorter than its fixed part or a value
 * the RFC forbids is CG_CODEC_ERROR_MALFORMED, an inner length running past
 * the body CG_CODEC_ERROR_TRUNCATED, a count above the codec's bound
 * CG_CODEC_ERROR_TOO_MANY. Each cg_payload_write_* appends just the body:
 * call it between cg_chain_begin_payload and cg_chain_end_payload. */

typedef struct {
    guint8 type;       /* CgTransformType */
    guint16 id;
    guint16 key_bits;  /* 0 when the Key Length attribute is absent */
} CgTransform;

typedef struct {
    guint8 number;
    guint8 protocol_id; /* CgProtocolId */
    guint8 spi_size;    /* 0, 4 (ESP/AH) or 8 (IKE rekey) */
    guint8 spi[8];
    guint n_transforms;
    CgTransform transforms[CG_MAX_TRANSFORMS];
} CgProposal;

typedef struct {
    guint n_proposals;
    CgProposal proposals[CG_MAX_PROPOSALS];
} CgSaPayload;

gboolean cg_payload_parse_sa(const guint8 *body, gsize len, CgSaPayload *out, GError **error);
void cg_payload_write_sa(GByteArray *b, const CgSaPayload *sa);
/* Transforms with unknown attributes are skipped, not fatal (3.3.6); so is
 * a Key Length in TLV form or a second one. Checked: last-substructure
 * 0/2 and 0/3 agree with what follows, proposal numbers are nonzero and go
 * up by one, SPI size is 0, 4 or 8, Num Transforms matches the transforms
 * present. Writing emits Key Length (TV) only when key_bits != 0. */

typedef struct {
    guint16 dh_group;
    const guint8 *data;
    gsize data_len;
} CgKePayload;
/* KE: empty key exchange data is MALFORMED. */
gboolean cg_payload_parse_ke(const guint8 *body, gsize len, CgKePayload *out, GError **error);
void cg_payload_write_ke(GByteArray *b, guint16 group, const guint8 *data, gsize len);

typedef struct {
    guint8 id_type;
    const guint8 *data;
    gsize data_len;
} CgIdPayload; /* also used for the AUTH octets: RESTOFIDPAYLOAD = body */
/* ID: empty data is MALFORMED; ID_IPV4_ADDR needs 4 bytes, ID_IPV6_ADDR 16. */
gboolean cg_payload_parse_id(const guint8 *body, gsize len, CgIdPayload *out, GError **error);
void cg_payload_write_id(GByteArray *b, guint8 id_type, const guint8 *data, gsize len);

typedef struct {
    guint8 encoding;
    const guint8 *data;
    gsize data_len;
} CgCertPayload; /* CERT and CERTREQ */
/* CERT/CERTREQ: the data may be empty (a CERTREQ without CA hashes). */
gboolean cg_payload_parse_cert(const guint8 *body, gsize len, CgCertPayload *out, GError **error);
void cg_payload_write_cert(GByteArray *b, guint8 encoding, const guint8 *data, gsize len);

typedef struct {
    guint8 method;
    const guint8 *data;
    gsize data_len;
} CgAuthPayload;
/* AUTH: empty authentication data is MALFORMED. */
gboolean cg_payload_parse_auth(const guint8 *body, gsize len, CgAuthPayload *out, GError **error);
void cg_payload_write_auth(GByteArray *b, guint8 method, const guint8 *data, gsize len);

/* Nonce: 16..256 octets (RFC 7296 3.9) */
#define CG_NONCE_MIN_LEN 16
#define CG_NONCE_MAX_LEN 256
gboolean cg_payload_parse_nonce(const guint8 *body, gsize len, GError **error);

typedef struct {
    guint8 protocol_id;
    guint8 spi_size;
    const guint8 *spi;
    guint16 type;
    const guint8 *data;
    gsize data_len;
} CgNotifyPayload;
/* N: SPI size must be 0, 4 or 8; spi is NULL when it is 0. */
gboolean cg_payload_parse_notify(const guint8 *body, gsize len, CgNotifyPayload *out,
                                 GError **error);
void cg_payload_write_notify(GByteArray *b, guint8 protocol_id, const guint8 *spi, guint8 spi_size,
                             guint16 type, const guint8 *data, gsize len);

typedef struct {
    guint8 protocol_id;
    guint8 spi_size;
    guint n_spis;
    guint8 spis[CG_MAX_DELETE_SPIS][8]; /* first spi_size bytes used */
} CgDeletePayload;
/* D: IKE needs SPI size 0 and no SPIs, AH/ESP SPI size 4, other protocol
 * IDs are MALFORMED; the SPIs must fill the body exactly. */
gboolean cg_payload_parse_delete(const guint8 *body, gsize len, CgDeletePayload *out,
                                 GError **error);
void cg_payload_write_delete(GByteArray *b, const CgDeletePayload *d);

typedef struct {
    guint8 ts_type;     /* CgTsType */
    guint8 ip_protocol; /* 0 = any */
    guint16 start_port;
    guint16 end_port;
    guint8 start_addr[16]; /* 4 or 16 bytes used */
    guint8 end_addr[16];
} CgTrafficSelector;

typedef struct {
    guint n_ts;
    CgTrafficSelector ts[CG_MAX_TS];
} CgTsPayload;
/* Only IPv4/IPv6 ranges (types 7/8) are stored; selectors of other types
 * (e.g. TS_SECLABEL, RFC 9478) are skipped, so n_ts may be less than the
 * wire's Number of TSs (which must be 1..CG_MAX_TS). Start > end (ports or
 * addresses) is MALFORMED, except OPAQUE ports 65535..0 (3.13.1). */
gboolean cg_payload_parse_ts(const guint8 *body, gsize len, CgTsPayload *out, GError **error);
void cg_payload_write_ts(GByteArray *b, const CgTsPayload *ts);

typedef struct {
    guint16 type; /* CgCfgAttrType, without the reserved bit */
    const guint8 *value;
    gsize value_len;
} CgCfgAttr;

typedef struct {
    guint8 cfg_type; /* CgCfgType */
    guint n_attrs;
    CgCfgAttr attrs[CG_MAX_CP_ATTRS];
} CgCpPayload;
/* CP: CFG type must be 1..4; the reserved high bit of each attribute type
 * is masked off; an empty value gives value NULL. */
gboolean cg_payload_parse_cp(const guint8 *body, gsize len, CgCpPayload *out, GError **error);
void cg_payload_write_cp(GByteArray *b, const CgCpPayload *cp);

/* EAP (RFC 7296 3.16): the body is one EAP message; checks its length field. */
typedef struct {
    guint8 code;
    guint8 identifier;
    guint8 type; /* 0 for Success/Failure */
    const guint8 *data; /* type data */
    gsize data_len;
} CgEapPayload;
gboolean cg_payload_parse_eap(const guint8 *body, gsize len, CgEapPayload *out, GError **error);
/* Writes one EAP message as the payload body; type and data are written
 * only for Request (1) and Response (2). */
void cg_payload_write_eap(GByteArray *b, guint8 code, guint8 identifier, guint8 type,
                          const guint8 *data, gsize len);

/* SKF (RFC 7383 2.5): the fragment header in front of IV | data | ICV.
 * Fragment Number must be 1..Total Fragments. */
typedef struct {
    guint16 fragment_number;
    guint16 total_fragments;
    const guint8 *data; /* IV | encrypted data | ICV */
    gsize data_len;
} CgSkfPayload;
gboolean cg_payload_parse_skf(const guint8 *body, gsize len, CgSkfPayload *out, GError **error);

/* Human-readable names for logs; never NULL. */
const char *cg_payload_type_name(guint8 type);
const char *cg_exchange_name(guint8 type);
const char *cg_notify_name(guint16 type);

G_END_DECLS
