/* cg-xfrm-msg.c: XFRM netlink messages (linux/xfrm.h) built with libmnl. */
#include "kernel/cg-xfrm-private.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "crypto/cg-crypto.h"
#include "config/cg-config.h"
#include "kernel/cg-ip.h"
#include "log/cg-log.h"

#ifndef IPPROTO_ESP
#define IPPROTO_ESP 50
#endif
#define UDP_ENCAP_ESPINUDP_TYPE 2 /* linux/udp.h */
#define POLICY_PRIORITY_BASE    200000

void
cg_xfrm_addr_from_inet(GInetAddress *in, CgXfrmAddr *out)
{
    memset(out, 0, sizeof(*out));
    gboolean v6 = g_inet_address_get_family(in) == G_SOCKET_FAMILY_IPV6;
    out->family = v6 ? AF_INET6 : AF_INET;
    memcpy(&out->addr, g_inet_address_to_bytes(in), v6 ? 16 : 4);
}

gboolean
cg_xfrm_alg_names(guint16 encr_id, guint16 integ_id, const char **encr_name,
                  const char **integ_name, guint *icv_bits)
{
    *integ_name = NULL;
    *icv_bits = 0;
    switch (encr_id) {
        case CG_ENCR_AES_GCM_16:
            *encr_name = "rfc4106(gcm(aes))"; /* RFC 4106: key | 4-byte salt */
            *icv_bits = 128;
            return integ_id == CG_INTEG_NONE;
        case CG_ENCR_CHACHA20_POLY1305:
            *encr_name = "rfc7539esp(chacha20,poly1305)"; /* RFC 7634 */
            *icv_bits = 128;
            return integ_id == CG_INTEG_NONE;
        case CG_ENCR_AES_CBC:
            *encr_name = "cbc(aes)";
            break;
        default:
            return FALSE;
    }
    switch (integ_id) {
        case CG_INTEG_HMAC_SHA1_96:
            *integ_name = "hmac(sha1)";
            *icv_bits = 96;
            return TRUE;
        case CG_INTEG_HMAC_SHA2_256_128:
            *integ_name = "hmac(sha256)";
            *icv_bits = 128;
            return TRUE;
        case CG_INTEG_HMAC_SHA2_384_192:
            *integ_name = "hmac(sha384)";
            *icv_bits = 192;
            return TRUE;
        case CG_INTEG_HMAC_SHA2_512_256:
            *integ_name = "hmac(sha512)";
            *icv_bits = 256;
            return TRUE;
        default:
            return FALSE;
    }
}

static guint64
limit_or_inf(guint64 v)
{
    return v ? v : XFRM_INF;
}

