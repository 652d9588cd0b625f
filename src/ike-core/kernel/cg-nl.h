/* cg-nl.h: netlink requests through libmnl, and the rtnetlink calls the
 * data planes need (addresses, routes, policy-routing rules). Messages are
 * built with libmnl's helpers only; this file adds the request/ACK loop
 * and readable errors (the kernel's extended ACK message when it sends
 * one). Main context only. */
#pragma once

#include <glib.h>
#include <libmnl/libmnl.h>

G_BEGIN_DECLS

#define CG_NL_BUF_LEN 8192

typedef struct {
    struct mnl_socket *sock;
    unsigned int portid;
    unsigned int seq;
    int bus;
} CgNl;

CgNl *cg_nl_open(int bus, GError **error);
void cg_nl_close(CgNl *nl);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CgNl, cg_nl_close)

/* Sends the message (NLM_F_ACK is added) and reads until its ACK; data
 * replies go to cb (may be NULL). On failure *errno_out (may be NULL)
 * holds the kernel's errno and error says what failed, with `what` in
 * front. */
gboolean cg_nl_request(CgNl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *cb_data, const char *what,
                       int *errno_out, GError **error);

/* ---- rtnetlink ----------------------------------------------------------- */

/* add: RTM_NEWADDR (replace), else RTM_DELADDR. addr is 4 or 16 bytes. */
gboolean cg_rtnl_addr(CgNl *nl, gboolean add, int ifindex, int family, const guint8 *addr,
                      guint prefix_len, GError **error);

/* A unicast route for dst/prefix_len out of ifindex in `table`, with a
 * preferred source address (pref_src, may be NULL). add replaces an
 * existing route of the same key. */
gboolean cg_rtnl_route(CgNl *nl, gboolean add, guint32 table, int family, const guint8 *dst,
                       guint prefix_len, int ifindex, const guint8 *pref_src, guint32 mtu,
                       GError **error);

/* A policy-routing rule "priority: [not] fwmark mark/mask lookup table".
 * Adding an existing rule is not an error. */
gboolean cg_rtnl_rule(CgNl *nl, gboolean add, int family, guint32 priority, guint32 table,
                      guint32 fwmark, guint32 fwmask, gboolean invert, GError **error);

/* No IPv6 link-local address (and so no router solicitations) on a
 * point-to-point tunnel device; must happen before it goes up. */
gboolean cg_rtnl_link_no_ipv6_autoconf(CgNl *nl, int ifindex, GError **error);

/* Sets a link's MTU (RTM_NEWLINK). */
gboolean cg_rtnl_link_mtu(CgNl *nl, int ifindex, guint32 mtu, GError **error);

G_END_DECLS
