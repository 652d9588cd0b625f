/* cg-auth-cert-check.c: a peer certificate check that asks an OCSP
 * responder runs off the engine's context.
 *
 * With `ocsp = soft|hard`, checking the peer's certificate means an HTTP
 * request to its OCSP responder (RFC 6960), which may take up to twice
 * CG_OCSP_TIMEOUT_S when the responder is silent. Done inline, that wait
 * would stop every other IKE_SA of the engine (retransmits, liveness
 * checks, other handshakes) and its control socket. So the first IKE_AUTH
 * message that carries AUTH and CERT payloads is held: its certificates
 * are checked on a blocking-work thread, and when the verdict is in, the
 * message is replayed through the IKE_SA (cg_ike_sa_replay), where
 * peer_certificate() takes the verdict instead of checking again.
 *
 * While the check runs the IKE_SA counts as busy (crypto_busy, as for the
 * IKE_SA_INIT key job): requests and responses arriving meanwhile (the
 * peer's retransmits) are dropped, and a destroyed IKE_SA is freed by the
 * job's completion, not before. */
#include "auth/cg-auth.h"

#include "log/cg-log.h"

struct CgCertCheck {
    gboolean running;
    CgConnConfig *config; /* the connection whose trust the verdict holds for */
    GBytes *end_der;
    CgCertStatus status;
    char *detail;
};

typedef struct {
    CgIkeSa *ike;
    /* input, owned by the job */
    CgCert *end;
    GPtrArray *inter;
    GPtrArray *anchors;
    GPtrArray *crls;
    CgOcspMode ocsp;
    /* output */
    CgCertStatus status;
    char *detail;
    /* the held message */
    gboolean response;
    guint8 exchange_type;
    guint32 msg_id;
    CgMessageCopy *held;
    GSocketAddress *local, *remote;
    gboolean natt;
} CheckJob;

void
cg_cert_check_free(CgCertCheck *check)
{
    if (!check)
        return;
    g_clear_pointer(&check->end_der, g_bytes_unref);
    g_clear_pointer(&check->config, cg_conn_config_unref);
    g_free(check->detail);
    g_free(check);
}

static void
job_free(CheckJob *job)
{
    g_clear_pointer(&job->end, cg_cert_unref);
    g_clear_pointer(&job->inter, g_ptr_array_unref);
    g_clear_pointer(&job->anchors, g_ptr_array_unref);
    g_clear_pointer(&job->crls, g_ptr_array_unref);
    g_free(job->detail);
    g_clear_pointer(&job->held, cg_message_copy_free);
    g_clear_object(&job->local);
    g_clear_object(&job->remote);
    g_free(job);
}

static void
check_work(gpointer data)
{
    CheckJob *job = data;
    if (cg_engine_closing(job->ike->engine)) {
        /* shutting down: no verdict is needed, and waiting would delay it */
        job->status = CG_CERT_STATUS_UNKNOWN;
        return;
    }
    CgCertPolicy policy = { job->anchors, job->crls, 0, job->ocsp };
    job->status = cg_cert_verify(job->end, job->inter, &policy, &job->detail);
}

static void
check_done(gpointer data)
{
    CheckJob *job = data;
    CgIkeSa *ike = job->ike;
    if (!cg_ike_sa_job_finished(ike) || cg_engine_closing(ike->engine)) {
        job_free(job); /* the IKE_SA was destroyed meanwhile, or the engine is closing */
        return;
    }
    CgCertCheck *check = cg_auth_state_get(ike)->cert_check;
    check->running = FALSE;
    check->status = job->status;
    check->detail = g_steal_pointer(&job->detail);
    cg_ike_sa_log(ike, CG_LOG_DEBUG, "the peer's certificate check finished (%s)",
                  job->status == CG_CERT_OK ? "accepted" : "rejected");
    cg_ike_sa_replay(ike, job->response, job->exchange_type, job->msg_id, &job->held->msg,
                     job->local, job->remote, job->natt);
    job_free(job);
}

/* The connection whose trust will judge the message's certificates: as a
 * responder, the one the peer's IDi selects (sa/cg-ike-auth.c switches to
 * it before checking), else our own. NULL when none would. */