gboolean
cg_xfrm_msg_sa(CgNl *nl, gboolean update, const CgKernelSa *sa, GError **error)
{
    const char *encr_name, *integ_name;
    guint icv_bits;
    if (!cg_xfrm_alg_names(sa->encr_id, sa->integ_id, &encr_name, &integ_name, &icv_bits)) {
        g_set_error(error, CG_KERNEL_ERROR, CG_KERNEL_ERROR_UNSUPPORTED,
                    "XFRM has no name for encryption %u with integrity %u", sa->encr_id,
                    sa->integ_id);
        return FALSE;
    }
    CgXfrmAddr src, dst;
    cg_xfrm_addr_from_inet(sa->src, &src);
    cg_xfrm_addr_from_inet(sa->dst, &dst);

    guint8 buf[CG_NL_BUF_LEN];
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = update ? XFRM_MSG_UPDSA : XFRM_MSG_NEWSA;
    struct xfrm_usersa_info *info = mnl_nlmsg_put_extra_header(nlh, sizeof(*info));
    info->sel.family = (guint16)src.family; /* tunnel mode: any inner traffic */
    info->id.daddr = dst.addr;
    info->id.spi = htonl(sa->spi);
    info->id.proto = IPPROTO_ESP;
    info->saddr = src.addr;
    info->family = (guint16)src.family;
    info->mode = sa->mode == CG_MODE_TRANSPORT ? XFRM_MODE_TRANSPORT : XFRM_MODE_TUNNEL;
    info->reqid = sa->reqid;
    info->lft.soft_byte_limit = limit_or_inf(sa->soft_bytes);
    info->lft.hard_byte_limit = limit_or_inf(sa->hard_bytes);
    info->lft.soft_packet_limit = limit_or_inf(sa->soft_packets);
    info->lft.hard_packet_limit = limit_or_inf(sa->hard_packets);
    info->lft.soft_add_expires_seconds = sa->soft_time_s;
    info->lft.hard_add_expires_seconds = sa->hard_time_s;
    if (sa->esn)
        info->flags |= XFRM_STATE_ESN;

    gsize key_len = sa->encr_key_len;
    /* the kernel's algorithm structs end in the key (flexible array) */
    if (integ_name) {
        gsize crypt_len = sizeof(struct xfrm_algo) + key_len;
        struct xfrm_algo *crypt = g_malloc0(crypt_len);
        g_strlcpy(crypt->alg_name, encr_name, sizeof(crypt->alg_name));
        crypt->alg_key_len = (unsigned int)(key_len * 8);
        memcpy(crypt->alg_key, sa->encr_key, key_len);
        mnl_attr_put(nlh, XFRMA_ALG_CRYPT, crypt_len, crypt);
        cg_memzero(crypt, crypt_len);
        g_free(crypt);
        gsize auth_len = sizeof(struct xfrm_algo_auth) + sa->integ_key_len;
        struct xfrm_algo_auth *auth = g_malloc0(auth_len);
        g_strlcpy(auth->alg_name, integ_name, sizeof(auth->alg_name));
        auth->alg_key_len = (unsigned int)(sa->integ_key_len * 8);
        auth->alg_trunc_len = icv_bits;
        memcpy(auth->alg_key, sa->integ_key, sa->integ_key_len);
        mnl_attr_put(nlh, XFRMA_ALG_AUTH_TRUNC, auth_len, auth);
        cg_memzero(auth, auth_len);
        g_free(auth);
    } else {
        gsize aead_len = sizeof(struct xfrm_algo_aead) + key_len;
        struct xfrm_algo_aead *aead = g_malloc0(aead_len);
        g_strlcpy(aead->alg_name, encr_name, sizeof(aead->alg_name));
        aead->alg_key_len = (unsigned int)(key_len * 8); /* the salt included */
        aead->alg_icv_len = icv_bits;
        memcpy(aead->alg_key, sa->encr_key, key_len);
        mnl_attr_put(nlh, XFRMA_ALG_AEAD, aead_len, aead);
        cg_memzero(aead, aead_len);
        g_free(aead);
    }
    if (sa->encap_dst_port) {
        /* RFC 3948 */
        struct xfrm_encap_tmpl encap = { 0 };
        encap.encap_type = UDP_ENCAP_ESPINUDP_TYPE;
        encap.encap_sport = htons(sa->encap_src_port);
        encap.encap_dport = htons(sa->encap_dst_port);
        mnl_attr_put(nlh, XFRMA_ENCAP, sizeof(encap), &encap);
    }
    /* a bitmap window of any size (and ESN, RFC 4304) */
    guint32 window = sa->inbound ? MIN(sa->replay_window, XFRMA_REPLAY_ESN_MAX) : 0;
    if (sa->esn || window > 32) {
        guint32 words = MAX((window + 31) / 32, 1);
        gsize len = sizeof(struct xfrm_replay_state_esn) + words * sizeof(guint32);
        g_autofree struct xfrm_replay_state_esn *rs = g_malloc0(len);
        rs->bmp_len = words;
        /* an outbound ESN SA still needs a (unused) window of 1 */
        rs->replay_window = MAX(window, 1);
        mnl_attr_put(nlh, XFRMA_REPLAY_ESN_VAL, len, rs);
    } else
        info->replay_window = (guint8)window;

    int e = 0;
    g_autoptr(GError) local_error = NULL;
    gboolean ok = cg_nl_request(nl, nlh, NULL, NULL, update ? "updating an SA" : "adding an SA", &e,
                                &local_error);
    cg_memzero(buf, sizeof(buf));
    if (ok)
        return TRUE;
    if (e == EPROTONOSUPPORT || e == ENOSYS || e == ENOENT) {
        /* no ESP type or no such crypto algorithm in this kernel */
        g_set_error(error, CG_KERNEL_ERROR, CG_KERNEL_ERROR_UNSUPPORTED,
                    "the kernel cannot hold an ESP SA with %s (%s)", encr_name,
                    local_error->message);
        return FALSE;
    }
    g_propagate_error(error, g_steal_pointer(&local_error));
    return FALSE;
}

