/* fuzz-auth.c: libFuzzer target for the parsers of authentication data
 * from the network: EAP messages (peer and server, several in a row so
 * the fuzzer reaches the MS-CHAPv2 states), X.509 certificates (names,
 * subjectAltNames, identity checks, key types), RFC 7427 AlgorithmIdentifiers,
 * DER and PEM.
 *
 * Input: one selector byte, then records of a 16-bit big-endian length
 * and that many bytes (a record running past the end takes the rest). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/cg-auth.h"
#include "auth/cg-eap.h"
#include "crypto/cg-cert.h"
#include "crypto/cg-der.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

typedef struct {
    const uint8_t *data;
    size_t left;
} Records;

static gboolean
next_record(Records *r, const uint8_t **rec, size_t *len)
{
    if (r->left < 2)
        return FALSE;
    size_t want = (size_t)r->data[0] << 8 | r->data[1];
    r->data += 2;
    r->left -= 2;
    *len = want < r->left ? want : r->left;
    *rec = r->data;
    r->data += *len;
    r->left -= *len;
    return TRUE;
}

static void
check_error(gboolean failed, GError **error)
{
    /* a failure always says why */
    if (failed)
        FUZZ_CHECK(*error && (*error)->message && (*error)->message[0]);
    g_clear_error(error);
}

static GBytes *
password_of(const char *identity, gpointer user_data)
{
    return g_bytes_new_static("fuzz password", 13);
}

static void
fuzz_eap_peer(Records *r)
{
    g_autoptr(GBytes) pw = g_bytes_new_static("fuzz password", 13);
    CgEapPeerParams params = { .method = CG_EAP_ANY, .identity = "fuzz", .password = pw };
    g_autoptr(CgEapPeer) peer = cg_eap_peer_new(&params);
    const uint8_t *rec;
    size_t len;
    while (next_record(r, &rec, &len)) {
        g_autoptr(GBytes) out = NULL;
        GError *error = NULL;
        CgEapStatus st = cg_eap_peer_process(peer, rec, len, &out, &error);
        check_error(st == CG_EAP_FAILURE, &error);
        if (st == CG_EAP_SUCCESS) {
            /* success only ever after the server proved itself */
            FUZZ_CHECK(cg_eap_peer_server_authenticated(peer));
            g_autoptr(GBytes) msk = cg_eap_peer_msk(peer);
            FUZZ_CHECK(msk && g_bytes_get_size(msk) == CG_EAP_MSK_LEN);
        }
        if (out) {
            gsize n;
            const guint8 *o = g_bytes_get_data(out, &n);
            /* what we send is well-formed: its Length field is its size */
            FUZZ_CHECK(n >= 4 && ((gsize)o[2] << 8 | o[3]) == n);
        }
    }
}

static void
fuzz_eap_server(Records *r)
{
    g_autoptr(CgEapServer) server = cg_eap_server_new(CG_EAP_ANY, "fuzz", password_of, NULL);
    g_autoptr(GBytes) start = cg_eap_server_start(server);
    /* the server picks a random identifier: answer with the right one,
     * or the fuzzer never gets past the first check */
    guint8 expect_id = ((const guint8 *)g_bytes_get_data(start, NULL))[1];
    gboolean done = FALSE;
    const uint8_t *rec;
    size_t len;
    while (next_record(r, &rec, &len)) {
        g_autofree guint8 *msg = len ? g_memdup2(rec, len) : NULL;
        if (len >= 2)
            msg[1] = expect_id;
        g_autoptr(GBytes) out = NULL;
        GError *error = NULL;
        CgEapStatus st = cg_eap_server_process(server, msg, len, &out, &error);
        check_error(st == CG_EAP_FAILURE, &error);
        /* the conversation ends with an EAP-Success / EAP-Failure to send */
        if (st != CG_EAP_CONTINUE && !done)
            FUZZ_CHECK(out != NULL);
        done |= st != CG_EAP_CONTINUE;
        if (out)
            expect_id = ((const guint8 *)g_bytes_get_data(out, NULL))[1];
    }
}

static void
fuzz_cert(const uint8_t *data, size_t len)
{
    GError *error = NULL;
    g_autoptr(CgCert) cert = cg_cert_new_from_der(data, len, &error);
    check_error(cert == NULL, &error);
    if (!cert)
        return;
    g_autofree char *subject = cg_cert_subject(cert);
    g_autofree char *issuer = cg_cert_issuer(cert);
    g_autofree char *serial = cg_cert_serial(cert);
    g_autofree char *alt = cg_cert_alt_names(cert);
    FUZZ_CHECK(subject && issuer && serial && alt);
    guint8 h[20];
    cg_cert_spki_sha1(cert, h);
    guint bits;
    cg_cert_key_type(cert, &bits);
    cg_cert_is_ca(cert);
    static const guint8 ip4[4] = { 10, 0, 0, 1 };
    cg_cert_matches_id(cert, 1, ip4, 4);
    cg_cert_matches_id(cert, 2, (const guint8 *)"gw.test", 7);
    cg_cert_matches_id(cert, 3, (const guint8 *)"a@b", 3);
    g_autoptr(GBytes) dn = cg_cert_subject_der(cert);
    FUZZ_CHECK(cg_cert_matches_id(cert, 9, g_bytes_get_data(dn, NULL), g_bytes_get_size(dn))
               || g_bytes_get_size(dn) == 0);
    CgCertPolicy policy = { NULL, NULL, 0 };
    g_autofree char *detail = NULL;
    cg_cert_verify(cert, NULL, &policy, &detail);
}

static void
fuzz_der(const uint8_t *data, size_t len)
{
    CgSigScheme s;
    gsize consumed = 0;
    GError *error = NULL;
    gboolean ok = cg_sigalg_decode(data, len, &s, &consumed, &error);
    check_error(!ok, &error);
    if (ok)
        FUZZ_CHECK(consumed <= len);
    g_autofree char *dn = cg_dn_to_string(data, len);
    FUZZ_CHECK(!dn || dn[0] != 1); /* whatever it is, it is a string */
    /* walk it as DER, element by element, depth first (bounded) */
    CgDer stack[8];
    int depth = 0;
    cg_der_init(&stack[0], data, len);
    for (int steps = 0; steps < 4096 && depth >= 0; steps++) {
        guint8 tag;
        const guint8 *content;
        gsize clen;
        if (!cg_der_read_any(&stack[depth], &tag, &content, &clen, NULL, NULL)) {
            depth--;
            continue;
        }
        FUZZ_CHECK(content + clen <= data + len);
        if ((tag & 0x20) && depth < 7)
            cg_der_init(&stack[++depth], content, clen);
    }
    GError *pem_error = NULL;
    GPtrArray *blocks = cg_pem_decode(data, len, &pem_error);
    check_error(blocks == NULL, &pem_error);
    if (blocks)
        g_ptr_array_unref(blocks);
    cg_sighash_parse(data, len);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    g_autoptr(GError) error = NULL;
    if (!cg_crypto_init(NULL, &error))
        abort();
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    Records r = { data + 1, size - 1 };
    switch (data[0] % 4) {
        case 0:
            fuzz_eap_peer(&r);
            break;
        case 1:
            fuzz_eap_server(&r);
            break;
        case 2:
            fuzz_cert(data + 1, size - 1);
            break;
        case 3:
            fuzz_der(data + 1, size - 1);
            break;
    }
    return 0;
}
