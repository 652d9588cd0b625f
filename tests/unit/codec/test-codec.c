/* test-codec.c: unit tests of the IKEv2 codec (RFC 7296 section 3). */
#include "codec/cg-codec.h"
#include "test-codec-samples.h"

#include <stdint.h>
#include <string.h>

/* tests/fuzz/fuzz-ike-message.c, linked in for the mutation test */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MUTATION_ROUNDS 10000

/* ---- helpers ----------------------------------------------------------- */

/* Parses a heap copy of exactly len bytes, so ASan sees any read past the
 * end; the payloads point into the copy, which *copy_out keeps. */
static gboolean
parse_message_copy(const guint8 *buf, gsize len, CgMessage *msg, guint8 **copy_out, GError **error)
{
    *copy_out = g_memdup2(buf, len);
    return cg_message_parse(*copy_out, len, msg, error);
}

static void
assert_message_error(const guint8 *buf, gsize len, CgCodecError code)
{
    g_autofree CgMessage *msg = g_new0(CgMessage, 1);
    g_autofree guint8 *copy = NULL;
    g_autoptr(GError) error = NULL;

    g_assert_false(parse_message_copy(buf, len, msg, &copy, &error));
    g_assert_error(error, CG_CODEC_ERROR, (gint)code);
    g_test_message("expected error: %s", error->message);
}

/* A one-payload chain around a body, in a buffer of its own. */
static GByteArray *
chain_of_one(guint8 type, const guint8 *body, gsize len)
{
    GByteArray *b = g_byte_array_new();
    CgChainBuilder cb;

    cg_chain_init(&cb, b);
    cg_chain_add_raw(&cb, type, body, len);
    return b;
}