typedef struct {
    guint32 spi;
    gboolean got;
} AllocReply;

static int
alloc_spi_cb(const struct nlmsghdr *nlh, void *data)
{
    AllocReply *r = data;
    if (nlh->nlmsg_type != XFRM_MSG_NEWSA
        || mnl_nlmsg_get_payload_len(nlh) < sizeof(struct xfrm_usersa_info))
        return MNL_CB_ERROR;
    const struct xfrm_usersa_info *info = mnl_nlmsg_get_payload(nlh);
    r->spi = ntohl(info->id.spi);
    r->got = TRUE;
    return MNL_CB_OK;
}

gboolean
cg_xfrm_msg_alloc_spi(CgNl *nl, const CgXfrmAddr *src, const CgXfrmAddr *dst, guint32 reqid,
                      guint32 *spi_out, GError **error)
{
    guint8 buf[CG_NL_BUF_LEN];
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = XFRM_MSG_ALLOCSPI;
    struct xfrm_userspi_info *si = mnl_nlmsg_put_extra_header(nlh, sizeof(*si));
    si->info.saddr = src->addr;
    si->info.id.daddr = dst->addr;
    si->info.id.proto = IPPROTO_ESP;
    si->info.family = (guint16)dst->family;
    si->info.mode = XFRM_MODE_TUNNEL;
    si->info.reqid = reqid;
    si->info.lft.soft_byte_limit = si->info.lft.hard_byte_limit = XFRM_INF;
    si->info.lft.soft_packet_limit = si->info.lft.hard_packet_limit = XFRM_INF;
    /* RFC 4303 2.1: 1-255 reserved */
    si->min = 0x100;
    si->max = 0xffffffff;
    AllocReply r = { 0 };
    if (!cg_nl_request(nl, nlh, alloc_spi_cb, &r, "allocating an SPI", NULL, error))
        return FALSE;
    if (!r.got) {
        g_set_error(error, CG_KERNEL_ERROR, CG_KERNEL_ERROR_FAILED,
                    "allocating an SPI: the kernel sent no SA back");
        return FALSE;
    }
    *spi_out = r.spi;
    return TRUE;
}

static struct nlmsghdr *
put_sa_id(guint8 *buf, guint16 type, const CgXfrmAddr *dst, guint32 spi)
{
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = type;
    struct xfrm_usersa_id *id = mnl_nlmsg_put_extra_header(nlh, sizeof(*id));
    id->daddr = dst->addr;
    id->spi = htonl(spi);
    id->family = (guint16)dst->family;
    id->proto = IPPROTO_ESP;
    return nlh;
}

gboolean
cg_xfrm_msg_del_sa(CgNl *nl, const CgXfrmAddr *dst, guint32 spi, GError **error)
{
    guint8 buf[CG_NL_BUF_LEN];
    return cg_nl_request(nl, put_sa_id(buf, XFRM_MSG_DELSA, dst, spi), NULL, NULL, "deleting an SA",
                         NULL, error);
}

static int
get_sa_cb(const struct nlmsghdr *nlh, void *data)
{
    CgKernelSaStats *out = data;
    if (nlh->nlmsg_type != XFRM_MSG_NEWSA
        || mnl_nlmsg_get_payload_len(nlh) < sizeof(struct xfrm_usersa_info))
        return MNL_CB_ERROR;
    const struct xfrm_usersa_info *info = mnl_nlmsg_get_payload(nlh);
    out->bytes = info->curlft.bytes;
    out->packets = info->curlft.packets;
    /* use_time is wall-clock seconds; the interface wants monotonic µs */
    if (info->curlft.use_time) {
        gint64 ago_us = g_get_real_time() - (gint64)info->curlft.use_time * G_USEC_PER_SEC;
        out->last_use_us = g_get_monotonic_time() - MAX(ago_us, 0);
    }
    return MNL_CB_OK;
}

