/* fuzz-ike-message.c: libFuzzer target for the IKEv2 codec.
 *
 * Parses the input as a whole IKE message, then every payload with its
 * typed parser, then the input as SK plaintext (first byte = type of the
 * first payload), then the rest of the input as one payload body of that
 * type. What parses must also survive write -> parse unchanged.
 * The codec unit test links this file too and feeds it mutated messages. */
#include "codec/cg-codec.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant must crash, so libFuzzer records the input. */
#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

/* A failure always names a CG_CODEC_ERROR with a message; clears *error. */
static void
check_error(gboolean ok, GError **error)
{
    FUZZ_CHECK(ok == (*error == NULL));
    if (*error != NULL) {
        FUZZ_CHECK((*error)->domain == CG_CODEC_ERROR);
        FUZZ_CHECK((*error)->message != NULL && (*error)->message[0] != '\0');
        g_clear_error(error);
    }
}

static gboolean
sa_equal(const CgSaPayload *a, const CgSaPayload *b)
{
    if (a->n_proposals != b->n_proposals)
        return FALSE;
    for (guint i = 0; i < a->n_proposals; i++) {
        const CgProposal *pa = &a->proposals[i], *pb = &b->proposals[i];

        if (pa->number != pb->number || pa->protocol_id != pb->protocol_id
            || pa->spi_size != pb->spi_size || memcmp(pa->spi, pb->spi, pa->spi_size) != 0
            || pa->n_transforms != pb->n_transforms)
            return FALSE;
        for (guint j = 0; j < pa->n_transforms; j++) {
            if (pa->transforms[j].type != pb->transforms[j].type
                || pa->transforms[j].id != pb->transforms[j].id
                || pa->transforms[j].key_bits != pb->transforms[j].key_bits)
                return FALSE;
        }
    }
    return TRUE;
}

static void
fuzz_sa(const CgRawPayload *p)
{
    static CgSaPayload sa, again;
    GError *error = NULL;
    gboolean ok = cg_payload_parse_sa(p->body, p->body_len, &sa, &error);

    check_error(ok, &error);
    if (ok) {
        GByteArray *b = g_byte_array_new();

        cg_payload_write_sa(b, &sa);
        FUZZ_CHECK(cg_payload_parse_sa(b->data, b->len, &again, NULL));
        FUZZ_CHECK(sa_equal(&sa, &again));
        g_byte_array_unref(b);
    }
}

static void
fuzz_ts(const CgRawPayload *p)
{
    CgTsPayload ts, again;
    GError *error = NULL;
    gboolean ok = cg_payload_parse_ts(p->body, p->body_len, &ts, &error);

    check_error(ok, &error);
    /* skipped selector types make n_ts 0, which cannot be written */
    if (ok && ts.n_ts > 0) {
        GByteArray *b = g_byte_array_new();

        cg_payload_write_ts(b, &ts);
        FUZZ_CHECK(cg_payload_parse_ts(b->data, b->len, &again, NULL));
        FUZZ_CHECK(again.n_ts == ts.n_ts);
        for (guint i = 0; i < ts.n_ts; i++) {
            FUZZ_CHECK(again.ts[i].ts_type == ts.ts[i].ts_type);
            FUZZ_CHECK(again.ts[i].ip_protocol == ts.ts[i].ip_protocol);
            FUZZ_CHECK(again.ts[i].start_port == ts.ts[i].start_port);
            FUZZ_CHECK(again.ts[i].end_port == ts.ts[i].end_port);
            FUZZ_CHECK(memcmp(again.ts[i].start_addr, ts.ts[i].start_addr, 16) == 0);
            FUZZ_CHECK(memcmp(again.ts[i].end_addr, ts.ts[i].end_addr, 16) == 0);
        }
        g_byte_array_unref(b);
    }
}

static void
fuzz_cp(const CgRawPayload *p)
{
    CgCpPayload cp, again;
    GError *error = NULL;
    gboolean ok = cg_payload_parse_cp(p->body, p->body_len, &cp, &error);

    check_error(ok, &error);
    if (ok) {
        GByteArray *b = g_byte_array_new();

        cg_payload_write_cp(b, &cp);
        /* the reserved bit is dropped, everything else is byte-exact */
        FUZZ_CHECK(b->len == p->body_len);
        FUZZ_CHECK(cg_payload_parse_cp(b->data, b->len, &again, NULL));
        FUZZ_CHECK(again.cfg_type == cp.cfg_type && again.n_attrs == cp.n_attrs);
        for (guint i = 0; i < cp.n_attrs; i++) {
            FUZZ_CHECK(again.attrs[i].type == cp.attrs[i].type);
            FUZZ_CHECK(again.attrs[i].value_len == cp.attrs[i].value_len);
            FUZZ_CHECK(cp.attrs[i].value_len == 0
                       || memcmp(again.attrs[i].value, cp.attrs[i].value, cp.attrs[i].value_len)
                              == 0);
        }
        g_byte_array_unref(b);
    }
}