/* Parses a chain and returns its only payload (pointing into chain). */
static CgRawPayload
parse_only_payload(GByteArray *chain, guint8 first)
{
    g_autofree CgMessage *msg = g_new0(CgMessage, 1);
    g_autoptr(GError) error = NULL;

    g_assert_true(cg_payload_chain_parse(chain->data, chain->len, first, msg, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(msg->n_payloads, ==, 1);
    g_assert_cmpuint(msg->payloads[0].type, ==, first);
    return msg->payloads[0];
}

/* A message: the sample header with the given raw chain appended. */
static GByteArray *
message_with_chain(guint8 first, const guint8 *chain, gsize len)
{
    GByteArray *b = g_byte_array_new();
    CgIkeHeader h = { .major_version = 2, .exchange_type = CG_EXCH_INFORMATIONAL };

    memset(h.spi_i, 0x11, 8);
    memset(h.spi_r, 0x22, 8);
    cg_header_write(b, &h);
    cg_put_bytes(b, chain, len);
    cg_header_finish(b, 0, first);
    return b;
}

static void
assert_sa_equal(const CgSaPayload *a, const CgSaPayload *b)
{
    g_assert_cmpuint(a->n_proposals, ==, b->n_proposals);
    for (guint i = 0; i < a->n_proposals; i++) {
        const CgProposal *pa = &a->proposals[i], *pb = &b->proposals[i];

        g_assert_cmpuint(pa->number, ==, pb->number);
        g_assert_cmpuint(pa->protocol_id, ==, pb->protocol_id);
        g_assert_cmpmem(pa->spi, pa->spi_size, pb->spi, pb->spi_size);
        g_assert_cmpuint(pa->n_transforms, ==, pb->n_transforms);
        for (guint j = 0; j < pa->n_transforms; j++) {
            g_assert_cmpuint(pa->transforms[j].type, ==, pb->transforms[j].type);
            g_assert_cmpuint(pa->transforms[j].id, ==, pb->transforms[j].id);
            g_assert_cmpuint(pa->transforms[j].key_bits, ==, pb->transforms[j].key_bits);
        }
    }
}

/* ---- reader and writer ------------------------------------------------- */

static void
test_reader(void)
{
    static const guint8 data[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07 };
    g_autoptr(GByteArray) b = g_byte_array_new();
    const guint8 *p;
    CgReader r;
    guint8 u8;
    guint16 u16;
    guint32 u32;

    cg_reader_init(&r, data, sizeof data);
    g_assert_true(cg_reader_u8(&r, &u8));
    g_assert_cmpuint(u8, ==, 0x01);
    g_assert_true(cg_reader_u16(&r, &u16));
    g_assert_cmphex(u16, ==, 0x0203);
    g_assert_true(cg_reader_u32(&r, &u32));
    g_assert_cmphex(u32, ==, 0x04050607);
    g_assert_cmpuint(cg_reader_left(&r), ==, 0);
    g_assert_false(cg_reader_u8(&r, &u8));
    g_assert_false(cg_reader_skip(&r, 1));
    g_assert_true(cg_reader_bytes(&r, 0, &p));

    /* a failing getter does not move */
    cg_reader_init(&r, data, 3);
    g_assert_false(cg_reader_u32(&r, &u32));
    g_assert_cmpuint(cg_reader_left(&r), ==, 3);
    g_assert_false(cg_reader_bytes(&r, 4, &p));
    g_assert_true(cg_reader_bytes(&r, 3, &p));
    g_assert_true(p == data);
    g_assert_false(cg_reader_u16(&r, &u16));

    cg_reader_init(&r, NULL, 10);
    g_assert_cmpuint(cg_reader_left(&r), ==, 0);

    cg_put_u8(b, 0xaa);
    cg_put_u16(b, 0xbbcc);
    cg_put_u32(b, 0xddeeff00);
    cg_put_bytes(b, data, 2);
    cg_put_bytes(b, NULL, 0);
    cg_set_u16(b, 0, 0x1234);
    cg_set_u32(b, 3, 0x56789abc);
    g_assert_cmpmem(b->data, b->len, "\x12\x34\xcc\x56\x78\x9a\xbc\x01\x02", 9);
}

/* ---- header ------------------------------------------------------------ */

static void
test_header_roundtrip(void)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    g_autoptr(GError) error = NULL;
    CgIkeHeader h = {
        .spi_i = { 1, 2, 3, 4, 5, 6, 7, 8 },
        .spi_r = { 9, 10, 11, 12, 13, 14, 15, 16 },
        .next_payload = CG_PL_SK,
        .major_version = 2,
        .minor_version = 1,
        .exchange_type = CG_EXCH_CREATE_CHILD_SA,
        .flags = CG_FLAG_RESPONSE | CG_FLAG_INITIATOR,
        .message_id = 0x01020304,
        .length = 0xa0b0c0d0,
    };
    CgIkeHeader parsed;

    cg_header_write(b, &h);
    g_assert_cmpuint(b->len, ==, CG_IKE_HEADER_LEN);
    g_assert_true(cg_header_parse(b->data, b->len, &parsed, &error));
    g_assert_no_error(error);
    g_assert_cmpmem(parsed.spi_i, 8, h.spi_i, 8);
    g_assert_cmpmem(parsed.spi_r, 8, h.spi_r, 8);
    g_assert_cmpuint(parsed.next_payload, ==, h.next_payload);
    g_assert_cmpuint(parsed.major_version, ==, 2);
    g_assert_cmpuint(parsed.minor_version, ==, 1);
    g_assert_cmpuint(parsed.exchange_type, ==, h.exchange_type);
    g_assert_cmpuint(parsed.flags, ==, h.flags);
    g_assert_cmpuint(parsed.message_id, ==, h.message_id);
    g_assert_cmpuint(parsed.length, ==, h.length);
}

/* An IKE_SA_INIT request written out by hand from the field layout of
 * RFC 7296 3.1-3.10: SA(IKE: ENCR_AES_CBC/256, PRF_HMAC_SHA2_256,
 * AUTH_HMAC_SHA2_256_128, Curve25519), KE, Ni, N(NAT_DETECTION_SOURCE_IP). */
static const guint8 rfc_ike_sa_init[] = {
    /* IKE header (3.1) */
    0x5f,
    0x54,
    0x1d,
    0x6a,
    0x3b,
    0x2c,
    0x11,
    0x9e, /* IKE SA Initiator's SPI */
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00, /* IKE SA Responder's SPI */
    0x21, /* Next Payload: SA (33) */
    0x20, /* MjVer 2, MnVer 0 */
    0x22, /* Exchange Type: IKE_SA_INIT (34) */
    0x08, /* Flags: Initiator */
    0x00,
    0x00,
    0x00,
    0x00, /* Message ID 0 */
    0x00,
    0x00,
    0x00,
    0xb4, /* Length 180 */
    /* SA payload (3.3): Next Payload KE, length 48 */
    0x22,
    0x00,
    0x00,
    0x30,
    /* proposal: last, length 44, #1, IKE, SPI size 0, 4 transforms */
    0x00,
    0x00,
    0x00,
    0x2c,
    0x01,
    0x01,
    0x00,
    0x04,
    /* ENCR (1) AES-CBC (12), Key Length (TV 14) = 256 */
    0x03,
    0x00,
    0x00,
    0x0c,
    0x01,
    0x00,
    0x00,
    0x0c,
    0x80,
    0x0e,
    0x01,
    0x00,
    /* PRF (2) HMAC-SHA2-256 (5) */
    0x03,
    0x00,
    0x00,
    0x08,
    0x02,
    0x00,
    0x00,
    0x05,
    /* INTEG (3) HMAC-SHA2-256-128 (12) */
    0x03,
    0x00,
    0x00,
    0x08,
    0x03,
    0x00,
    0x00,
    0x0c,
    /* D-H (4) Curve25519 (31), last transform */
    0x00,
    0x00,
    0x00,
    0x08,
    0x04,
    0x00,
    0x00,
    0x1f,
    /* KE payload (3.4): Next Payload Nonce, length 40, group 31, RESERVED */
    0x28,
    0x00,
    0x00,
    0x28,
    0x00,
    0x1f,
    0x00,
    0x00,
    0x8f,
    0x40,
    0xc5,
    0xad,
    0xb6,
    0x8f,
    0x25,
    0x62,
    0x4a,
    0xe5,
    0xb2,
    0x14,
    0xea,
    0x76,
    0x7a,
    0x6e,
    0xc9,
    0x4d,
    0x82,
    0x9d,
    0x3d,
    0x7b,
    0x5e,
    0x1a,
    0xd1,
    0xba,
    0x6f,
    0x3e,
    0x21,
    0x38,
    0x28,
    0x5f,
    /* Nonce payload (3.9): Next Payload Notify, length 36 */
    0x29,
    0x00,
    0x00,
    0x24,
    0xc4,
    0x9e,
    0x56,
    0x5c,
    0x8b,
    0x2e,
    0x6f,
    0x09,
    0x37,
    0x1a,
    0xd0,
    0x44,
    0x9b,
    0x05,
    0x7c,
    0x2e,
    0x63,
    0xa1,
    0x18,
    0xf7,
    0x5d,
    0x92,
    0x0b,
    0xe4,
    0x76,
    0x3f,
    0xc8,
    0x11,
    0x2a,
    0x9d,
    0x50,
    0xb6,
    /* Notify payload (3.10): last, length 28, protocol 0, SPI size 0,
     * NAT_DETECTION_SOURCE_IP (16388), SHA-1 hash */
    0x00,
    0x00,
    0x00,
    0x1c,
    0x00,
    0x00,
    0x40,
    0x04,
    0x2e,
    0x8d,
    0x5f,
    0x41,
    0xa7,
    0x03,
    0x96,
    0xcd,
    0x11,
    0x6b,
    0xe0,
    0x58,
    0x32,
    0x7f,
    0xc4,
    0x09,
    0x84,
    0x1d,
    0x6a,
    0xf2,
};

static void
test_header_rfc_vector(void)
{
    g_autofree guint8 *copy = NULL;
    g_autofree CgMessage *msg = g_new0(CgMessage, 1);
    g_autofree CgSaPayload *sa = g_new0(CgSaPayload, 1);
    g_autoptr(GError) error = NULL;
    static const guint8 spi_i[8] = { 0x5f, 0x54, 0x1d, 0x6a, 0x3b, 0x2c, 0x11, 0x9e };
    static const guint8 zero_spi[8] = { 0 };
    CgKePayload ke;
    CgNotifyPayload n;

    g_assert_cmpuint(sizeof rfc_ike_sa_init, ==, 180);
    g_assert_true(parse_message_copy(rfc_ike_sa_init, sizeof rfc_ike_sa_init, msg, &copy, &error));
    g_assert_no_error(error);

    g_assert_cmpmem(msg->header.spi_i, 8, spi_i, 8);
    g_assert_cmpmem(msg->header.spi_r, 8, zero_spi, 8);
    g_assert_cmpuint(msg->header.next_payload, ==, CG_PL_SA);
    g_assert_cmpuint(msg->header.major_version, ==, 2);
    g_assert_cmpuint(msg->header.minor_version, ==, 0);
    g_assert_cmpuint(msg->header.exchange_type, ==, CG_EXCH_IKE_SA_INIT);
    g_assert_cmpuint(msg->header.flags, ==, CG_FLAG_INITIATOR);
    g_assert_cmpuint(msg->header.message_id, ==, 0);
    g_assert_cmpuint(msg->header.length, ==, 180);
    g_assert_cmpuint(msg->n_payloads, ==, 4);
    g_assert_cmpuint(msg->payloads[0].type, ==, CG_PL_SA);
    g_assert_cmpuint(msg->payloads[1].type, ==, CG_PL_KE);
    g_assert_cmpuint(msg->payloads[2].type, ==, CG_PL_NONCE);
    g_assert_cmpuint(msg->payloads[3].type, ==, CG_PL_NOTIFY);
    g_assert_cmpuint(msg->payloads[0].body_len, ==, 44);
    g_assert_cmpuint(msg->sk_inner_first, ==, CG_PL_NONE);
    g_assert_false(msg->payloads[0].critical);

    g_assert_true(
        cg_payload_parse_sa(msg->payloads[0].body, msg->payloads[0].body_len, sa, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(sa->n_proposals, ==, 1);
    g_assert_cmpuint(sa->proposals[0].number, ==, 1);
    g_assert_cmpuint(sa->proposals[0].protocol_id, ==, CG_PROTO_IKE);
    g_assert_cmpuint(sa->proposals[0].spi_size, ==, 0);
    g_assert_cmpuint(sa->proposals[0].n_transforms, ==, 4);
    g_assert_cmpuint(sa->proposals[0].transforms[0].type, ==, CG_TRANS_ENCR);
    g_assert_cmpuint(sa->proposals[0].transforms[0].id, ==, 12);
    g_assert_cmpuint(sa->proposals[0].transforms[0].key_bits, ==, 256);
    g_assert_cmpuint(sa->proposals[0].transforms[1].type, ==, CG_TRANS_PRF);
    g_assert_cmpuint(sa->proposals[0].transforms[1].id, ==, 5);
    g_assert_cmpuint(sa->proposals[0].transforms[2].type, ==, CG_TRANS_INTEG);
    g_assert_cmpuint(sa->proposals[0].transforms[2].id, ==, 12);
    g_assert_cmpuint(sa->proposals[0].transforms[3].type, ==, CG_TRANS_DH);
    g_assert_cmpuint(sa->proposals[0].transforms[3].id, ==, 31);
    g_assert_cmpuint(sa->proposals[0].transforms[3].key_bits, ==, 0);

    g_assert_true(
        cg_payload_parse_ke(msg->payloads[1].body, msg->payloads[1].body_len, &ke, &error));
    g_assert_cmpuint(ke.dh_group, ==, 31);
    g_assert_cmpuint(ke.data_len, ==, 32);
    g_assert_cmpuint(ke.data[0], ==, 0x8f);

    g_assert_true(cg_payload_parse_nonce(msg->payloads[2].body, msg->payloads[2].body_len, &error));
    g_assert_cmpuint(msg->payloads[2].body_len, ==, 32);

    g_assert_true(
        cg_payload_parse_notify(msg->payloads[3].body, msg->payloads[3].body_len, &n, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(n.type, ==, CG_N_NAT_DETECTION_SOURCE_IP);
    g_assert_cmpuint(n.spi_size, ==, 0);
    g_assert_null(n.spi);
    g_assert_cmpuint(n.data_len, ==, 20);
    g_assert_cmpstr(cg_notify_name(n.type), ==, "NAT_DETECTION_SOURCE_IP");

    /* the codec writes the same SA bytes back */
    {
        g_autoptr(GByteArray) b = g_byte_array_new();

        cg_payload_write_sa(b, sa);
        g_assert_cmpmem(b->data, b->len, msg->payloads[0].body, msg->payloads[0].body_len);
    }
}

static void
test_header_truncated(void)
{
    g_autoptr(GError) error = NULL;
    CgIkeHeader h;

    assert_message_error(rfc_ike_sa_init, CG_IKE_HEADER_LEN - 1, CG_CODEC_ERROR_TRUNCATED);
    assert_message_error(rfc_ike_sa_init, 0, CG_CODEC_ERROR_TRUNCATED);
    g_assert_false(cg_header_parse(NULL, 0, &h, &error));
    g_assert_error(error, CG_CODEC_ERROR, CG_CODEC_ERROR_TRUNCATED);
}

static void
test_header_bad_version(void)
{
    g_autofree guint8 *copy = g_memdup2(rfc_ike_sa_init, sizeof rfc_ike_sa_init);
    g_autofree CgMessage *msg = g_new0(CgMessage, 1);
    g_autoptr(GError) error = NULL;

    copy[17] = 0x30; /* IKE version 3.0 */
    g_assert_false(cg_message_parse(copy, sizeof rfc_ike_sa_init, msg, &error));
    g_assert_error(error, CG_CODEC_ERROR, CG_CODEC_ERROR_VERSION);
    /* the header is still there to answer INVALID_MAJOR_VERSION */
    g_assert_cmpuint(msg->header.major_version, ==, 3);
    g_assert_cmpuint(msg->header.exchange_type, ==, CG_EXCH_IKE_SA_INIT);
    copy[17] = 0x10; /* IKEv1 */
    assert_message_error(copy, sizeof rfc_ike_sa_init, CG_CODEC_ERROR_VERSION);
    copy[17] = 0x2f; /* a higher minor version is fine */
    g_assert_true(cg_message_parse(copy, sizeof rfc_ike_sa_init, msg, NULL));
}

static void
test_header_length_mismatch(void)
{
    g_autofree guint8 *copy = g_memdup2(rfc_ike_sa_init, sizeof rfc_ike_sa_init);

    copy[27] = 0xb5; /* one more than the datagram */
    assert_message_error(copy, sizeof rfc_ike_sa_init, CG_CODEC_ERROR_MALFORMED);
    copy[27] = 0xb3;
    assert_message_error(copy, sizeof rfc_ike_sa_init, CG_CODEC_ERROR_MALFORMED);
    /* a datagram cut short with the header's length intact */
    assert_message_error(rfc_ike_sa_init, sizeof rfc_ike_sa_init - 1, CG_CODEC_ERROR_MALFORMED);
}

/* ---- payload chain ----------------------------------------------------- */

static void
test_chain_payload_too_short(void)
{
    static const guint8 chain[] = { 0x00, 0x00, 0x00, 0x03 };
    g_autoptr(GByteArray) m = message_with_chain(CG_PL_VENDOR, chain, sizeof chain);

    assert_message_error(m->data, m->len, CG_CODEC_ERROR_MALFORMED);
}

static void
test_chain_payload_past_end(void)
{
    static const guint8 chain[] = { 0x00, 0x00, 0x00, 0x09, 1, 2, 3, 4 };
    static const guint8 half_header[] = { 0x00, 0x00 };
    g_autoptr(GByteArray) m = message_with_chain(CG_PL_VENDOR, chain, sizeof chain);
    g_autoptr(GByteArray) m2 = message_with_chain(CG_PL_VENDOR, half_header, sizeof half_header);
    g_autoptr(GByteArray) m3 = message_with_chain(CG_PL_VENDOR, NULL, 0);

    assert_message_error(m->data, m->len, CG_CODEC_ERROR_TRUNCATED);
    assert_message_error(m2->data, m2->len, CG_CODEC_ERROR_TRUNCATED);
    /* the header promises a payload that is not there */
    assert_message_error(m3->data, m3->len, CG_CODEC_ERROR_TRUNCATED);
}

static void
test_chain_trailing_bytes(void)
{
    static const guint8 chain[] = { 0x00, 0x00, 0x00, 0x04, 0xff };
    g_autoptr(GByteArray) m = message_with_chain(CG_PL_VENDOR, chain, sizeof chain);

    assert_message_error(m->data, m->len, CG_CODEC_ERROR_MALFORMED);
}

static void
test_chain_unknown_critical(void)
{
    /* V, then type 200 (unknown) with the critical bit */
    static const guint8 chain[] = { 200, 0x00, 0x00, 0x05, 0xaa, 0x00, 0x80, 0x00, 0x04 };
    g_autoptr(GByteArray) m = message_with_chain(CG_PL_VENDOR, chain, sizeof chain);
    g_autofree CgMessage *msg = g_new0(CgMessage, 1);
    g_autoptr(GError) error = NULL;

    g_assert_false(cg_message_parse(m->data, m->len, msg, &error));
    g_assert_error(error, CG_CODEC_ERROR, CG_CODEC_ERROR_CRITICAL);
    g_assert_cmpuint(msg->unsupported_critical, ==, 200);
    g_test_message("%s", error->message);
}

static void
test_chain_unknown_skipped(void)
{
    /* type 200 (unknown, not critical, reserved bits set) between V and N;
     * the critical bit on a known type means nothing */
    static const guint8 chain[] = {
        200,          0x00, 0x00, 0x05, 0xaa,                   /* V */
        CG_PL_NOTIFY, 0x7f, 0x00, 0x06, 0x01, 0x02,             /* unknown 200 */
        0x00,         0x80, 0x00, 0x08, 0x00, 0x00, 0x40, 0x00, /* N, critical */
    };
    g_autoptr(GByteArray) m = message_with_chain(CG_PL_VENDOR, chain, sizeof chain);
    g_autofree CgMessage *msg = g_new0(CgMessage, 1);
    g_autoptr(GError) error = NULL;

    g_assert_true(cg_message_parse(m->data, m->len, msg, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(msg->n_payloads, ==, 2);
    g_assert_cmpuint(msg->payloads[0].type, ==, CG_PL_VENDOR);
    g_assert_cmpuint(msg->payloads[0].body_len, ==, 1);
    g_assert_cmpuint(msg->payloads[1].type, ==, CG_PL_NOTIFY);
    g_assert_true(msg->payloads[1].critical);
    g_assert_cmpuint(msg->unsupported_critical, ==, 0);
    g_assert_null(cg_message_find(msg, 200));
    g_assert_true(cg_message_find(msg, CG_PL_NOTIFY) == &msg->payloads[1]);
}

static void
test_chain_sk_not_last(void)
{
    /* SK (inner first = IDi) followed by V */
    static const guint8 chain[] = {
        CG_PL_IDI, 0x00, 0x00, 0x06, 0xaa, 0xbb, /* SK */
        0x00,      0x00, 0x00, 0x04,             /* V */
    };
    static const guint8 skf_chain[] = {
        CG_PL_NONE, 0x00, 0x00, 0x08, 0, 2, 0, 3, /* SKF 2/3 */
        0x00,       0x00, 0x00, 0x04,
    };
    g_autoptr(GByteArray) m = NULL;

    /* the same bytes are fine when nothing follows */
    m = message_with_chain(CG_PL_SK, chain, 6);
    {
        g_autofree CgMessage *msg = g_new0(CgMessage, 1);

        g_assert_true(cg_message_parse(m->data, m->len, msg, NULL));
        g_assert_cmpuint(msg->n_payloads, ==, 1);
        g_assert_cmpuint(msg->sk_inner_first, ==, CG_PL_IDI);
    }
    g_clear_pointer(&m, g_byte_array_unref);
    m = message_with_chain(CG_PL_SK, chain, sizeof chain);
    assert_message_error(m->data, m->len, CG_CODEC_ERROR_MALFORMED);
    g_clear_pointer(&m, g_byte_array_unref);
    m = message_with_chain(CG_PL_SKF, skf_chain, sizeof skf_chain);
    assert_message_error(m->data, m->len, CG_CODEC_ERROR_MALFORMED);
}

static void
test_chain_sk_nested(void)
{
    static const guint8 chain[] = { CG_PL_NONE, 0x00, 0x00, 0x04 };
    g_autofree CgMessage *msg = g_new0(CgMessage, 1);
    g_autoptr(GError) error = NULL;

    g_assert_false(cg_payload_chain_parse(chain, sizeof chain, CG_PL_SK, msg, &error));
    g_assert_error(error, CG_CODEC_ERROR, CG_CODEC_ERROR_MALFORMED);
}

static void
test_chain_too_many(void)
{
    g_autoptr(GByteArray) chain = g_byte_array_new();
    g_autoptr(GByteArray) m = NULL;
    g_autofree CgMessage *msg = g_new0(CgMessage, 1);
    CgChainBuilder cb;

    cg_chain_init(&cb, chain);
    for (guint i = 0; i < CG_MAX_PAYLOADS; i++)
        cg_chain_add_raw(&cb, CG_PL_VENDOR, (const guint8 *)"v", 1);
    m = message_with_chain(cb.first_type, chain->data, chain->len);
    g_assert_true(cg_message_parse(m->data, m->len, msg, NULL));
    g_assert_cmpuint(msg->n_payloads, ==, CG_MAX_PAYLOADS);

    cg_chain_add_raw(&cb, CG_PL_VENDOR, (const guint8 *)"v", 1);
    g_clear_pointer(&m, g_byte_array_unref);
    m = message_with_chain(cb.first_type, chain->data, chain->len);
    assert_message_error(m->data, m->len, CG_CODEC_ERROR_TOO_MANY);
}

static void
test_chain_builder(void)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    g_autofree CgMessage *msg = g_new0(CgMessage, 1);
    CgChainBuilder cb;
    gsize off;

    /* nothing added: the header's Next Payload stays NONE */
    cg_chain_init(&cb, b);
    g_assert_cmpuint(cb.first_type, ==, CG_PL_NONE);

    /* a chain in a buffer that already holds other bytes */
    cg_put_bytes(b, (const guint8 *)"junk", 4);
    cg_chain_init(&cb, b);
    off = cg_chain_begin_payload(&cb, CG_PL_NONCE, TRUE);
    g_assert_cmpuint(off, ==, 4);
    cg_put_bytes(b, (const guint8 *)"0123456789abcdef", 16);
    cg_chain_end_payload(&cb, off);
    cg_chain_add_raw(&cb, CG_PL_VENDOR, NULL, 0);
    g_assert_cmpuint(cb.first_type, ==, CG_PL_NONCE);
    g_assert_cmpmem(b->data + 4, 4, "\x2b\x80\x00\x14", 4); /* -> V, critical, 20 */
    g_assert_cmpmem(b->data + 24, 4, "\x00\x00\x00\x04", 4);

    g_assert_true(cg_payload_chain_parse(b->data + 4, b->len - 4, cb.first_type, msg, NULL));
    g_assert_cmpuint(msg->n_payloads, ==, 2);
    g_assert_true(msg->payloads[0].critical);
    g_assert_cmpuint(msg->payloads[0].body_len, ==, 16);
    g_assert_cmpuint(msg->payloads[1].body_len, ==, 0);
}

/* The lead's way: header first, the chain, then patch bytes 16 and 24. */
static void
test_chain_builder_after_header(void)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    g_autofree CgMessage *msg = g_new0(CgMessage, 1);
    CgIkeHeader h = { .major_version = 2, .exchange_type = CG_EXCH_INFORMATIONAL };
    CgChainBuilder cb;
    guint8 nonce[32] = { 0 };
    gsize off;

    cg_header_write(b, &h);
    cg_chain_init(&cb, b);
    off = cg_chain_begin_payload(&cb, CG_PL_NONCE, FALSE);
    cg_put_bytes(b, nonce, sizeof nonce);
    cg_chain_end_payload(&cb, off);
    b->data[CG_IKE_HEADER_NEXT_PAYLOAD_OFFSET] = cb.first_type;
    cg_set_u32(b, CG_IKE_HEADER_LENGTH_OFFSET, b->len);

    g_assert_true(cg_message_parse(b->data, b->len, msg, NULL));
    g_assert_cmpuint(msg->header.next_payload, ==, CG_PL_NONCE);
    g_assert_cmpuint(msg->n_payloads, ==, 1);
    g_assert_cmpuint(msg->payloads[0].body_len, ==, 32);

    /* an empty message: header only */
    g_byte_array_set_size(b, 0);
    cg_header_write(b, &h);
    cg_chain_init(&cb, b);
    cg_header_finish(b, 0, cb.first_type);
    g_assert_true(cg_message_parse(b->data, b->len, msg, NULL));
    g_assert_cmpuint(msg->n_payloads, ==, 0);
    g_assert_cmpuint(msg->header.length, ==, CG_IKE_HEADER_LEN);
}

/* ---- whole messages ---------------------------------------------------- */

static void
test_message_ike_sa_init(void)
{
    g_autofree guint8 *copy = NULL;
    g_autoptr(GByteArray) b = sample_ike_sa_init();
    g_autofree CgMessage *msg = g_new0(CgMessage, 1);
    g_autofree CgSaPayload *expected = g_new0(CgSaPayload, 1);
    g_autofree CgSaPayload *sa = g_new0(CgSaPayload, 1);
    g_autoptr(GError) error = NULL;
    const CgRawPayload *p;
    CgKePayload ke;
    CgNotifyPayload n;

    g_assert_true(parse_message_copy(b->data, b->len, msg, &copy, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(msg->header.length, ==, b->len);
    g_assert_cmpuint(msg->header.exchange_type, ==, CG_EXCH_IKE_SA_INIT);
    g_assert_cmpuint(msg->header.next_payload, ==, CG_PL_SA);
    g_assert_cmpuint(msg->n_payloads, ==, 5);

    p = cg_message_find(msg, CG_PL_SA);
    g_assert_nonnull(p);
    g_assert_true(cg_payload_parse_sa(p->body, p->body_len, sa, &error));
    g_assert_no_error(error);
    sample_ike_sa(expected);
    assert_sa_equal(sa, expected);
    g_assert_cmpuint(sa->proposals[1].transforms[0].key_bits, ==, 128);
    g_assert_cmpuint(sa->proposals[1].transforms[1].key_bits, ==, 256);

    p = cg_message_find(msg, CG_PL_KE);
    g_assert_true(cg_payload_parse_ke(p->body, p->body_len, &ke, &error));
    g_assert_cmpuint(ke.dh_group, ==, 31);
    g_assert_cmpuint(ke.data_len, ==, 32);

    p = cg_message_find(msg, CG_PL_NONCE);
    g_assert_true(cg_payload_parse_nonce(p->body, p->body_len, &error));
    g_assert_cmpuint(p->body_len, ==, 32);

    g_assert_cmpuint(msg->payloads[3].type, ==, CG_PL_NOTIFY);
    g_assert_cmpuint(msg->payloads[4].type, ==, CG_PL_NOTIFY);
    g_assert_true(
        cg_payload_parse_notify(msg->payloads[3].body, msg->payloads[3].body_len, &n, NULL));
    g_assert_cmpuint(n.type, ==, CG_N_NAT_DETECTION_SOURCE_IP);
    g_assert_cmpuint(n.data_len, ==, 20);
    g_assert_true(
        cg_payload_parse_notify(msg->payloads[4].body, msg->payloads[4].body_len, &n, NULL));
    g_assert_cmpuint(n.type, ==, CG_N_NAT_DETECTION_DESTINATION_IP);
    g_assert_no_error(error);
}

static void
test_message_ike_auth(void)
{
    g_autofree guint8 *copy = NULL;
    g_autoptr(GByteArray) b = sample_ike_auth();
    g_autoptr(GByteArray) plain = NULL;
    g_autofree CgMessage *msg = g_new0(CgMessage, 1);
    g_autoptr(GError) error = NULL;
    guint8 inner_first;
    const CgRawPayload *sk;

    plain = sample_auth_plaintext(&inner_first);
    g_assert_true(parse_message_copy(b->data, b->len, msg, &copy, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(msg->header.next_payload, ==, CG_PL_SK);
    g_assert_cmpuint(msg->n_payloads, ==, 1);
    g_assert_cmpuint(msg->sk_inner_first, ==, inner_first);
    g_assert_cmpuint(msg->sk_inner_first, ==, CG_PL_IDI);
    sk = &msg->payloads[0];
    g_assert_cmpuint(sk->type, ==, CG_PL_SK);
    g_assert_cmpuint(sk->body_len, ==, 8 + plain->len + 16);

    /* the "decrypted" part appends to the same message */
    g_assert_true(
        cg_payload_chain_parse(sk->body + 8, plain->len, msg->sk_inner_first, msg, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(msg->n_payloads, ==, 13);
    g_assert_cmpuint(msg->payloads[1].type, ==, CG_PL_IDI);
    g_assert_cmpuint(msg->payloads[12].type, ==, CG_PL_VENDOR);
    g_assert_nonnull(cg_message_find(msg, CG_PL_TSR));
}

/* ---- round trips of every payload type ---------------------------------- */

static void
test_roundtrip_sa(void)
{
    g_autofree CgSaPayload *sa = g_new0(CgSaPayload, 1);
    g_autofree CgSaPayload *parsed = g_new0(CgSaPayload, 1);
    g_autoptr(GByteArray) body = g_byte_array_new();
    g_autoptr(GByteArray) again = g_byte_array_new();
    g_autoptr(GByteArray) chain = NULL;
    g_autoptr(GError) error = NULL;
    CgRawPayload raw;

    sample_ike_sa(sa);
    /* a third proposal: IKE rekey with an 8-byte SPI */
    sa->n_proposals = 3;
    sa->proposals[2] = (CgProposal){
        .number = 3,
        .protocol_id = CG_PROTO_IKE,
        .spi_size = 8,
        .spi = { 1, 2, 3, 4, 5, 6, 7, 8 },
        .n_transforms = 1,
        .transforms = { { CG_TRANS_ENCR, 28 /* ChaCha20-Poly1305 */, 0 } },
    };
    cg_payload_write_sa(body, sa);
    chain = chain_of_one(CG_PL_SA, body->data, body->len);
    raw = parse_only_payload(chain, CG_PL_SA);
    g_assert_true(cg_payload_parse_sa(raw.body, raw.body_len, parsed, &error));
    g_assert_no_error(error);
    assert_sa_equal(parsed, sa);
    cg_payload_write_sa(again, parsed);
    g_assert_cmpmem(again->data, again->len, raw.body, raw.body_len);
}

static void
test_roundtrip_ke(void)
{
    static const guint8 data[] = { 9, 8, 7, 6, 5 };
    g_autoptr(GByteArray) body = g_byte_array_new();
    g_autoptr(GByteArray) again = g_byte_array_new();
    g_autoptr(GByteArray) chain = NULL;
    CgKePayload ke;
    CgRawPayload raw;

    cg_payload_write_ke(body, 14, data, sizeof data);
    chain = chain_of_one(CG_PL_KE, body->data, body->len);
    raw = parse_only_payload(chain, CG_PL_KE);
    g_assert_true(cg_payload_parse_ke(raw.body, raw.body_len, &ke, NULL));
    g_assert_cmpuint(ke.dh_group, ==, 14);
    g_assert_cmpmem(ke.data, ke.data_len, data, sizeof data);
    g_assert_true(ke.data == raw.body + 4); /* no copy */
    cg_payload_write_ke(again, ke.dh_group, ke.data, ke.data_len);
    g_assert_cmpmem(again->data, again->len, raw.body, raw.body_len);
}

static void
test_roundtrip_id(void)
{
    static const guint8 v4[] = { 192, 0, 2, 1 };
    static const guint8 email[] = "alice@example.org";
    g_autoptr(GByteArray) body = g_byte_array_new();
    g_autoptr(GByteArray) again = g_byte_array_new();
    g_autoptr(GByteArray) chain = NULL;
    CgIdPayload id;
    CgRawPayload raw;

    cg_payload_write_id(body, CG_ID_RFC822_ADDR, email, sizeof email - 1);
    chain = chain_of_one(CG_PL_IDR, body->data, body->len);
    raw = parse_only_payload(chain, CG_PL_IDR);
    g_assert_true(cg_payload_parse_id(raw.body, raw.body_len, &id, NULL));
    g_assert_cmpuint(id.id_type, ==, CG_ID_RFC822_ADDR);
    g_assert_cmpmem(id.data, id.data_len, email, sizeof email - 1);
    cg_payload_write_id(again, id.id_type, id.data, id.data_len);
    g_assert_cmpmem(again->data, again->len, raw.body, raw.body_len);

    g_byte_array_set_size(body, 0);
    cg_payload_write_id(body, CG_ID_IPV4_ADDR, v4, sizeof v4);
    g_assert_true(cg_payload_parse_id(body->data, body->len, &id, NULL));
    g_assert_cmpmem(id.data, id.data_len, v4, 4);
    /* an IPv4 ID must be 4 bytes, an IPv6 one 16 */
    g_byte_array_set_size(body, 0);
    cg_payload_write_id(body, CG_ID_IPV6_ADDR, v4, sizeof v4);
    g_assert_false(cg_payload_parse_id(body->data, body->len, &id, NULL));
    g_byte_array_set_size(body, 0);
    cg_payload_write_id(body, CG_ID_FQDN, NULL, 0);
    g_assert_false(cg_payload_parse_id(body->data, body->len, &id, NULL));
}

static void
test_roundtrip_cert(void)
{
    static const guint8 der[] = { 0x30, 0x82, 0x01, 0x0a };
    g_autoptr(GByteArray) body = g_byte_array_new();
    g_autoptr(GByteArray) again = g_byte_array_new();
    g_autoptr(GByteArray) chain = NULL;
    CgCertPayload cert;
    CgRawPayload raw;

    cg_payload_write_cert(body, 4, der, sizeof der);
    chain = chain_of_one(CG_PL_CERT, body->data, body->len);
    raw = parse_only_payload(chain, CG_PL_CERT);
    g_assert_true(cg_payload_parse_cert(raw.body, raw.body_len, &cert, NULL));
    g_assert_cmpuint(cert.encoding, ==, 4);
    g_assert_cmpmem(cert.data, cert.data_len, der, sizeof der);
    cg_payload_write_cert(again, cert.encoding, cert.data, cert.data_len);
    g_assert_cmpmem(again->data, again->len, raw.body, raw.body_len);

    /* a CERTREQ without CA hashes */
    g_byte_array_set_size(body, 0);
    cg_payload_write_cert(body, 4, NULL, 0);
    g_clear_pointer(&chain, g_byte_array_unref);
    chain = chain_of_one(CG_PL_CERTREQ, body->data, body->len);
    raw = parse_only_payload(chain, CG_PL_CERTREQ);
    g_assert_true(cg_payload_parse_cert(raw.body, raw.body_len, &cert, NULL));
    g_assert_cmpuint(cert.data_len, ==, 0);
    g_assert_null(cert.data);
    g_assert_false(cg_payload_parse_cert(raw.body, 0, &cert, NULL));
}

static void
test_roundtrip_auth(void)
{
    static const guint8 mac[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
    g_autoptr(GByteArray) body = g_byte_array_new();
    g_autoptr(GByteArray) again = g_byte_array_new();
    g_autoptr(GByteArray) chain = NULL;
    CgAuthPayload auth;
    CgRawPayload raw;

    cg_payload_write_auth(body, CG_AUTH_PSK, mac, sizeof mac);
    chain = chain_of_one(CG_PL_AUTH, body->data, body->len);
    raw = parse_only_payload(chain, CG_PL_AUTH);
    g_assert_true(cg_payload_parse_auth(raw.body, raw.body_len, &auth, NULL));
    g_assert_cmpuint(auth.method, ==, CG_AUTH_PSK);
    g_assert_cmpmem(auth.data, auth.data_len, mac, sizeof mac);
    cg_payload_write_auth(again, auth.method, auth.data, auth.data_len);
    g_assert_cmpmem(again->data, again->len, raw.body, raw.body_len);
    g_assert_false(cg_payload_parse_auth(raw.body, 4, &auth, NULL));
}

static void
test_roundtrip_nonce(void)
{
    guint8 nonce[CG_NONCE_MAX_LEN + 1] = { 0 };
    g_autoptr(GByteArray) chain = NULL;
    g_autoptr(GError) error = NULL;
    CgRawPayload raw;

    chain = chain_of_one(CG_PL_NONCE, nonce, CG_NONCE_MIN_LEN);
    raw = parse_only_payload(chain, CG_PL_NONCE);
    g_assert_cmpuint(raw.body_len, ==, 16);
    g_assert_true(cg_payload_parse_nonce(raw.body, raw.body_len, NULL));
    g_assert_true(cg_payload_parse_nonce(nonce, CG_NONCE_MAX_LEN, NULL));

    g_assert_false(cg_payload_parse_nonce(nonce, CG_NONCE_MIN_LEN - 1, &error));
    g_assert_error(error, CG_CODEC_ERROR, CG_CODEC_ERROR_MALFORMED);
    g_test_message("%s", error->message);
    g_clear_error(&error);
    g_assert_false(cg_payload_parse_nonce(nonce, CG_NONCE_MAX_LEN + 1, &error));
    g_assert_error(error, CG_CODEC_ERROR, CG_CODEC_ERROR_MALFORMED);
    g_test_message("%s", error->message);
}

static void
test_roundtrip_notify(void)
{
    static const guint8 spi[4] = { 0xde, 0xad, 0xbe, 0xef };
    static const guint8 cookie[] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    g_autoptr(GByteArray) body = g_byte_array_new();
    g_autoptr(GByteArray) again = g_byte_array_new();
    g_autoptr(GByteArray) chain = NULL;
    CgNotifyPayload n;
    CgRawPayload raw;

    cg_payload_write_notify(body, CG_PROTO_ESP, spi, 4, CG_N_REKEY_SA, NULL, 0);
    chain = chain_of_one(CG_PL_NOTIFY, body->data, body->len);
    raw = parse_only_payload(chain, CG_PL_NOTIFY);
    g_assert_true(cg_payload_parse_notify(raw.body, raw.body_len, &n, NULL));
    g_assert_cmpuint(n.protocol_id, ==, CG_PROTO_ESP);
    g_assert_cmpmem(n.spi, n.spi_size, spi, 4);
    g_assert_cmpuint(n.type, ==, CG_N_REKEY_SA);
    g_assert_cmpuint(n.data_len, ==, 0);
    g_assert_null(n.data);
    cg_payload_write_notify(again, n.protocol_id, n.spi, n.spi_size, n.type, n.data, n.data_len);
    g_assert_cmpmem(again->data, again->len, raw.body, raw.body_len);

    g_byte_array_set_size(body, 0);
    g_byte_array_set_size(again, 0);
    cg_payload_write_notify(body, 0, NULL, 0, CG_N_COOKIE, cookie, sizeof cookie);
    g_assert_true(cg_payload_parse_notify(body->data, body->len, &n, NULL));
    g_assert_null(n.spi);
    g_assert_cmpmem(n.data, n.data_len, cookie, sizeof cookie);
    g_assert_false(CG_NOTIFY_IS_ERROR(n.type));
    cg_payload_write_notify(again, n.protocol_id, n.spi, n.spi_size, n.type, n.data, n.data_len);
    g_assert_cmpmem(again->data, again->len, body->data, body->len);
}

static void
test_roundtrip_delete(void)
{
    g_autofree CgDeletePayload *d = g_new0(CgDeletePayload, 1);
    g_autofree CgDeletePayload *parsed = g_new0(CgDeletePayload, 1);
    g_autoptr(GByteArray) body = g_byte_array_new();
    g_autoptr(GByteArray) again = g_byte_array_new();
    g_autoptr(GByteArray) chain = NULL;
    CgRawPayload raw;

    d->protocol_id = CG_PROTO_ESP;
    d->spi_size = 4;
    d->n_spis = CG_MAX_DELETE_SPIS;
    for (guint i = 0; i < d->n_spis; i++)
        memcpy(d->spis[i], &i, 4);
    cg_payload_write_delete(body, d);
    chain = chain_of_one(CG_PL_DELETE, body->data, body->len);
    raw = parse_only_payload(chain, CG_PL_DELETE);
    g_assert_true(cg_payload_parse_delete(raw.body, raw.body_len, parsed, NULL));
    g_assert_cmpuint(parsed->protocol_id, ==, CG_PROTO_ESP);
    g_assert_cmpuint(parsed->n_spis, ==, CG_MAX_DELETE_SPIS);
    g_assert_cmpmem(parsed->spis[7], 4, d->spis[7], 4);
    cg_payload_write_delete(again, parsed);
    g_assert_cmpmem(again->data, again->len, raw.body, raw.body_len);

    /* deleting the IKE SA: no SPIs at all */
    memset(d, 0, sizeof *d);
    d->protocol_id = CG_PROTO_IKE;
    g_byte_array_set_size(body, 0);
    cg_payload_write_delete(body, d);
    g_assert_cmpuint(body->len, ==, 4);
    g_assert_true(cg_payload_parse_delete(body->data, body->len, parsed, NULL));
    g_assert_cmpuint(parsed->protocol_id, ==, CG_PROTO_IKE);
    g_assert_cmpuint(parsed->n_spis, ==, 0);
}

static void
test_roundtrip_vendor(void)
{
    static const guint8 vid[] = { 0x88, 0x2f, 0xe5, 0x6d, 0x6f, 0xd2, 0x0d, 0xbc };
    g_autoptr(GByteArray) chain = chain_of_one(CG_PL_VENDOR, vid, sizeof vid);
    CgRawPayload raw = parse_only_payload(chain, CG_PL_VENDOR);

    g_assert_cmpmem(raw.body, raw.body_len, vid, sizeof vid);
}

static void
test_roundtrip_ts(void)
{
    g_autoptr(GByteArray) body = g_byte_array_new();
    g_autoptr(GByteArray) again = g_byte_array_new();
    g_autoptr(GByteArray) chain = NULL;
    CgTsPayload ts = { 0 }, parsed;
    CgRawPayload raw;

    ts.n_ts = 3;
    ts.ts[0] = (CgTrafficSelector){ CG_TS_IPV4_ADDR_RANGE, 6, 80, 80, { 192, 168, 1, 0 },
                                    { 192, 168, 1, 255 } };
    ts.ts[1] = (CgTrafficSelector){ CG_TS_IPV6_ADDR_RANGE,
                                    0,
                                    0,
                                    65535,
                                    { 0 },
                                    { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                      0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
    /* RFC 7296 3.13.1: OPAQUE ports are start 65535, end 0 */
    ts.ts[2] = (CgTrafficSelector){ CG_TS_IPV4_ADDR_RANGE, 17, 65535, 0, { 10, 1, 1, 1 },
                                    { 10, 1, 1, 1 } };
    cg_payload_write_ts(body, &ts);
    g_assert_cmpuint(body->len, ==, 4 + 16 + 40 + 16);
    chain = chain_of_one(CG_PL_TSI, body->data, body->len);
    raw = parse_only_payload(chain, CG_PL_TSI);
    g_assert_true(cg_payload_parse_ts(raw.body, raw.body_len, &parsed, NULL));
    g_assert_cmpuint(parsed.n_ts, ==, 3);
    for (guint i = 0; i < 3; i++) {
        g_assert_cmpuint(parsed.ts[i].ts_type, ==, ts.ts[i].ts_type);
        g_assert_cmpuint(parsed.ts[i].ip_protocol, ==, ts.ts[i].ip_protocol);
        g_assert_cmpuint(parsed.ts[i].start_port, ==, ts.ts[i].start_port);
        g_assert_cmpuint(parsed.ts[i].end_port, ==, ts.ts[i].end_port);
        g_assert_cmpmem(parsed.ts[i].start_addr, 16, ts.ts[i].start_addr, 16);
        g_assert_cmpmem(parsed.ts[i].end_addr, 16, ts.ts[i].end_addr, 16);
    }
    cg_payload_write_ts(again, &parsed);
    g_assert_cmpmem(again->data, again->len, raw.body, raw.body_len);
}

static void
test_roundtrip_cp(void)
{
    static const guint8 addr[] = { 10, 9, 8, 7 };
    static const guint8 domain[] = "corp.example";
    g_autoptr(GByteArray) body = g_byte_array_new();
    g_autoptr(GByteArray) again = g_byte_array_new();
    g_autoptr(GByteArray) chain = NULL;
    CgCpPayload cp = { 0 }, parsed;
    CgRawPayload raw;

    cp.cfg_type = CG_CFG_REPLY;
    cp.n_attrs = 3;
    cp.attrs[0] = (CgCfgAttr){ CG_CA_INTERNAL_IP4_ADDRESS, addr, sizeof addr };
    cp.attrs[1] = (CgCfgAttr){ CG_CA_INTERNAL_DNS_DOMAIN, domain, sizeof domain - 1 };
    cp.attrs[2] = (CgCfgAttr){ CG_CA_INTERNAL_IP6_DNS, NULL, 0 };
    cg_payload_write_cp(body, &cp);
    chain = chain_of_one(CG_PL_CP, body->data, body->len);
    raw = parse_only_payload(chain, CG_PL_CP);
    g_assert_true(cg_payload_parse_cp(raw.body, raw.body_len, &parsed, NULL));
    g_assert_cmpuint(parsed.cfg_type, ==, CG_CFG_REPLY);
    g_assert_cmpuint(parsed.n_attrs, ==, 3);
    for (guint i = 0; i < 3; i++) {
        g_assert_cmpuint(parsed.attrs[i].type, ==, cp.attrs[i].type);
        g_assert_cmpmem(parsed.attrs[i].value, parsed.attrs[i].value_len, cp.attrs[i].value,
                        cp.attrs[i].value_len);
    }
    cg_payload_write_cp(again, &parsed);
    g_assert_cmpmem(again->data, again->len, raw.body, raw.body_len);

    /* the reserved bit is masked off on receipt (3.15.1) */
    g_byte_array_set_size(again, 0);
    cg_put_bytes(again, raw.body, raw.body_len);
    again->data[4] |= 0x80;
    g_assert_true(cg_payload_parse_cp(again->data, again->len, &parsed, NULL));
    g_assert_cmpuint(parsed.attrs[0].type, ==, CG_CA_INTERNAL_IP4_ADDRESS);
}

static void
test_roundtrip_eap(void)
{
    static const guint8 identity[] = "bob";
    g_autoptr(GByteArray) body = g_byte_array_new();
    g_autoptr(GByteArray) again = g_byte_array_new();
    g_autoptr(GByteArray) chain = NULL;
    CgEapPayload eap;
    CgRawPayload raw;

    cg_payload_write_eap(body, 2, 42, 1, identity, sizeof identity - 1);
    g_assert_cmpuint(body->len, ==, 5 + 3);
    chain = chain_of_one(CG_PL_EAP, body->data, body->len);
    raw = parse_only_payload(chain, CG_PL_EAP);
    g_assert_true(cg_payload_parse_eap(raw.body, raw.body_len, &eap, NULL));
    g_assert_cmpuint(eap.code, ==, 2);
    g_assert_cmpuint(eap.identifier, ==, 42);
    g_assert_cmpuint(eap.type, ==, 1);
    g_assert_cmpmem(eap.data, eap.data_len, identity, sizeof identity - 1);
    cg_payload_write_eap(again, eap.code, eap.identifier, eap.type, eap.data, eap.data_len);
    g_assert_cmpmem(again->data, again->len, raw.body, raw.body_len);

    /* Success: four octets, no type */
    g_byte_array_set_size(body, 0);
    cg_payload_write_eap(body, 3, 43, 0, NULL, 0);
    g_assert_cmpmem(body->data, body->len, "\x03\x2b\x00\x04", 4);
    g_assert_true(cg_payload_parse_eap(body->data, body->len, &eap, NULL));
    g_assert_cmpuint(eap.code, ==, 3);
    g_assert_cmpuint(eap.type, ==, 0);
    g_assert_cmpuint(eap.data_len, ==, 0);
}

static void
test_roundtrip_skf(void)
{
    static const guint8 body[] = { 0x00, 0x02, 0x00, 0x03, 0xaa, 0xbb, 0xcc };
    g_autoptr(GByteArray) b = g_byte_array_new();
    g_autoptr(GByteArray) m = NULL;
    g_autofree CgMessage *msg = g_new0(CgMessage, 1);
    CgSkfPayload skf;
    CgChainBuilder cb;
    gsize off;

    /* RFC 7383 2.5: Next Payload is NONE in every fragment but the first */
    cg_chain_init(&cb, b);
    off = cg_chain_begin_encrypted(&cb, CG_PL_SKF, CG_PL_NONE);
    cg_put_bytes(b, body, sizeof body);
    cg_chain_end_payload(&cb, off);
    m = message_with_chain(cb.first_type, b->data, b->len);

    g_assert_true(cg_message_parse(m->data, m->len, msg, NULL));
    g_assert_cmpuint(msg->n_payloads, ==, 1);
    g_assert_cmpuint(msg->payloads[0].type, ==, CG_PL_SKF);
    g_assert_cmpuint(msg->sk_inner_first, ==, CG_PL_NONE);
    g_assert_true(
        cg_payload_parse_skf(msg->payloads[0].body, msg->payloads[0].body_len, &skf, NULL));
    g_assert_cmpuint(skf.fragment_number, ==, 2);
    g_assert_cmpuint(skf.total_fragments, ==, 3);
    g_assert_cmpmem(skf.data, skf.data_len, body + 4, 3);
}

/* ---- malformed payload bodies ------------------------------------------- */

static void
assert_sa_error(const guint8 *body, gsize len, CgCodecError code)
{
    g_autofree CgSaPayload *sa = g_new0(CgSaPayload, 1);
    g_autofree guint8 *copy = g_memdup2(body, len);
    g_autoptr(GError) error = NULL;

    g_assert_false(cg_payload_parse_sa(copy, len, sa, &error));
    g_assert_error(error, CG_CODEC_ERROR, (gint)code);
    g_test_message("expected error: %s", error->message);
}

static void
test_sa_bad_spi_size(void)
{
    static const guint8 body[] = {
        0x00, 0x00, 0x00, 0x13, 0x01, CG_PROTO_ESP, 0x03, 0x01, 0xaa, 0xbb,
        0xcc, 0x00, 0x00, 0x00, 0x08, 0x01,         0x00, 0x00, 0x14,
    };

    assert_sa_error(body, sizeof body, CG_CODEC_ERROR_MALFORMED);
}

static void
test_sa_proposal_too_short(void)
{
    /* proposal length 8 but SPI size 4 needs 12 */
    static const guint8 body[] = { 0x00, 0x00, 0x00, 0x08, 0x01, CG_PROTO_ESP, 0x04, 0x00 };
    static const guint8 body2[] = { 0x00, 0x00, 0x00, 0x07, 0x01, CG_PROTO_ESP, 0x00, 0x00 };
    static const guint8 body3[] = { 0x00, 0x00, 0x00, 0x09, 0x01, CG_PROTO_ESP, 0x00, 0x00 };
    static const guint8 body4[] = { 0x00, 0x00, 0x00, 0x08, 0x01, CG_PROTO_ESP };

    assert_sa_error(body, sizeof body, CG_CODEC_ERROR_MALFORMED);
    assert_sa_error(body2, sizeof body2, CG_CODEC_ERROR_MALFORMED);
    assert_sa_error(body3, sizeof body3, CG_CODEC_ERROR_TRUNCATED);
    assert_sa_error(body4, sizeof body4, CG_CODEC_ERROR_TRUNCATED);
    assert_sa_error(NULL, 0, CG_CODEC_ERROR_MALFORMED);
}

static void
test_sa_transform_too_short(void)
{
    static const guint8 body[] = {
        0x00, 0x00, 0x00, 0x10, 0x01, CG_PROTO_IKE, 0x00, 0x01,
        0x00, 0x00, 0x00, 0x07, 0x01, 0x00,         0x00, 0x14, /* length 7 */
    };
    static const guint8 past_end[] = {
        0x00, 0x00, 0x00, 0x10, 0x01, CG_PROTO_IKE, 0x00, 0x01,
        0x00, 0x00, 0x00, 0x09, 0x01, 0x00,         0x00, 0x14, /* length 9 */
    };

    assert_sa_error(body, sizeof body, CG_CODEC_ERROR_MALFORMED);
    assert_sa_error(past_end, sizeof past_end, CG_CODEC_ERROR_TRUNCATED);
}

static void
test_sa_attribute_overflow(void)
{
    /* a TLV attribute whose length runs past its transform */
    static const guint8 body[] = {
        0x00, 0x00, 0x00, 0x14, 0x01, CG_PROTO_IKE, 0x00, 0x01, 0x00, 0x00, 0x00,
        0x0c, 0x01, 0x00, 0x00, 0x14, 0x00,         0x20, 0x00, 0x05, /* TLV type 32, 5 bytes */
    };
    /* half an attribute header */
    static const guint8 half[] = {
        0x00, 0x00, 0x00, 0x12, 0x01, CG_PROTO_IKE, 0x00, 0x01, 0x00,
        0x00, 0x00, 0x0a, 0x01, 0x00, 0x00,         0x14, 0x80, 0x0e,
    };

    assert_sa_error(body, sizeof body, CG_CODEC_ERROR_TRUNCATED);
    assert_sa_error(half, sizeof half, CG_CODEC_ERROR_TRUNCATED);
}

static void
test_sa_unknown_attribute_dropped(void)
{
    /* 3 transforms: unknown TV attribute, Key Length as TLV, a good one */
    static const guint8 body[] = {
        0x00, 0x00, 0x00, 0x2e, 0x01, CG_PROTO_IKE, 0x00, 0x03, 0x03, 0x00, 0x00, 0x0c,
        0x01, 0x00, 0x00, 0x0c, 0x80, 0x0f,         0x00, 0x01, 0x03, 0x00, 0x00, 0x0e,
        0x01, 0x00, 0x00, 0x0c, 0x00, 0x0e,         0x00, 0x02, 0x01, 0x00, 0x00, 0x00,
        0x00, 0x0c, 0x01, 0x00, 0x00, 0x0c,         0x80, 0x0e, 0x00, 0x80,
    };
    g_autofree CgSaPayload *sa = g_new0(CgSaPayload, 1);
    g_autoptr(GError) error = NULL;

    g_assert_cmpuint(sizeof body, ==, 0x2e);
    g_assert_true(cg_payload_parse_sa(body, sizeof body, sa, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(sa->n_proposals, ==, 1);
    g_assert_cmpuint(sa->proposals[0].n_transforms, ==, 1);
    g_assert_cmpuint(sa->proposals[0].transforms[0].key_bits, ==, 128);
}

static void
test_sa_substructure_checks(void)
{
    /* last-substructure says "more" but the payload ends */
    static const guint8 more_missing[] = { 0x02, 0x00, 0x00, 0x08, 0x01, CG_PROTO_IKE, 0x00, 0x00 };
    /* last-substructure 1 is not a proposal */
    static const guint8 bad_last[] = { 0x01, 0x00, 0x00, 0x08, 0x01, CG_PROTO_IKE, 0x00, 0x00 };
    /* says last but another proposal follows */
    static const guint8 after_last[] = {
        0x00, 0x00, 0x00, 0x08, 0x01, CG_PROTO_IKE, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x08, 0x02, CG_PROTO_IKE, 0x00, 0x00,
    };
    /* Num Transforms 2 but only one transform, marked last */
    static const guint8 too_few[] = {
        0x00, 0x00, 0x00, 0x10, 0x01, CG_PROTO_IKE, 0x00, 0x02,
        0x00, 0x00, 0x00, 0x08, 0x01, 0x00,         0x00, 0x14,
    };
    /* Num Transforms 1 but bytes follow the transform */
    static const guint8 too_many[] = {
        0x00, 0x00, 0x00, 0x18, 0x01, CG_PROTO_IKE, 0x00, 0x01, 0x00, 0x00, 0x00, 0x08,
        0x01, 0x00, 0x00, 0x14, 0x00, 0x00,         0x00, 0x08, 0x02, 0x00, 0x00, 0x05,
    };
    /* proposal numbers 1, 3 */
    static const guint8 numbering[] = {
        0x02, 0x00, 0x00, 0x08, 0x01, CG_PROTO_IKE, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x08, 0x03, CG_PROTO_IKE, 0x00, 0x00,
    };
    static const guint8 number_zero[] = { 0x00, 0x00, 0x00, 0x08, 0x00, CG_PROTO_IKE, 0x00, 0x00 };
    /* a response carries the accepted number, which need not be 1 */
    static const guint8 accepted_3[] = { 0x00, 0x00, 0x00, 0x08, 0x03, CG_PROTO_IKE, 0x00, 0x00 };
    g_autofree CgSaPayload *sa = g_new0(CgSaPayload, 1);

    assert_sa_error(more_missing, sizeof more_missing, CG_CODEC_ERROR_MALFORMED);
    assert_sa_error(bad_last, sizeof bad_last, CG_CODEC_ERROR_MALFORMED);
    assert_sa_error(after_last, sizeof after_last, CG_CODEC_ERROR_MALFORMED);
    assert_sa_error(too_few, sizeof too_few, CG_CODEC_ERROR_MALFORMED);
    assert_sa_error(too_many, sizeof too_many, CG_CODEC_ERROR_MALFORMED);
    assert_sa_error(numbering, sizeof numbering, CG_CODEC_ERROR_MALFORMED);
    assert_sa_error(number_zero, sizeof number_zero, CG_CODEC_ERROR_MALFORMED);
    g_assert_true(cg_payload_parse_sa(accepted_3, sizeof accepted_3, sa, NULL));
    g_assert_cmpuint(sa->proposals[0].number, ==, 3);
}

static void
test_sa_too_many(void)
{
    g_autoptr(GByteArray) body = g_byte_array_new();

    /* 33 empty proposals */
    for (guint i = 0; i <= CG_MAX_PROPOSALS; i++) {
        guint8 proposal[8] = { i == CG_MAX_PROPOSALS ? 0 : 2, 0, 0, 8, (guint8)(i + 1), 1, 0, 0 };

        cg_put_bytes(body, proposal, sizeof proposal);
    }
    assert_sa_error(body->data, body->len, CG_CODEC_ERROR_TOO_MANY);

    /* a proposal announcing 65 transforms */
    g_byte_array_set_size(body, 0);
    cg_put_bytes(body, (const guint8 *)"\x00\x00\x00\x08\x01\x01\x00\x41", 8);
    assert_sa_error(body->data, body->len, CG_CODEC_ERROR_TOO_MANY);
}

static void
assert_ts_error(const guint8 *body, gsize len, CgCodecError code)
{
    g_autofree guint8 *copy = g_memdup2(body, len);
    g_autoptr(GError) error = NULL;
    CgTsPayload ts;

    g_assert_false(cg_payload_parse_ts(copy, len, &ts, &error));
    g_assert_error(error, CG_CODEC_ERROR, (gint)code);
    g_test_message("expected error: %s", error->message);
}

static void
test_ts_start_after_end(void)
{
    static const guint8 ports[] = {
        0x01, 0x00, 0x00, 0x00, CG_TS_IPV4_ADDR_RANGE,
        0x06, 0x00, 0x10, 0x00, 0x51,
        0x00, 0x50, 10,   0,    0,
        1,    10,   0,    0,    2, /* 81..80 */
    };
    static const guint8 addrs[] = {
        0x01, 0x00, 0x00, 0x00, CG_TS_IPV4_ADDR_RANGE,
        0x00, 0x00, 0x10, 0x00, 0x00,
        0xff, 0xff, 10,   0,    1,
        0,    10,   0,    0,    255, /* 10.0.1.0..10.0.0.255 */
    };

    assert_ts_error(ports, sizeof ports, CG_CODEC_ERROR_MALFORMED);
    assert_ts_error(addrs, sizeof addrs, CG_CODEC_ERROR_MALFORMED);
}

static void
test_ts_wrong_length(void)
{
    /* an IPv6 selector with the IPv4 length */
    static const guint8 v6_short[] = {
        0x01, 0x00, 0x00, 0x00, CG_TS_IPV6_ADDR_RANGE,
        0x00, 0x00, 0x10, 0x00, 0x00,
        0xff, 0xff, 0,    0,    0,
        0,    0,    0,    0,    0,
    };
    /* an IPv4 selector claiming 17 bytes */
    static const guint8 v4_long[] = {
        0x01, 0x00, 0x00, 0x00, CG_TS_IPV4_ADDR_RANGE,
        0x00, 0x00, 0x11, 0x00, 0x00,
        0xff, 0xff, 0,    0,    0,
        0,    0,    0,    0,    0,
        0,
    };
    /* selector length past the payload */
    static const guint8 past_end[] = {
        0x01, 0x00, 0x00, 0x00, CG_TS_IPV4_ADDR_RANGE, 0x00, 0x00, 0x10, 0x00, 0x00, 0xff, 0xff,
        0,    0,    0,    0,
    };
    static const guint8 no_selectors[] = { 0x00, 0x00, 0x00, 0x00 };
    /* found by the fuzzer: a 6-byte IPv4 selector at the very end of the
     * body (the ports must not be read before the length is checked) */
    static const guint8 cut_selector[]
        = { 0x01, 0x00, 0x00, 0x00, CG_TS_IPV4_ADDR_RANGE, 0x00, 0x00, 0x06, 0x00, 0x00 };

    assert_ts_error(v6_short, sizeof v6_short, CG_CODEC_ERROR_MALFORMED);
    assert_ts_error(v4_long, sizeof v4_long, CG_CODEC_ERROR_MALFORMED);
    assert_ts_error(past_end, sizeof past_end, CG_CODEC_ERROR_TRUNCATED);
    assert_ts_error(no_selectors, sizeof no_selectors, CG_CODEC_ERROR_MALFORMED);
    assert_ts_error(cut_selector, sizeof cut_selector, CG_CODEC_ERROR_MALFORMED);
}

static void
test_ts_unknown_type_skipped(void)
{
    /* TS_SECLABEL (10) with a 3-byte label, then an IPv4 range */
    static const guint8 body[] = {
        0x02, 0x00, 0x00, 0x00, 10,   0x00, 0x00, 0x07, 's', 'y', 's', CG_TS_IPV4_ADDR_RANGE,
        0x00, 0x00, 0x10, 0x00, 0x00, 0xff, 0xff, 10,   0,   0,   0,   10,
        0,    0,    9,
    };
    CgTsPayload ts;

    g_assert_true(cg_payload_parse_ts(body, sizeof body, &ts, NULL));
    g_assert_cmpuint(ts.n_ts, ==, 1);
    g_assert_cmpuint(ts.ts[0].ts_type, ==, CG_TS_IPV4_ADDR_RANGE);
    g_assert_cmpuint(ts.ts[0].end_addr[3], ==, 9);
}

static void
test_ts_too_many(void)
{
    g_autoptr(GByteArray) body = g_byte_array_new();
    static const guint8 selector[16] = { CG_TS_IPV4_ADDR_RANGE, 0, 0, 16, 0, 0, 0xff, 0xff };

    cg_put_u8(body, CG_MAX_TS + 1);
    cg_put_u8(body, 0);
    cg_put_u16(body, 0);
    for (guint i = 0; i <= CG_MAX_TS; i++)
        cg_put_bytes(body, selector, sizeof selector);
    assert_ts_error(body->data, body->len, CG_CODEC_ERROR_TOO_MANY);

    /* exactly the bound is fine */
    body->data[0] = CG_MAX_TS;
    g_byte_array_set_size(body, body->len - sizeof selector);
    {
        CgTsPayload ts;

        g_assert_true(cg_payload_parse_ts(body->data, body->len, &ts, NULL));
        g_assert_cmpuint(ts.n_ts, ==, CG_MAX_TS);
    }
}

static void
test_eap_malformed(void)
{
    static const guint8 length_mismatch[] = { 0x01, 0x01, 0x00, 0x07, 0x01, 'a' };
    static const guint8 bad_code[] = { 0x05, 0x01, 0x00, 0x04 };
    static const guint8 request_no_type[] = { 0x01, 0x01, 0x00, 0x04 };
    static const guint8 success_with_data[] = { 0x03, 0x01, 0x00, 0x05, 0x00 };
    g_autoptr(GError) error = NULL;
    CgEapPayload eap;

    g_assert_false(cg_payload_parse_eap(length_mismatch, sizeof length_mismatch, &eap, &error));
    g_assert_error(error, CG_CODEC_ERROR, CG_CODEC_ERROR_MALFORMED);
    g_test_message("%s", error->message);
    g_assert_false(cg_payload_parse_eap(bad_code, sizeof bad_code, &eap, NULL));
    g_assert_false(cg_payload_parse_eap(request_no_type, sizeof request_no_type, &eap, NULL));
    g_assert_false(cg_payload_parse_eap(success_with_data, sizeof success_with_data, &eap, NULL));
    g_assert_false(cg_payload_parse_eap(bad_code, 3, &eap, NULL));
}

static void
test_simple_malformed(void)
{
    static const guint8 ke_empty[] = { 0x00, 0x0e, 0x00, 0x00 };
    static const guint8 notify_spi3[] = { 0x03, 0x03, 0x40, 0x00, 1, 2, 3 };
    static const guint8 notify_spi_past_end[] = { 0x03, 0x04, 0x40, 0x00, 1, 2, 3 };
    static const guint8 delete_ike_spis[] = { CG_PROTO_IKE, 0x00, 0x00, 0x01 };
    static const guint8 delete_esp_spi8[]
        = { CG_PROTO_ESP, 0x08, 0x00, 0x01, 1, 2, 3, 4, 5, 6, 7, 8 };
    static const guint8 delete_short[] = { CG_PROTO_ESP, 0x04, 0x00, 0x02, 1, 2, 3, 4 };
    static const guint8 delete_long[] = { CG_PROTO_ESP, 0x04, 0x00, 0x01, 1, 2, 3, 4, 5 };
    static const guint8 delete_proto[] = { 9, 0x04, 0x00, 0x00 };
    static const guint8 delete_too_many[] = { CG_PROTO_ESP, 0x04, 0x01, 0x01 };
    static const guint8 skf_zero[] = { 0x00, 0x00, 0x00, 0x02 };
    static const guint8 skf_beyond[] = { 0x00, 0x03, 0x00, 0x02 };
    static const guint8 cp_overflow[] = { CG_CFG_REPLY, 0, 0, 0, 0x00, 0x01, 0x00, 0x04, 10, 0, 0 };
    static const guint8 cp_bad_type[] = { 0x05, 0, 0, 0 };
    g_autofree CgDeletePayload *d = g_new0(CgDeletePayload, 1);
    g_autoptr(GError) error = NULL;
    CgKePayload ke;
    CgNotifyPayload n;
    CgSkfPayload skf;
    CgCpPayload cp;

#define EXPECT(call, code)                                                                         \
    do {                                                                                           \
        g_assert_false(call);                                                                      \
        g_assert_error(error, CG_CODEC_ERROR, (gint)(code));                                       \
        g_test_message("expected error: %s", error->message);                                      \
        g_clear_error(&error);                                                                     \
    } while (0)

    EXPECT(cg_payload_parse_ke(ke_empty, sizeof ke_empty, &ke, &error), CG_CODEC_ERROR_MALFORMED);
    EXPECT(cg_payload_parse_ke(ke_empty, 3, &ke, &error), CG_CODEC_ERROR_MALFORMED);
    EXPECT(cg_payload_parse_notify(notify_spi3, sizeof notify_spi3, &n, &error),
           CG_CODEC_ERROR_MALFORMED);
    EXPECT(cg_payload_parse_notify(notify_spi_past_end, sizeof notify_spi_past_end, &n, &error),
           CG_CODEC_ERROR_TRUNCATED);
    EXPECT(cg_payload_parse_delete(delete_ike_spis, sizeof delete_ike_spis, d, &error),
           CG_CODEC_ERROR_MALFORMED);
    EXPECT(cg_payload_parse_delete(delete_esp_spi8, sizeof delete_esp_spi8, d, &error),
           CG_CODEC_ERROR_MALFORMED);
    EXPECT(cg_payload_parse_delete(delete_short, sizeof delete_short, d, &error),
           CG_CODEC_ERROR_TRUNCATED);
    EXPECT(cg_payload_parse_delete(delete_long, sizeof delete_long, d, &error),
           CG_CODEC_ERROR_MALFORMED);
    EXPECT(cg_payload_parse_delete(delete_proto, sizeof delete_proto, d, &error),
           CG_CODEC_ERROR_MALFORMED);
    EXPECT(cg_payload_parse_delete(delete_too_many, sizeof delete_too_many, d, &error),
           CG_CODEC_ERROR_TOO_MANY);
    EXPECT(cg_payload_parse_skf(skf_zero, sizeof skf_zero, &skf, &error), CG_CODEC_ERROR_MALFORMED);
    EXPECT(cg_payload_parse_skf(skf_beyond, sizeof skf_beyond, &skf, &error),
           CG_CODEC_ERROR_MALFORMED);
    EXPECT(cg_payload_parse_cp(cp_overflow, sizeof cp_overflow, &cp, &error),
           CG_CODEC_ERROR_TRUNCATED);
    EXPECT(cg_payload_parse_cp(cp_overflow, 6, &cp, &error), CG_CODEC_ERROR_TRUNCATED);
    EXPECT(cg_payload_parse_cp(cp_bad_type, sizeof cp_bad_type, &cp, &error),
           CG_CODEC_ERROR_MALFORMED);
#undef EXPECT
}

static void
test_cp_too_many(void)
{
    g_autoptr(GByteArray) body = g_byte_array_new();
    g_autoptr(GError) error = NULL;
    CgCpPayload cp;

    cg_put_u8(body, CG_CFG_REQUEST);
    cg_put_u8(body, 0);
    cg_put_u16(body, 0);
    for (guint i = 0; i < CG_MAX_CP_ATTRS; i++) {
        cg_put_u16(body, CG_CA_INTERNAL_IP4_DNS);
        cg_put_u16(body, 0);
    }
    g_assert_true(cg_payload_parse_cp(body->data, body->len, &cp, NULL));
    g_assert_cmpuint(cp.n_attrs, ==, CG_MAX_CP_ATTRS);
    cg_put_u16(body, CG_CA_INTERNAL_IP4_DNS);
    cg_put_u16(body, 0);
    g_assert_false(cg_payload_parse_cp(body->data, body->len, &cp, &error));
    g_assert_error(error, CG_CODEC_ERROR, CG_CODEC_ERROR_TOO_MANY);
}

/* ---- names -------------------------------------------------------------- */

static void
test_names(void)
{
    for (guint i = 0; i <= 255; i++) {
        g_assert_nonnull(cg_payload_type_name((guint8)i));
        g_assert_nonnull(cg_exchange_name((guint8)i));
    }
    for (guint i = 0; i <= 65535; i += 7)
        g_assert_nonnull(cg_notify_name((guint16)i));
    g_assert_cmpstr(cg_payload_type_name(CG_PL_SK), ==, "SK");
    g_assert_cmpstr(cg_exchange_name(CG_EXCH_IKE_AUTH), ==, "IKE_AUTH");
    g_assert_cmpstr(cg_notify_name(CG_N_NO_PROPOSAL_CHOSEN), ==, "NO_PROPOSAL_CHOSEN");
    g_assert_cmpstr(cg_notify_name(CG_N_SIGNATURE_HASH_ALGORITHMS), ==,
                    "SIGNATURE_HASH_ALGORITHMS");
}

/* ---- the fuzzer's seed corpus ------------------------------------------- */

/* Every payload of a valid encoding passes its typed parser. */
static void
assert_payloads_valid(const CgMessage *msg)
{
    g_autofree CgSaPayload *sa = g_new0(CgSaPayload, 1);
    g_autofree CgDeletePayload *del = g_new0(CgDeletePayload, 1);
    g_autoptr(GError) error = NULL;

    for (guint i = 0; i < msg->n_payloads; i++) {
        const CgRawPayload *p = &msg->payloads[i];
        gboolean ok = TRUE;

        switch (p->type) {
            case CG_PL_SA:
                ok = cg_payload_parse_sa(p->body, p->body_len, sa, &error);
                break;
            case CG_PL_KE: {
                CgKePayload ke;
                ok = cg_payload_parse_ke(p->body, p->body_len, &ke, &error);
                break;
            }
            case CG_PL_IDI:
            case CG_PL_IDR: {
                CgIdPayload id;
                ok = cg_payload_parse_id(p->body, p->body_len, &id, &error);
                break;
            }
            case CG_PL_CERT:
            case CG_PL_CERTREQ: {
                CgCertPayload cert;
                ok = cg_payload_parse_cert(p->body, p->body_len, &cert, &error);
                break;
            }
            case CG_PL_AUTH: {
                CgAuthPayload auth;
                ok = cg_payload_parse_auth(p->body, p->body_len, &auth, &error);
                break;
            }
            case CG_PL_NONCE:
                ok = cg_payload_parse_nonce(p->body, p->body_len, &error);
                break;
            case CG_PL_NOTIFY: {
                CgNotifyPayload n;
                ok = cg_payload_parse_notify(p->body, p->body_len, &n, &error);
                break;
            }
            case CG_PL_DELETE:
                ok = cg_payload_parse_delete(p->body, p->body_len, del, &error);
                break;
            case CG_PL_TSI:
            case CG_PL_TSR: {
                CgTsPayload ts;
                ok = cg_payload_parse_ts(p->body, p->body_len, &ts, &error);
                break;
            }
            case CG_PL_CP: {
                CgCpPayload cp;
                ok = cg_payload_parse_cp(p->body, p->body_len, &cp, &error);
                break;
            }
            case CG_PL_EAP: {
                CgEapPayload eap;
                ok = cg_payload_parse_eap(p->body, p->body_len, &eap, &error);
                break;
            }
            case CG_PL_SKF: {
                CgSkfPayload skf;
                ok = cg_payload_parse_skf(p->body, p->body_len, &skf, &error);
                break;
            }
            default:
                break;
        }
        g_assert_no_error(error);
        g_assert_true(ok);
    }
}

/* The seeds come from tests/fuzz/make-corpus.py, an encoder written apart
 * from the codec: each must parse cleanly, as a message, or (name ending in
 * "-plaintext") as SK plaintext with its first byte as the first type, or
 * ("-body") as one payload body of the type in its first byte. */
static void
test_seed_corpus(void)
{
    g_autofree char *dir_path = NULL;
    g_autoptr(GDir) dir = NULL;
    g_autoptr(GError) error = NULL;
    const char *name;
    guint n_seeds = 0;

    if (g_getenv("G_TEST_SRCDIR") == NULL) {
        g_test_skip("G_TEST_SRCDIR not set (run through meson test)");
        return;
    }
    dir_path = g_test_build_filename(G_TEST_DIST, "..", "..", "fuzz", "corpus-ike-message", NULL);
    dir = g_dir_open(dir_path, 0, &error);
    g_assert_no_error(error);
    while ((name = g_dir_read_name(dir)) != NULL) {
        g_autofree char *path = g_build_filename(dir_path, name, NULL);
        g_autofree CgMessage *msg = g_new0(CgMessage, 1);
        g_autofree char *data = NULL;
        gsize len;

        g_assert_true(g_file_get_contents(path, &data, &len, &error));
        g_assert_no_error(error);
        if (g_str_has_suffix(name, "-body")) {
            g_assert_cmpuint(len, >, 0);
            msg->payloads[0] = (CgRawPayload){ .type = (guint8)data[0],
                                               .body = (const guint8 *)data + 1,
                                               .body_len = len - 1 };
            msg->n_payloads = 1;
        } else if (g_str_has_suffix(name, "-plaintext")) {
            g_assert_cmpuint(len, >, 0);
            g_assert_true(cg_payload_chain_parse((const guint8 *)data + 1, len - 1, (guint8)data[0],
                                                 msg, &error));
        } else {
            g_assert_true(cg_message_parse((const guint8 *)data, len, msg, &error));
        }
        g_assert_no_error(error);
        g_assert_cmpuint(msg->n_payloads, >, 0);
        assert_payloads_valid(msg);
        n_seeds++;
    }
    g_assert_cmpuint(n_seeds, >=, 5);
}

/* ---- random mutations --------------------------------------------------- */

static void
mutate(GByteArray *b)
{
    switch (g_test_rand_int_range(0, 4)) {
        case 0: /* flip a few bits */
            for (gint n = g_test_rand_int_range(1, 5); n > 0 && b->len > 0; n--)
                b->data[g_test_rand_int_range(0, (gint)b->len)]
                    ^= (guint8)(1u << g_test_rand_int_range(0, 8));
            break;
        case 1: /* overwrite a few bytes */
            for (gint n = g_test_rand_int_range(1, 5); n > 0 && b->len > 0; n--)
                b->data[g_test_rand_int_range(0, (gint)b->len)] = (guint8)g_test_rand_int();
            break;
        case 2: /* truncate */
            g_byte_array_set_size(b, (guint)g_test_rand_int_range(0, (gint)b->len + 1));
            break;
        default: /* a random 16-bit value at a random place, like a length */
            if (b->len >= 2) {
                gsize at = (gsize)g_test_rand_int_range(0, (gint)b->len - 1);

                b->data[at] = (guint8)g_test_rand_int();
                b->data[at + 1] = (guint8)g_test_rand_int();
            }
            break;
    }
}

static void
test_random_mutations(void)
{
    g_autoptr(GPtrArray) samples
        = g_ptr_array_new_with_free_func((GDestroyNotify)g_byte_array_unref);
    guint8 first;
    GByteArray *plain;

    g_ptr_array_add(samples, sample_ike_sa_init());
    g_ptr_array_add(samples, sample_ike_auth());
    g_ptr_array_add(
        samples, g_byte_array_append(g_byte_array_new(), rfc_ike_sa_init, sizeof rfc_ike_sa_init));
    /* SK plaintext the way the fuzzer reads it: first type, then chain */
    plain = sample_auth_plaintext(&first);
    g_byte_array_prepend(plain, &first, 1);
    g_ptr_array_add(samples, plain);

    for (guint round = 0; round < MUTATION_ROUNDS; round++) {
        GByteArray *sample = g_ptr_array_index(samples, round % samples->len);
        g_autoptr(GByteArray) b = g_byte_array_new();
        g_autofree guint8 *exact = NULL;

        g_byte_array_append(b, sample->data, sample->len);
        for (gint n = g_test_rand_int_range(1, 4); n > 0; n--)
            mutate(b);
        /* a heap copy of exactly b->len bytes: ASan flags any overread */
        exact = g_memdup2(b->data, b->len);
        LLVMFuzzerTestOneInput(exact, b->len);
    }

    /* the unmutated samples pass the fuzzer's own checks too */
    for (guint i = 0; i < samples->len; i++) {
        GByteArray *sample = g_ptr_array_index(samples, i);

        LLVMFuzzerTestOneInput(sample->data, sample->len);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/codec/reader", test_reader);
    g_test_add_func("/codec/header/roundtrip", test_header_roundtrip);
    g_test_add_func("/codec/header/rfc-vector", test_header_rfc_vector);
    g_test_add_func("/codec/header/truncated", test_header_truncated);
    g_test_add_func("/codec/header/bad-version", test_header_bad_version);
    g_test_add_func("/codec/header/length-mismatch", test_header_length_mismatch);
    g_test_add_func("/codec/chain/payload-too-short", test_chain_payload_too_short);
    g_test_add_func("/codec/chain/payload-past-end", test_chain_payload_past_end);
    g_test_add_func("/codec/chain/trailing-bytes", test_chain_trailing_bytes);
    g_test_add_func("/codec/chain/unknown-critical", test_chain_unknown_critical);
    g_test_add_func("/codec/chain/unknown-skipped", test_chain_unknown_skipped);
    g_test_add_func("/codec/chain/sk-not-last", test_chain_sk_not_last);
    g_test_add_func("/codec/chain/sk-nested", test_chain_sk_nested);
    g_test_add_func("/codec/chain/too-many", test_chain_too_many);
    g_test_add_func("/codec/chain/builder", test_chain_builder);
    g_test_add_func("/codec/chain/builder-after-header", test_chain_builder_after_header);
    g_test_add_func("/codec/message/ike-sa-init", test_message_ike_sa_init);
    g_test_add_func("/codec/message/ike-auth", test_message_ike_auth);
    g_test_add_func("/codec/roundtrip/sa", test_roundtrip_sa);
    g_test_add_func("/codec/roundtrip/ke", test_roundtrip_ke);
    g_test_add_func("/codec/roundtrip/id", test_roundtrip_id);
    g_test_add_func("/codec/roundtrip/cert", test_roundtrip_cert);
    g_test_add_func("/codec/roundtrip/auth", test_roundtrip_auth);
    g_test_add_func("/codec/roundtrip/nonce", test_roundtrip_nonce);
    g_test_add_func("/codec/roundtrip/notify", test_roundtrip_notify);
    g_test_add_func("/codec/roundtrip/delete", test_roundtrip_delete);
    g_test_add_func("/codec/roundtrip/vendor", test_roundtrip_vendor);
    g_test_add_func("/codec/roundtrip/ts", test_roundtrip_ts);
    g_test_add_func("/codec/roundtrip/cp", test_roundtrip_cp);
    g_test_add_func("/codec/roundtrip/eap", test_roundtrip_eap);
    g_test_add_func("/codec/roundtrip/skf", test_roundtrip_skf);
    g_test_add_func("/codec/sa/bad-spi-size", test_sa_bad_spi_size);
    g_test_add_func("/codec/sa/proposal-too-short", test_sa_proposal_too_short);
    g_test_add_func("/codec/sa/transform-too-short", test_sa_transform_too_short);
    g_test_add_func("/codec/sa/attribute-overflow", test_sa_attribute_overflow);
    g_test_add_func("/codec/sa/unknown-attribute-dropped", test_sa_unknown_attribute_dropped);
    g_test_add_func("/codec/sa/substructure-checks", test_sa_substructure_checks);
    g_test_add_func("/codec/sa/too-many", test_sa_too_many);
    g_test_add_func("/codec/ts/start-after-end", test_ts_start_after_end);
    g_test_add_func("/codec/ts/wrong-length", test_ts_wrong_length);
    g_test_add_func("/codec/ts/unknown-type-skipped", test_ts_unknown_type_skipped);
    g_test_add_func("/codec/ts/too-many", test_ts_too_many);
    g_test_add_func("/codec/eap/malformed", test_eap_malformed);
    g_test_add_func("/codec/payload/malformed", test_simple_malformed);
    g_test_add_func("/codec/cp/too-many", test_cp_too_many);
    g_test_add_func("/codec/names", test_names);
    g_test_add_func("/codec/seed-corpus", test_seed_corpus);
    g_test_add_func("/codec/random-mutations", test_random_mutations);
    return g_test_run();
}