gboolean
cg_xfrm_msg_get_sa(CgNl *nl, const CgXfrmAddr *dst, guint32 spi, CgKernelSaStats *out,
                   GError **error)
{
    guint8 buf[CG_NL_BUF_LEN];
    memset(out, 0, sizeof(*out));
    return cg_nl_request(nl, put_sa_id(buf, XFRM_MSG_GETSA, dst, spi), get_sa_cb, out,
                         "reading an SA", NULL, error);
}

/* ---- policies ----------------------------------------------------------------- */

/* A port range as the selector's port/mask: exact or any (XFRM selectors
 * cannot hold other ranges; those are widened to any). */
static void
port_mask(const CgTrafficSelector *ts, __be16 *port, __be16 *mask)
{
    if (ts->start_port == ts->end_port) {
        *port = htons(ts->start_port);
        *mask = 0xffff;
    } else {
        *port = 0;
        *mask = 0;
    }
}

void
cg_xfrm_selectors(const CgTrafficSelector *local, guint n_local, const CgTrafficSelector *remote,
                  guint n_remote, guint8 dir, GArray *out)
{
    g_autoptr(GArray) lp = g_array_new(FALSE, FALSE, sizeof(CgIpPrefix));
    g_autoptr(GArray) rp = g_array_new(FALSE, FALSE, sizeof(CgIpPrefix));
    for (guint i = 0; i < n_local; i++) {
        for (guint j = 0; j < n_remote; j++) {
            const CgTrafficSelector *l = &local[i], *r = &remote[j];
            if (l->ts_type != r->ts_type)
                continue;
            g_array_set_size(lp, 0);
            g_array_set_size(rp, 0);
            cg_ts_to_prefixes(l, lp);
            cg_ts_to_prefixes(r, rp);
            guint8 proto = l->ip_protocol ? l->ip_protocol : r->ip_protocol;
            for (guint a = 0; a < lp->len; a++) {
                for (guint b = 0; b < rp->len; b++) {
                    const CgIpPrefix *lpf = &g_array_index(lp, CgIpPrefix, a);
                    const CgIpPrefix *rpf = &g_array_index(rp, CgIpPrefix, b);
                    CgXfrmPolicy p = { 0 };
                    const CgIpPrefix *s = dir == XFRM_POLICY_OUT ? lpf : rpf;
                    const CgIpPrefix *d = dir == XFRM_POLICY_OUT ? rpf : lpf;
                    const CgTrafficSelector *sts = dir == XFRM_POLICY_OUT ? l : r;
                    const CgTrafficSelector *dts = dir == XFRM_POLICY_OUT ? r : l;
                    p.sel.family = (guint16)lpf->family;
                    memcpy(&p.sel.saddr, s->addr, 16);
                    memcpy(&p.sel.daddr, d->addr, 16);
                    p.sel.prefixlen_s = s->prefix_len;
                    p.sel.prefixlen_d = d->prefix_len;
                    p.sel.proto = proto;
                    port_mask(sts, &p.sel.sport, &p.sel.sport_mask);
                    port_mask(dts, &p.sel.dport, &p.sel.dport_mask);
                    p.dir = dir;
                    /* more specific selectors win (lower number) */
                    p.priority = POLICY_PRIORITY_BASE - (s->prefix_len + d->prefix_len) * 4
                                 - (proto ? 2 : 0) - (p.sel.sport_mask ? 1 : 0)
                                 - (p.sel.dport_mask ? 1 : 0);
                    g_array_append_val(out, p);
                }
            }
        }
    }
}