static void
fuzz_delete(const CgRawPayload *p)
{
    static CgDeletePayload d;
    GError *error = NULL;
    gboolean ok = cg_payload_parse_delete(p->body, p->body_len, &d, &error);

    check_error(ok, &error);
    if (ok) {
        GByteArray *b = g_byte_array_new();

        cg_payload_write_delete(b, &d);
        FUZZ_CHECK(b->len == p->body_len && memcmp(b->data, p->body, b->len) == 0);
        g_byte_array_unref(b);
    }
}

/* Touches every byte a parser points to, so ASan sees a bad pointer. */
static guint8
touch(const guint8 *data, gsize len)
{
    guint8 sum = 0;

    for (gsize i = 0; i < len; i++)
        sum ^= data[i];
    return sum;
}

static void fuzz_typed(const CgRawPayload *p);

/* Runs the typed parser on an exact-size heap copy of the body, so ASan
 * flags a read past body_len even where the message has bytes after it. */
static void
fuzz_payload(const CgRawPayload *in)
{
    CgRawPayload copy = *in;
    guint8 *body = g_memdup2(in->body, in->body_len);

    copy.body = body;
    fuzz_typed(&copy);
    g_free(body);
}

static void
fuzz_typed(const CgRawPayload *p)
{
    GError *error = NULL;
    gboolean ok;
    volatile guint8 sink = touch(p->body, p->body_len);

    switch (p->type) {
        case CG_PL_SA:
            fuzz_sa(p);
            return;
        case CG_PL_TSI:
        case CG_PL_TSR:
            fuzz_ts(p);
            return;
        case CG_PL_CP:
            fuzz_cp(p);
            return;
        case CG_PL_DELETE:
            fuzz_delete(p);
            return;
        case CG_PL_KE: {
            CgKePayload ke;
            ok = cg_payload_parse_ke(p->body, p->body_len, &ke, &error);
            if (ok)
                sink ^= touch(ke.data, ke.data_len);
            break;
        }
        case CG_PL_IDI:
        case CG_PL_IDR: {
            CgIdPayload id;
            ok = cg_payload_parse_id(p->body, p->body_len, &id, &error);
            if (ok)
                sink ^= touch(id.data, id.data_len);
            break;
        }
        case CG_PL_CERT:
        case CG_PL_CERTREQ: {
            CgCertPayload cert;
            ok = cg_payload_parse_cert(p->body, p->body_len, &cert, &error);
            if (ok)
                sink ^= touch(cert.data, cert.data_len);
            break;
        }
        case CG_PL_AUTH: {
            CgAuthPayload auth;
            ok = cg_payload_parse_auth(p->body, p->body_len, &auth, &error);
            if (ok)
                sink ^= touch(auth.data, auth.data_len);
            break;
        }
        case CG_PL_NONCE:
            ok = cg_payload_parse_nonce(p->body, p->body_len, &error);
            break;
        case CG_PL_NOTIFY: {
            CgNotifyPayload n;
            ok = cg_payload_parse_notify(p->body, p->body_len, &n, &error);
            if (ok) {
                sink ^= touch(n.spi, n.spi_size);
                sink ^= touch(n.data, n.data_len);
                FUZZ_CHECK(cg_notify_name(n.type) != NULL);
            }
            break;
        }
        case CG_PL_EAP: {
            CgEapPayload eap;
            ok = cg_payload_parse_eap(p->body, p->body_len, &eap, &error);
            if (ok)
                sink ^= touch(eap.data, eap.data_len);
            break;
        }
        case CG_PL_SKF: {
            CgSkfPayload skf;
            ok = cg_payload_parse_skf(p->body, p->body_len, &skf, &error);
            if (ok)
                sink ^= touch(skf.data, skf.data_len);
            break;
        }
        default:
            /* Vendor and SK bodies are opaque */
            return;
    }
    (void)sink;
    check_error(ok, &error);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static CgMessage msg;
    GError *error = NULL;
    gboolean ok;

    ok = cg_message_parse(data, size, &msg, &error);
    check_error(ok, &error);
    FUZZ_CHECK(msg.n_payloads <= CG_MAX_PAYLOADS);
    FUZZ_CHECK(cg_exchange_name(msg.header.exchange_type) != NULL);
    for (guint i = 0; i < msg.n_payloads; i++) {
        FUZZ_CHECK(msg.payloads[i].body >= data
                   && msg.payloads[i].body + msg.payloads[i].body_len <= data + size);
        FUZZ_CHECK(cg_payload_type_name(msg.payloads[i].type) != NULL);
        fuzz_payload(&msg.payloads[i]);
    }

    if (size >= 1) {
        CgRawPayload whole = { .type = data[0], .body = data + 1, .body_len = size - 1 };

        /* the same bytes as the plaintext inside SK */
        memset(&msg, 0, sizeof msg);
        ok = cg_payload_chain_parse(data + 1, size - 1, data[0], &msg, &error);
        check_error(ok, &error);
        for (guint i = 0; i < msg.n_payloads; i++)
            fuzz_payload(&msg.payloads[i]);

        /* and as one payload body of that type, so mutations of a body
         * need not keep the lengths around it consistent */
        fuzz_payload(&whole);
    }
    return 0;
}
