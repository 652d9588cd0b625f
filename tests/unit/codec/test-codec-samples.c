/* test-codec-samples.c: valid encodings for the codec unit tests. */
#include "test-codec-samples.h"

#include <string.h>

static const guint8 sample_spi_i[8] = { 0x5f, 0x54, 0x1d, 0x6a, 0x3b, 0x2c, 0x11, 0x9e };
static const guint8 sample_spi_r[8] = { 0xa1, 0x02, 0xb3, 0x04, 0xc5, 0x06, 0xd7, 0x08 };

static void
fill_pattern(guint8 *p, gsize len, guint8 seed)
{
    for (gsize i = 0; i < len; i++)
        p[i] = (guint8)(seed + i * 7);
}

static GByteArray *
message_begin(guint8 exchange_type, const guint8 *spi_r, guint32 message_id)
{
    GByteArray *b = g_byte_array_new();
    CgIkeHeader h = {
        .major_version = 2,
        .exchange_type = exchange_type,
        .flags = CG_FLAG_INITIATOR,
        .message_id = message_id,
    };

    memcpy(h.spi_i, sample_spi_i, 8);
    if (spi_r != NULL)
        memcpy(h.spi_r, spi_r, 8);
    cg_header_write(b, &h);
    return b;
}

void
sample_ike_sa(CgSaPayload *sa)
{
    memset(sa, 0, sizeof *sa);
    sa->n_proposals = 2;
    sa->proposals[0] = (CgProposal){
        .number = 1,
        .protocol_id = CG_PROTO_IKE,
        .n_transforms = 4,
        .transforms = {
            { CG_TRANS_ENCR, 20 /* AES-GCM-16 */, 256 },
            { CG_TRANS_PRF, 7 /* HMAC-SHA2-512 */, 0 },
            { CG_TRANS_DH, 31 /* Curve25519 */, 0 },
            { CG_TRANS_DH, 19 /* ECP-256 */, 0 },
        },
    };
    sa->proposals[1] = (CgProposal){
        .number = 2,
        .protocol_id = CG_PROTO_IKE,
        .n_transforms = 5,
        .transforms = {
            { CG_TRANS_ENCR, 12 /* AES-CBC */, 128 },
            { CG_TRANS_ENCR, 12 /* AES-CBC */, 256 },
            { CG_TRANS_PRF, 5 /* HMAC-SHA2-256 */, 0 },
            { CG_TRANS_INTEG, 12 /* HMAC-SHA2-256-128 */, 0 },
            { CG_TRANS_DH, 14 /* MODP-2048 */, 0 },
        },
    };
}

GByteArray *
sample_ike_sa_init(void)
{
    GByteArray *b = message_begin(CG_EXCH_IKE_SA_INIT, NULL, 0);
    CgChainBuilder cb;
    CgSaPayload *sa = g_new0(CgSaPayload, 1);
    guint8 ke[32], nonce[32], nat_src[20], nat_dst[20];
    gsize off;

    fill_pattern(ke, sizeof ke, 1);
    fill_pattern(nonce, sizeof nonce, 2);
    fill_pattern(nat_src, sizeof nat_src, 3);
    fill_pattern(nat_dst, sizeof nat_dst, 4);
    sample_ike_sa(sa);

    cg_chain_init(&cb, b);
    off = cg_chain_begin_payload(&cb, CG_PL_SA, FALSE);
    cg_payload_write_sa(b, sa);
    cg_chain_end_payload(&cb, off);
    off = cg_chain_begin_payload(&cb, CG_PL_KE, FALSE);
    cg_payload_write_ke(b, 31, ke, sizeof ke);
    cg_chain_end_payload(&cb, off);
    off = cg_chain_begin_payload(&cb, CG_PL_NONCE, FALSE);
    cg_put_bytes(b, nonce, sizeof nonce);
    cg_chain_end_payload(&cb, off);
    off = cg_chain_begin_payload(&cb, CG_PL_NOTIFY, FALSE);
    cg_payload_write_notify(b, 0, NULL, 0, CG_N_NAT_DETECTION_SOURCE_IP, nat_src, sizeof nat_src);
    cg_chain_end_payload(&cb, off);
    off = cg_chain_begin_payload(&cb, CG_PL_NOTIFY, FALSE);
    cg_payload_write_notify(b, 0, NULL, 0, CG_N_NAT_DETECTION_DESTINATION_IP, nat_dst,
                            sizeof nat_dst);
    cg_chain_end_payload(&cb, off);
    cg_header_finish(b, 0, cb.first_type);
    g_free(sa);
    return b;
}