gboolean
cg_xfrm_msg_policy(CgNl *nl, gboolean add, const CgXfrmPolicy *p, GError **error)
{
    guint8 buf[CG_NL_BUF_LEN];
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    if (!add) {
        nlh->nlmsg_type = XFRM_MSG_DELPOLICY;
        struct xfrm_userpolicy_id *id = mnl_nlmsg_put_extra_header(nlh, sizeof(*id));
        id->sel = p->sel;
        id->dir = p->dir;
        return cg_nl_request(nl, nlh, NULL, NULL, "deleting a policy", NULL, error);
    }
    /* UPDPOLICY: a rekeyed CHILD_SA's policy replaces its predecessor's */
    nlh->nlmsg_type = XFRM_MSG_UPDPOLICY;
    struct xfrm_userpolicy_info *pi = mnl_nlmsg_put_extra_header(nlh, sizeof(*pi));
    pi->sel = p->sel;
    pi->dir = p->dir;
    pi->priority = p->priority;
    pi->action = XFRM_POLICY_ALLOW;
    pi->share = XFRM_SHARE_ANY;
    pi->lft.soft_byte_limit = pi->lft.hard_byte_limit = XFRM_INF;
    pi->lft.soft_packet_limit = pi->lft.hard_packet_limit = XFRM_INF;
    struct xfrm_user_tmpl tmpl = { 0 };
    tmpl.id.daddr = p->tmpl_dst.addr;
    tmpl.id.proto = IPPROTO_ESP;
    tmpl.family = (guint16)p->tmpl_dst.family;
    tmpl.saddr = p->tmpl_src.addr;
    tmpl.reqid = p->reqid;
    tmpl.mode = XFRM_MODE_TUNNEL;
    tmpl.aalgos = tmpl.ealgos = tmpl.calgos = ~0u;
    mnl_attr_put(nlh, XFRMA_TMPL, sizeof(tmpl), &tmpl);
    return cg_nl_request(nl, nlh, NULL, NULL, "adding a policy", NULL, error);
}

gboolean
cg_xfrm_msg_migrate(CgNl *nl, const CgXfrmPolicy *p, const CgXfrmAddr *new_src,
                    const CgXfrmAddr *new_dst, guint16 encap_sport, guint16 encap_dport,
                    GError **error)
{
    guint8 buf[CG_NL_BUF_LEN];
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = XFRM_MSG_MIGRATE;
    struct xfrm_userpolicy_id *id = mnl_nlmsg_put_extra_header(nlh, sizeof(*id));
    id->sel = p->sel;
    id->dir = p->dir;
    struct xfrm_user_migrate m = { 0 };
    m.old_saddr = p->tmpl_src.addr;
    m.old_daddr = p->tmpl_dst.addr;
    m.new_saddr = new_src->addr;
    m.new_daddr = new_dst->addr;
    m.proto = IPPROTO_ESP;
    m.mode = XFRM_MODE_TUNNEL;
    m.reqid = p->reqid;
    m.old_family = (guint16)p->tmpl_dst.family;
    m.new_family = (guint16)new_dst->family;
    mnl_attr_put(nlh, XFRMA_MIGRATE, sizeof(m), &m);
    if (encap_dport) {
        struct xfrm_encap_tmpl encap = { 0 };
        encap.encap_type = UDP_ENCAP_ESPINUDP_TYPE;
        encap.encap_sport = htons(encap_sport);
        encap.encap_dport = htons(encap_dport);
        mnl_attr_put(nlh, XFRMA_ENCAP, sizeof(encap), &encap);
    }
    return cg_nl_request(nl, nlh, NULL, NULL, "migrating a policy", NULL, error);
}

gboolean
cg_xfrm_socket_bypass(int fd, int family, GError **error)
{
    int level = family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP;
    int opt = family == AF_INET6 ? IPV6_XFRM_POLICY : IP_XFRM_POLICY;
    for (guint8 dir = XFRM_POLICY_IN; dir <= XFRM_POLICY_OUT; dir++) {
        struct xfrm_userpolicy_info pi = { 0 };
        pi.action = XFRM_POLICY_ALLOW;
        pi.sel.family = (guint16)family;
        pi.dir = dir;
        pi.lft.soft_byte_limit = pi.lft.hard_byte_limit = XFRM_INF;
        pi.lft.soft_packet_limit = pi.lft.hard_packet_limit = XFRM_INF;
        if (setsockopt(fd, level, opt, &pi, sizeof(pi)) < 0) {
            int e = errno;
            g_set_error(error, CG_KERNEL_ERROR, CG_KERNEL_ERROR_FAILED,
                        "IPsec bypass policy on an IKE socket: %s", g_strerror(e));
            return FALSE;
        }
    }
    return TRUE;
}