static CgConnConfig *
judging_config(CgIkeSa *ike, gboolean response, const CgMessage *msg)
{
    const CgRawPayload *p_idi = response ? NULL : cg_message_find(msg, CG_PL_IDI);
    if (!p_idi)
        return ike->config;
    CgIdPayload id;
    if (!cg_payload_parse_id(p_idi->body, p_idi->body_len, &id, NULL))
        return NULL;
    CgIdentity peer = { id.id_type, g_bytes_new(id.data, id.data_len) };
    CgConnConfig *config = cg_engine_match_responder(ike->engine, ike->local, ike->remote, &peer);
    cg_identity_clear(&peer);
    return config;
}

/* Whether checking this message's certificates may wait on the network. */
static gboolean
needs_responder(CgIkeSa *ike, gboolean response, guint8 exchange_type, const CgMessage *msg,
                CgConnConfig **config, CgAuthCreds **creds)
{
    if (exchange_type != CG_EXCH_IKE_AUTH)
        return FALSE;
    if (!cg_message_find(msg, CG_PL_AUTH) || !cg_message_find(msg, CG_PL_CERT))
        return FALSE;
    /* no connection, or CAs that do not load: the inline path says so */
    *config = judging_config(ike, response, msg);
    if (!*config || (*config)->remote_auth != CG_AUTH_BY_PUBKEY
        || !cg_auth_creds_trust(*config, creds, NULL))
        return FALSE;
    return !(*creds)->pinned && (*creds)->ocsp != CG_OCSP_OFF;
}

gboolean
cg_auth_cert_check_hold(CgIkeSa *ike, gboolean response, guint8 exchange_type, guint32 msg_id,
                        const CgMessage *msg, GSocketAddress *local, GSocketAddress *remote,
                        gboolean natt)
{
    CgConnConfig *config;
    CgAuthCreds *creds;
    if (!needs_responder(ike, response, exchange_type, msg, &config, &creds))
        return FALSE;
    if (cg_engine_closing(ike->engine))
        return TRUE; /* shutting down: dropped, no new job */
    g_autoptr(GPtrArray) certs = g_ptr_array_new_with_free_func((GDestroyNotify)cg_cert_unref);
    /* malformed CERT payloads are reported by the inline path */
    if (!cg_auth_collect_certs(msg, certs, NULL) || certs->len == 0)
        return FALSE;
    CgAuthState *st = cg_auth_state_get(ike);
    g_autoptr(GBytes) der = cg_cert_der(certs->pdata[0]);
    if (st->cert_check) {
        if (st->cert_check->running)
            return TRUE; /* a copy is held already */
        if (st->cert_check->config == config && g_bytes_equal(st->cert_check->end_der, der))
            return FALSE; /* the verdict is in: go on */
        g_clear_pointer(&st->cert_check, cg_cert_check_free);
    }

    CheckJob *job = g_new0(CheckJob, 1);
    job->ike = ike;
    job->end = cg_cert_ref(certs->pdata[0]);
    job->inter = g_ptr_array_new_with_free_func((GDestroyNotify)cg_cert_unref);
    for (guint i = 1; i < certs->len; i++)
        g_ptr_array_add(job->inter, cg_cert_ref(certs->pdata[i]));
    job->anchors = creds->anchors ? g_ptr_array_ref(creds->anchors) : NULL;
    job->crls = creds->crls ? g_ptr_array_ref(creds->crls) : NULL;
    job->ocsp = creds->ocsp;
    job->response = response;
    job->exchange_type = exchange_type;
    job->msg_id = msg_id;
    job->held = cg_message_copy(msg);
    job->local = local ? g_object_ref(local) : NULL;
    job->remote = remote ? g_object_ref(remote) : NULL;
    job->natt = natt;

    st->cert_check = g_new0(CgCertCheck, 1);
    st->cert_check->running = TRUE;
    st->cert_check->config = cg_conn_config_ref(config);
    st->cert_check->end_der = g_steal_pointer(&der);
    ike->crypto_busy = TRUE;
    cg_ike_sa_log(ike, CG_LOG_DEBUG,
                  "checking the peer's certificate with its OCSP responder in the background");
    cg_engine_run_blocking(ike->engine, check_work, check_done, job);
    return TRUE;
}

gboolean
cg_auth_cert_check_verdict(CgIkeSa *ike, CgCert *end, CgCertStatus *status, char **detail)
{
    CgCertCheck *check = cg_auth_state_get(ike)->cert_check;
    if (!check || check->running || check->config != ike->config)
        return FALSE;
    g_autoptr(GBytes) der = cg_cert_der(end);
    if (!g_bytes_equal(check->end_der, der))
        return FALSE;
    *status = check->status;
    *detail = g_strdup(check->detail);
    return TRUE;
}
