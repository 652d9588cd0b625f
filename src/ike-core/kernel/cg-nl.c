/* cg-nl.c: netlink request/ACK over libmnl, and rtnetlink helpers. */
#include "kernel/cg-nl.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <linux/fib_rules.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "kernel/cg-kernel.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NLMSGERR_ATTR_MSG
#define NLMSGERR_ATTR_MSG 1
#endif

CgNl *
cg_nl_open(int bus, GError **error)
{
    CgNl *nl = g_new0(CgNl, 1);
    nl->bus = bus;
    nl->sock = mnl_socket_open(bus);
    if (!nl->sock || mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
        int e = errno;
        g_set_error(error, CG_KERNEL_ERROR, CG_KERNEL_ERROR_FAILED, "netlink socket (bus %d): %s",
                    bus, g_strerror(e));
        cg_nl_close(nl);
        return NULL;
    }
    /* the kernel's own words for a rejection (extended ACK) */
    int one = 1;
    mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
    nl->portid = mnl_socket_get_portid(nl->sock);
    nl->seq = (unsigned int)time(NULL);
    return nl;
}

void
cg_nl_close(CgNl *nl)
{
    if (!nl)
        return;
    if (nl->sock)
        mnl_socket_close(nl->sock);
    g_free(nl);
}

typedef struct {
    const char *ext_msg;
} ErrAttrs;

static int
parse_err_attr(const struct nlattr *attr, void *data)
{
    ErrAttrs *e = data;
    if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG
        && mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
        e->ext_msg = mnl_attr_get_str(attr);
    return MNL_CB_OK;
}

/* The extended ACK's message, if the error message carries one. */
static const char *
extack_message(const struct nlmsghdr *nlh)
{
    const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
    if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
        return NULL;
    gsize offset = sizeof(*err);
    /* without NLM_F_CAPPED the whole request is echoed first */
    if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
        offset += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
    if (mnl_nlmsg_get_payload_len(nlh) < offset)
        return NULL;
    ErrAttrs attrs = { 0 };
    mnl_attr_parse_payload((const char *)err + offset, mnl_nlmsg_get_payload_len(nlh) - offset,
                           parse_err_attr, &attrs);
    return attrs.ext_msg;
}

gboolean
cg_nl_request(CgNl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *cb_data, const char *what,
              int *errno_out, GError **error)
{
    guint8 buf[CG_NL_BUF_LEN];
    unsigned int seq = ++nl->seq;

    if (errno_out)
        *errno_out = 0;
    nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
    nlh->nlmsg_seq = seq;
    if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0) {
        int e = errno;
        if (errno_out)
            *errno_out = e;
        g_set_error(error, CG_KERNEL_ERROR, CG_KERNEL_ERROR_FAILED, "%s: netlink send: %s", what,
                    g_strerror(e));
        return FALSE;
    }
    for (;;) {
        ssize_t n = mnl_socket_recvfrom(nl->sock, buf, sizeof(buf));
        if (n < 0) {
            int e = errno;
            if (e == EINTR)
                continue;
            if (errno_out)
                *errno_out = e;
            g_set_error(error, CG_KERNEL_ERROR, CG_KERNEL_ERROR_FAILED, "%s: netlink receive: %s",
                        what, g_strerror(e));
            return FALSE;
        }
        /* in order: data replies to cb, then NLMSG_DONE or the ACK (an
         * error message with error 0, or the kernel's errno and its
         * extended ACK text) */
        int left = (int)n;
        for (const struct nlmsghdr *m = (const struct nlmsghdr *)buf; mnl_nlmsg_ok(m, left);
             m = mnl_nlmsg_next(m, &left)) {
            if (m->nlmsg_seq != seq || m->nlmsg_pid != nl->portid)
                continue;
            if (m->nlmsg_type == NLMSG_DONE)
                return TRUE;
            if (m->nlmsg_type != NLMSG_ERROR) {
                if (cb && m->nlmsg_type >= NLMSG_MIN_TYPE && cb(m, cb_data) < MNL_CB_OK) {
                    g_set_error(error, CG_KERNEL_ERROR, CG_KERNEL_ERROR_FAILED,
                                "%s: unexpected reply", what);
                    return FALSE;
                }
                continue;
            }
            if (mnl_nlmsg_get_payload_len(m) < sizeof(struct nlmsgerr)) {
                g_set_error(error, CG_KERNEL_ERROR, CG_KERNEL_ERROR_FAILED,
                            "%s: short netlink error message", what);
                return FALSE;
            }
            const struct nlmsgerr *err = mnl_nlmsg_get_payload(m);
            if (err->error == 0)
                return TRUE;
            int e = -err->error;
            const char *ext = extack_message(m);
            if (errno_out)
                *errno_out = e;
            g_set_error(error, CG_KERNEL_ERROR, CG_KERNEL_ERROR_FAILED, "%s: %s%s%s", what,
                        g_strerror(e), ext ? ": " : "", ext ? ext : "");
            return FALSE;
        }
    }
}

/* ---- rtnetlink ----------------------------------------------------------- */

