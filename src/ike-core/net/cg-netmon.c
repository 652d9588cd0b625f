/* cg-netmon.c: rtnetlink monitor (libmnl), resume detector and routing
 * lookup for the engine's address handling (MOBIKE, RFC 4555, and fast
 * re-establishment). */
#include "net/cg-netmon.h"

#include <errno.h>
#include <glib-unix.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log/cg-log.h"

/* A change usually comes as a burst (address gone, address added, route
 * added): act once it settled, but never later than MAX_DELAY_MS after
 * its first message. */
#define SETTLE_MS      15
#define MAX_DELAY_MS   100
#define RESUME_CHECK_S 2
/* the boot clock ran ahead of the monotonic one by more than this: the
 * host slept */
#define RESUME_GAP_US (2 * G_USEC_PER_SEC)

struct CgNetmon {
    GMainContext *context;
    struct mnl_socket *nl;
    GSource *watch;
    GSource *settle;
    gint64 first_change_us; /* monotonic, 0 = nothing pending */
    GSource *resume_check;
    gint64 sleep_total_us; /* CLOCK_BOOTTIME - CLOCK_MONOTONIC at the last check */
    CgNetmonFunc changed;
    CgNetmonFunc resumed;
    gpointer user_data;
    guint64 changes;
    char *buf;
};

static gint64
clock_us(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (gint64)ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static gint64
sleep_total_us(void)
{
    return clock_us(CLOCK_BOOTTIME) - clock_us(CLOCK_MONOTONIC);
}

static GSource *
attach_timeout(CgNetmon *nm, guint ms, GSourceFunc func)
{
    GSource *s = g_timeout_source_new(ms);
    g_source_set_callback(s, func, nm, NULL);
    g_source_attach(s, nm->context);
    return s;
}

static void
drop_source(GSource **s)
{
    if (*s) {
        g_source_destroy(*s);
        g_source_unref(*s);
        *s = NULL;
    }
}

/* ---- resume from suspend ---------------------------------------------- */

static void
check_resume(CgNetmon *nm)
{
    gint64 now_total = sleep_total_us();
    gint64 slept_us = now_total - nm->sleep_total_us;
    nm->sleep_total_us = now_total;
    if (slept_us < RESUME_GAP_US)
        return;
    cg_info(NULL, "the host resumed from suspend (asleep for %" G_GINT64_FORMAT " s)",
            slept_us / G_USEC_PER_SEC);
    if (nm->resumed)
        nm->resumed(nm->user_data);
}

static gboolean
on_resume_check(gpointer data)
{
    check_resume(data);
    return G_SOURCE_CONTINUE;
}

/* ---- rtnetlink -------------------------------------------------------- */

static gboolean
on_settled(gpointer data)
{
    CgNetmon *nm = data;
    drop_source(&nm->settle);
    nm->first_change_us = 0;
    nm->changes++;
    if (nm->changed)
        nm->changed(nm->user_data);
    return G_SOURCE_REMOVE;
}

static void
note_change(CgNetmon *nm)
{
    gint64 now = g_get_monotonic_time();
    if (!nm->first_change_us)
        nm->first_change_us = now;
    gint64 waited_ms = (now - nm->first_change_us) / 1000;
    guint delay_ms = SETTLE_MS;
    if (waited_ms + SETTLE_MS > MAX_DELAY_MS)
        delay_ms = waited_ms >= MAX_DELAY_MS ? 0 : (guint)(MAX_DELAY_MS - waited_ms);
    drop_source(&nm->settle);
    nm->settle = attach_timeout(nm, delay_ms, on_settled);
}

/* Which messages can change the path to a peer: links, addresses, and
 * routes of the tables an ordinary lookup uses. A data plane's own table
 * (uesp steers the tunnel's traffic through one) is not news. */
static gboolean
message_matters(const struct nlmsghdr *h)
{
    switch (h->nlmsg_type) {
        case RTM_NEWLINK:
        case RTM_DELLINK:
        case RTM_NEWADDR:
        case RTM_DELADDR:
            return TRUE;
        case RTM_NEWROUTE:
        case RTM_DELROUTE: {
            if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct rtmsg)))
                return FALSE;
            const struct rtmsg *rt = mnl_nlmsg_get_payload(h);
            guint32 table = rt->rtm_table;
            struct nlattr *attr;
            mnl_attr_for_each(attr, h, sizeof(*rt))
            {
                if (mnl_attr_get_type(attr) == RTA_TABLE
                    && mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
                    table = mnl_attr_get_u32(attr);
            }
            return table == RT_TABLE_MAIN || table == RT_TABLE_DEFAULT;
        }
        default:
            return FALSE;
    }
}

static int
on_message(const struct nlmsghdr *h, void *data)
{
    gboolean *relevant = data;
    if (message_matters(h))
        *relevant = TRUE;
    return MNL_CB_OK;
}