GByteArray *
sample_auth_plaintext(guint8 *first)
{
    GByteArray *b = g_byte_array_new();
    CgChainBuilder cb;
    CgSaPayload *sa = g_new0(CgSaPayload, 1);
    CgTsPayload ts = { 0 };
    CgCpPayload cp = { 0 };
    CgDeletePayload *del = g_new0(CgDeletePayload, 1);
    static const guint8 fqdn[] = "client.example.org";
    static const guint8 ca_hash[20] = { 1, 2, 3 };
    static const guint8 vendor[16] = { 0xca, 0xfe };
    static const guint8 app_version[] = "cygnet";
    static const guint8 eap_identity[] = "alice";
    guint8 cert[100], auth[64];
    gsize off;

    fill_pattern(cert, sizeof cert, 5);
    fill_pattern(auth, sizeof auth, 6);
    cg_chain_init(&cb, b);

    off = cg_chain_begin_payload(&cb, CG_PL_IDI, FALSE);
    cg_payload_write_id(b, CG_ID_FQDN, fqdn, sizeof fqdn - 1);
    cg_chain_end_payload(&cb, off);
    off = cg_chain_begin_payload(&cb, CG_PL_CERT, FALSE);
    cg_payload_write_cert(b, 4 /* X.509 signature */, cert, sizeof cert);
    cg_chain_end_payload(&cb, off);
    off = cg_chain_begin_payload(&cb, CG_PL_CERTREQ, FALSE);
    cg_payload_write_cert(b, 4, ca_hash, sizeof ca_hash);
    cg_chain_end_payload(&cb, off);
    off = cg_chain_begin_payload(&cb, CG_PL_AUTH, FALSE);
    cg_payload_write_auth(b, CG_AUTH_DIGITAL_SIGNATURE, auth, sizeof auth);
    cg_chain_end_payload(&cb, off);

    cp.cfg_type = CG_CFG_REQUEST;
    cp.n_attrs = 3;
    cp.attrs[0] = (CgCfgAttr){ CG_CA_INTERNAL_IP4_ADDRESS, NULL, 0 };
    cp.attrs[1] = (CgCfgAttr){ CG_CA_INTERNAL_IP4_DNS, NULL, 0 };
    cp.attrs[2] = (CgCfgAttr){ CG_CA_APPLICATION_VERSION, app_version, sizeof app_version - 1 };
    off = cg_chain_begin_payload(&cb, CG_PL_CP, FALSE);
    cg_payload_write_cp(b, &cp);
    cg_chain_end_payload(&cb, off);

    sa->n_proposals = 1;
    sa->proposals[0] = (CgProposal){
        .number = 1,
        .protocol_id = CG_PROTO_ESP,
        .spi_size = 4,
        .spi = { 0xc0, 0x01, 0xd0, 0x0d },
        .n_transforms = 2,
        .transforms = { { CG_TRANS_ENCR, 20, 256 }, { CG_TRANS_ESN, 0, 0 } },
    };
    off = cg_chain_begin_payload(&cb, CG_PL_SA, FALSE);
    cg_payload_write_sa(b, sa);
    cg_chain_end_payload(&cb, off);

    ts.n_ts = 2;
    ts.ts[0] = (CgTrafficSelector){ CG_TS_IPV4_ADDR_RANGE, 0, 0, 65535, { 10, 0, 0, 0 },
                                    { 10, 0, 255, 255 } };
    ts.ts[1] = (CgTrafficSelector){ CG_TS_IPV6_ADDR_RANGE,
                                    17,
                                    500,
                                    4500,
                                    { 0x20, 0x01, 0x0d, 0xb8 },
                                    { 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff } };
    off = cg_chain_begin_payload(&cb, CG_PL_TSI, FALSE);
    cg_payload_write_ts(b, &ts);
    cg_chain_end_payload(&cb, off);
    ts.n_ts = 1;
    off = cg_chain_begin_payload(&cb, CG_PL_TSR, FALSE);
    cg_payload_write_ts(b, &ts);
    cg_chain_end_payload(&cb, off);

    off = cg_chain_begin_payload(&cb, CG_PL_NOTIFY, FALSE);
    cg_payload_write_notify(b, CG_PROTO_ESP, sa->proposals[0].spi, 4, CG_N_REKEY_SA, NULL, 0);
    cg_chain_end_payload(&cb, off);

    del->protocol_id = CG_PROTO_ESP;
    del->spi_size = 4;
    del->n_spis = 2;
    memcpy(del->spis[0], "\x11\x22\x33\x44", 4);
    memcpy(del->spis[1], "\x55\x66\x77\x88", 4);
    off = cg_chain_begin_payload(&cb, CG_PL_DELETE, FALSE);
    cg_payload_write_delete(b, del);
    cg_chain_end_payload(&cb, off);

    off = cg_chain_begin_payload(&cb, CG_PL_EAP, FALSE);
    cg_payload_write_eap(b, 2 /* Response */, 7, 1 /* Identity */, eap_identity,
                         sizeof eap_identity - 1);
    cg_chain_end_payload(&cb, off);

    cg_chain_add_raw(&cb, CG_PL_VENDOR, vendor, sizeof vendor);

    *first = cb.first_type;
    g_free(sa);
    g_free(del);
    return b;
}

GByteArray *
sample_ike_auth(void)
{
    GByteArray *b = message_begin(CG_EXCH_IKE_AUTH, sample_spi_r, 1);
    g_autoptr(GByteArray) plain = NULL;
    CgChainBuilder cb;
    guint8 inner_first, iv[8], icv[16];
    gsize off;

    plain = sample_auth_plaintext(&inner_first);
    fill_pattern(iv, sizeof iv, 8);
    fill_pattern(icv, sizeof icv, 9);
    cg_chain_init(&cb, b);
    off = cg_chain_begin_encrypted(&cb, CG_PL_SK, inner_first);
    cg_put_bytes(b, iv, sizeof iv);
    cg_put_bytes(b, plain->data, plain->len);
    cg_put_bytes(b, icv, sizeof icv);
    cg_chain_end_payload(&cb, off);
    cg_header_finish(b, 0, cb.first_type);
    return b;
}