static gsize
addr_len(int family)
{
    return family == AF_INET6 ? 16 : 4;
}

gboolean
cg_rtnl_addr(CgNl *nl, gboolean add, int ifindex, int family, const guint8 *addr, guint prefix_len,
             GError **error)
{
    guint8 buf[CG_NL_BUF_LEN];
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = add ? RTM_NEWADDR : RTM_DELADDR;
    if (add)
        nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
    struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
    ifa->ifa_family = (guint8)family;
    ifa->ifa_prefixlen = (guint8)prefix_len;
    ifa->ifa_scope = RT_SCOPE_UNIVERSE;
    ifa->ifa_index = (unsigned int)ifindex;
    /* IPv6: usable at once, no duplicate address detection on a tunnel */
    if (family == AF_INET6)
        ifa->ifa_flags = IFA_F_NODAD;
    mnl_attr_put(nlh, IFA_LOCAL, addr_len(family), addr);
    mnl_attr_put(nlh, IFA_ADDRESS, addr_len(family), addr);
    return cg_nl_request(nl, nlh, NULL, NULL, add ? "adding an address" : "deleting an address",
                         NULL, error);
}

gboolean
cg_rtnl_route(CgNl *nl, gboolean add, guint32 table, int family, const guint8 *dst,
              guint prefix_len, int ifindex, const guint8 *pref_src, guint32 mtu, GError **error)
{
    guint8 buf[CG_NL_BUF_LEN];
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
    if (add)
        nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
    struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
    rtm->rtm_family = (guint8)family;
    rtm->rtm_dst_len = (guint8)prefix_len;
    rtm->rtm_table = table < 256 ? (guint8)table : RT_TABLE_UNSPEC;
    rtm->rtm_protocol = RTPROT_STATIC;
    rtm->rtm_scope = RT_SCOPE_LINK;
    rtm->rtm_type = RTN_UNICAST;
    mnl_attr_put_u32(nlh, RTA_TABLE, table);
    mnl_attr_put(nlh, RTA_DST, addr_len(family), dst);
    mnl_attr_put_u32(nlh, RTA_OIF, (guint32)ifindex);
    if (pref_src)
        mnl_attr_put(nlh, RTA_PREFSRC, addr_len(family), pref_src);
    if (mtu) {
        struct nlattr *metrics = mnl_attr_nest_start(nlh, RTA_METRICS);
        mnl_attr_put_u32(nlh, RTAX_MTU, mtu);
        mnl_attr_nest_end(nlh, metrics);
    }
    return cg_nl_request(nl, nlh, NULL, NULL, add ? "adding a route" : "deleting a route", NULL,
                         error);
}

gboolean
cg_rtnl_rule(CgNl *nl, gboolean add, int family, guint32 priority, guint32 table, guint32 fwmark,
             guint32 fwmask, gboolean invert, GError **error)
{
    guint8 buf[CG_NL_BUF_LEN];
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = add ? RTM_NEWRULE : RTM_DELRULE;
    if (add)
        nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
    struct fib_rule_hdr *frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
    frh->family = (guint8)family;
    frh->action = FR_ACT_TO_TBL;
    frh->table = table < 256 ? (guint8)table : RT_TABLE_UNSPEC;
    if (invert)
        frh->flags |= FIB_RULE_INVERT;
    mnl_attr_put_u32(nlh, FRA_PRIORITY, priority);
    mnl_attr_put_u32(nlh, FRA_TABLE, table);
    if (fwmask) {
        mnl_attr_put_u32(nlh, FRA_FWMARK, fwmark);
        mnl_attr_put_u32(nlh, FRA_FWMASK, fwmask);
    }
    int e = 0;
    g_autoptr(GError) local_error = NULL;
    if (cg_nl_request(nl, nlh, NULL, NULL,
                      add ? "adding a routing rule" : "deleting a routing rule", &e, &local_error))
        return TRUE;
    if (add && e == EEXIST)
        return TRUE;
    g_propagate_error(error, g_steal_pointer(&local_error));
    return FALSE;
}

gboolean
cg_rtnl_link_mtu(CgNl *nl, int ifindex, guint32 mtu, GError **error)
{
    guint8 buf[CG_NL_BUF_LEN];
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = RTM_NEWLINK;
    struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = ifindex;
    mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
    return cg_nl_request(nl, nlh, NULL, NULL, "setting the MTU", NULL, error);
}

gboolean
cg_rtnl_link_no_ipv6_autoconf(CgNl *nl, int ifindex, GError **error)
{
    guint8 buf[CG_NL_BUF_LEN];
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = RTM_NEWLINK;
    struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = ifindex;
    struct nlattr *spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
    struct nlattr *inet6 = mnl_attr_nest_start(nlh, AF_INET6);
    mnl_attr_put_u8(nlh, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
    mnl_attr_nest_end(nlh, inet6);
    mnl_attr_nest_end(nlh, spec);
    return cg_nl_request(nl, nlh, NULL, NULL, "turning off IPv6 address generation", NULL, error);
}