static gboolean
on_readable(gint fd, GIOCondition cond, gpointer data)
{
    CgNetmon *nm = data;
    gboolean relevant = FALSE;
    for (;;) {
        ssize_t n = recv(fd, nm->buf, MNL_SOCKET_BUFFER_SIZE, MSG_DONTWAIT);
        if (n < 0) {
            if (errno == ENOBUFS) {
                /* the kernel dropped messages: something changed */
                relevant = TRUE;
                continue;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                cg_debug(NULL, "netlink monitor: %s", g_strerror(errno));
            break;
        }
        if (n == 0)
            break;
        /* sequence 0 and port 0: multicast notifications, not replies */
        if (mnl_cb_run(nm->buf, (size_t)n, 0, 0, on_message, &relevant) < 0)
            relevant = TRUE;
    }
    if (relevant) {
        check_resume(nm); /* a resume usually shows as links coming back */
        note_change(nm);
    }
    return G_SOURCE_CONTINUE;
}

CgNetmon *
cg_netmon_new(CgNetmonFunc changed, CgNetmonFunc resumed, gpointer user_data, GError **error)
{
    g_autoptr(CgNetmon) nm = g_new0(CgNetmon, 1);
    nm->context = g_main_context_ref_thread_default();
    nm->changed = changed;
    nm->resumed = resumed;
    nm->user_data = user_data;
    nm->buf = g_malloc(MNL_SOCKET_BUFFER_SIZE);
    nm->sleep_total_us = sleep_total_us();

    nm->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (!nm->nl) {
        int e = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "rtnetlink socket: %s",
                    g_strerror(e));
        return NULL;
    }
    unsigned groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR | RTMGRP_IPV4_ROUTE
                      | RTMGRP_IPV6_ROUTE;
    if (mnl_socket_bind(nm->nl, groups, MNL_SOCKET_AUTOPID) < 0) {
        int e = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
                    "rtnetlink: joining the link, address and route groups: %s", g_strerror(e));
        return NULL;
    }
    nm->watch = g_unix_fd_source_new(mnl_socket_get_fd(nm->nl), G_IO_IN);
    g_source_set_callback(nm->watch, G_SOURCE_FUNC(on_readable), nm, NULL);
    g_source_attach(nm->watch, nm->context);
    if (resumed) {
        nm->resume_check = g_timeout_source_new_seconds(RESUME_CHECK_S);
        g_source_set_callback(nm->resume_check, on_resume_check, nm, NULL);
        g_source_attach(nm->resume_check, nm->context);
    }
    return g_steal_pointer(&nm);
}

void
cg_netmon_free(CgNetmon *nm)
{
    if (!nm)
        return;
    drop_source(&nm->watch);
    drop_source(&nm->settle);
    drop_source(&nm->resume_check);
    if (nm->nl)
        mnl_socket_close(nm->nl);
    g_free(nm->buf);
    if (nm->context)
        g_main_context_unref(nm->context);
    g_free(nm);
}

guint64
cg_netmon_change_count(CgNetmon *nm)
{
    return nm->changes;
}

/* ---- routing lookup ---------------------------------------------------- */

GInetAddress *
cg_netmon_route_source(GInetAddress *remote, guint32 mark, GError **error)
{
    /* connect() on a throwaway UDP socket runs the kernel's route and
     * source address selection, policy rules and marks included, without
     * sending anything */
    g_autoptr(GInetSocketAddress) to
        = G_INET_SOCKET_ADDRESS(g_inet_socket_address_new(remote, 4500));
    struct sockaddr_storage ss;
    if (!g_socket_address_to_native(G_SOCKET_ADDRESS(to), &ss, sizeof(ss), error))
        return NULL;
    int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        int e = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "route lookup socket: %s",
                    g_strerror(e));
        return NULL;
    }
    if (mark && setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) < 0)
        cg_debug(NULL, "route lookup: cannot set mark 0x%x: %s", mark, g_strerror(errno));
    socklen_t len
        = ss.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
        int e = errno;
        close(fd);
        g_autofree char *r = g_inet_address_to_string(remote);
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "no route to %s: %s", r,
                    g_strerror(e));
        return NULL;
    }
    struct sockaddr_storage local;
    socklen_t local_len = sizeof(local);
    int rc = getsockname(fd, (struct sockaddr *)&local, &local_len);
    int e = errno;
    close(fd);
    if (rc < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "route lookup: %s", g_strerror(e));
        return NULL;
    }
    g_autoptr(GSocketAddress) sa = g_socket_address_new_from_native(&local, local_len);
    if (!sa || !G_IS_INET_SOCKET_ADDRESS(sa)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "route lookup: no source address");
        return NULL;
    }
    return g_object_ref(g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(sa)));
}
