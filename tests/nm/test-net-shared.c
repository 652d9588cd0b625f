/* test-net-shared.c: UDP 500 and 4500 shared by several engines, as the
 * NetworkManager service's processes (one per VPN) share them
 * (cg_net_set_port_sharing), at the socket level: each CgNet receives
 * exactly the datagrams of the peers it sent to, on 500 and on 4500 (also
 * through the NAT-T receive thread), after its local address changed, and
 * the newest engine of a process takes a peer over. The kernel does not
 * care which process holds a socket, so two CgNets in one process stand
 * for two services. Runs in a network namespace of its own, so it needs
 * root: without it, it skips (77), with CI=true it fails. */
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <glib.h>

#include "net/cg-net.h"

#define LOCAL       "127.0.0.1"
#define LOCAL_MOVED "127.0.0.5"
#define GW_A        "127.0.0.2"
#define GW_B        "127.0.0.3"
#define GW_OTHER    "127.0.0.4"
#define BURST       8

/* What one CgNet received: "ike|natt|esp GATEWAY-IP PAYLOAD", in order. */
typedef struct {
    CgNet *net;
    GPtrArray *got;
    GMutex lock; /* the ESP thread adds too */
} Sink;

static void
sink_add(Sink *s, const char *kind, GSocketAddress *remote, const guint8 *data, gsize len)
{
    g_autofree char *ip = g_inet_address_to_string(cg_sockaddr_inet(remote));
    g_mutex_lock(&s->lock);
    g_ptr_array_add(s->got, g_strdup_printf("%s %s %.*s", kind, ip, (int)len, (const char *)data));
    g_mutex_unlock(&s->lock);
}

static void
on_ike(gpointer user_data, const guint8 *data, gsize len, GSocketAddress *local,
       GSocketAddress *remote, gboolean natt)
{
    sink_add(user_data, natt ? "natt" : "ike", remote, data, len);
}

static void
on_esp(gpointer user_data, const guint8 *data, gsize len, GSocketAddress *local,
       GSocketAddress *remote)
{
    sink_add(user_data, "esp", remote, data, len);
}

static void
on_esp_batch(gpointer user_data, CgNetEspPacket *pkts, guint n_pkts)
{
    for (guint i = 0; i < n_pkts; i++) {
        g_autoptr(GSocketAddress) from
            = g_socket_address_new_from_native((gpointer)pkts[i].from, pkts[i].from_len);
        sink_add(user_data, "esp", from, pkts[i].data, pkts[i].len);
    }
}

static Sink *
sink_new(void)
{
    Sink *s = g_new0(Sink, 1);
    s->got = g_ptr_array_new_with_free_func(g_free);
    g_mutex_init(&s->lock);
    g_autoptr(GError) error = NULL;
    s->net = cg_net_new(NULL, 500, 4500, on_ike, on_esp, s, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(cg_net_ike_port(s->net), ==, 500);
    g_assert_cmpuint(cg_net_natt_port(s->net), ==, 4500);
    return s;
}

static void
sink_free(Sink *s)
{
    cg_net_free(s->net);
    g_ptr_array_unref(s->got);
    g_mutex_clear(&s->lock);
    g_free(s);
}

static guint
sink_count(Sink *s, const char *line)
{
    guint n = 0;
    g_mutex_lock(&s->lock);
    for (guint i = 0; i < s->got->len; i++)
        n += g_strcmp0(s->got->pdata[i], line) == 0;
    g_mutex_unlock(&s->lock);
    return n;
}

static guint
sink_total(Sink *s)
{
    g_mutex_lock(&s->lock);
    guint n = s->got->len;
    g_mutex_unlock(&s->lock);
    return n;
}

/* Runs the main context until the sinks hold `want` datagrams in all, or
 * 5 s passed (a loaded machine), then a little longer for strays. */
static void
pump(Sink **sinks, guint n_sinks, guint want)
{
    gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    for (;;) {
        guint total = 0;
        for (guint i = 0; i < n_sinks; i++)
            total += sink_total(sinks[i]);
        if (total >= want || g_get_monotonic_time() > deadline)
            break;
        g_main_context_iteration(NULL, FALSE);
        g_usleep(1000);
    }
    gint64 grace = g_get_monotonic_time() + 100 * 1000;
    while (g_get_monotonic_time() < grace) {
        g_main_context_iteration(NULL, FALSE);
        g_usleep(1000);
    }
}

static GSocketAddress *
addr(const char *ip, guint16 port)
{
    g_autoptr(GInetAddress) a = g_inet_address_new_from_string(ip);
    return g_inet_socket_address_new(a, port);
}

/* A gateway: a plain UDP socket on ip:port. */
static int
gateway_socket(const char *ip, guint16 port)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    g_assert_cmpint(fd, >=, 0);
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
    inet_pton(AF_INET, ip, &sin.sin_addr);
    g_assert_cmpint(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), ==, 0);
    struct timeval tv = { .tv_sec = 5 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

static void
gateway_send(int fd, const char *to_ip, guint16 to_port, const char *payload, gsize len)
{
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(to_port) };
    inet_pton(AF_INET, to_ip, &to.sin_addr);
    g_assert_cmpint(sendto(fd, payload, len, 0, (struct sockaddr *)&to, sizeof(to)), ==, (int)len);
}

/* Receives one datagram on a gateway socket; returns the sender's port. */
static guint16
gateway_recv(int fd)
{
    char buf[256];
    struct sockaddr_in from;
    socklen_t from_len = sizeof(from);
    ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &from_len);
    g_assert_cmpint(n, >, 0);
    return ntohs(from.sin_port);
}

/* net sends an IKE message from local to the gateway, which checks it
 * came from the shared port. */
static void
say_hello(Sink *s, const char *local_ip, int gw_fd, const char *gw_ip, guint16 gw_port,
          gboolean natt)
{
    g_autoptr(GSocketAddress) local = addr(local_ip, natt ? 4500 : 500);
    g_autoptr(GSocketAddress) remote = addr(gw_ip, gw_port);
    g_autoptr(GError) error = NULL;
    g_assert_true(cg_net_send_ike(s->net, local, remote, natt, (const guint8 *)"hello", 5, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(gateway_recv(gw_fd), ==, natt ? 4500 : 500);
}

/* Two engines on 500, each talking to its own gateways (three each, so
 * that a lucky hash over the reuseport group cannot pass for the
 * connected sockets): each gets exactly its gateways' datagrams. */
static void
test_two_engines(void)
{
    static const char *const gws_one[] = { "127.0.0.2", "127.0.0.12", "127.0.0.22" };
    static const char *const gws_two[] = { "127.0.0.3", "127.0.0.13", "127.0.0.23" };
    enum { N = G_N_ELEMENTS(gws_one) };
    cg_net_set_port_sharing(TRUE);
    Sink *one = sink_new(), *two = sink_new();
    int fds_one[N], fds_two[N];
    for (guint g = 0; g < N; g++) {
        fds_one[g] = gateway_socket(gws_one[g], 5500);
        fds_two[g] = gateway_socket(gws_two[g], 5500);
        say_hello(one, LOCAL, fds_one[g], gws_one[g], 5500, FALSE);
        say_hello(two, LOCAL, fds_two[g], gws_two[g], 5500, FALSE);
    }
    for (int i = 0; i < BURST; i++)
        for (guint g = 0; g < N; g++) {
            gateway_send(fds_one[g], LOCAL, 500, "to-one", 6);
            gateway_send(fds_two[g], LOCAL, 500, "to-two", 6);
        }
    Sink *sinks[] = { one, two };
    pump(sinks, 2, 2 * N * BURST);
    for (guint g = 0; g < N; g++) {
        g_autofree char *want_one = g_strdup_printf("ike %s to-one", gws_one[g]);
        g_autofree char *want_two = g_strdup_printf("ike %s to-two", gws_two[g]);
        g_assert_cmpuint(sink_count(one, want_one), ==, BURST);
        g_assert_cmpuint(sink_count(two, want_two), ==, BURST);
    }
    g_assert_cmpuint(sink_total(one), ==, N * BURST);
    g_assert_cmpuint(sink_total(two), ==, N * BURST);

    /* a sender nobody talked to reaches one member of the group */
    int gw_other = gateway_socket(GW_OTHER, 5500);
    for (int i = 0; i < BURST; i++)
        gateway_send(gw_other, LOCAL, 500, "stray", 5);
    pump(sinks, 2, (2 * N + 1) * BURST);
    g_assert_cmpuint(sink_count(one, "ike " GW_OTHER " stray")
                         + sink_count(two, "ike " GW_OTHER " stray"),
                     ==, BURST);
    close(gw_other);
    for (guint g = 0; g < N; g++) {
        close(fds_one[g]);
        close(fds_two[g]);
    }
    sink_free(one);
    sink_free(two);
    cg_net_set_port_sharing(FALSE);
}

/* After the NAT-T float (RFC 7296 2.23): ESP-in-UDP and IKE on 4500, one
 * engine reading it on its receive thread (user-space ESP), the other on
 * the main context. */
static void
test_natt(void)
{
    cg_net_set_port_sharing(TRUE);
    Sink *one = sink_new(), *two = sink_new();
    g_autoptr(GError) error = NULL;
    g_assert_true(cg_net_start_esp_thread(one->net, on_esp_batch, one, &error));
    g_assert_no_error(error);
    int gw_a = gateway_socket(GW_A, 5501), gw_b = gateway_socket(GW_B, 5501);
    say_hello(one, LOCAL, gw_a, GW_A, 5501, TRUE);
    say_hello(two, LOCAL, gw_b, GW_B, 5501, TRUE);
    /* ESP: a non-zero SPI first (RFC 3948 2.1); IKE: the non-ESP marker */
    for (int i = 0; i < BURST; i++) {
        gateway_send(gw_a, LOCAL, 4500, "ESPa", 4);
        gateway_send(gw_b, LOCAL, 4500, "ESPb", 4);
    }
    gateway_send(gw_a, LOCAL, 4500, "\0\0\0\0ike-a", 9);
    gateway_send(gw_b, LOCAL, 4500, "\0\0\0\0ike-b", 9);
    Sink *sinks[] = { one, two };
    pump(sinks, 2, 2 * BURST + 2);
    g_assert_cmpuint(sink_count(one, "esp " GW_A " ESPa"), ==, BURST);
    g_assert_cmpuint(sink_count(one, "natt " GW_A " ike-a"), ==, 1);
    g_assert_cmpuint(sink_total(one), ==, BURST + 1);
    g_assert_cmpuint(sink_count(two, "esp " GW_B " ESPb"), ==, BURST);
    g_assert_cmpuint(sink_count(two, "natt " GW_B " ike-b"), ==, 1);
    g_assert_cmpuint(sink_total(two), ==, BURST + 1);
    close(gw_a);
    close(gw_b);
    sink_free(one);
    sink_free(two);
    cg_net_set_port_sharing(FALSE);
}

/* MOBIKE (RFC 4555): once the engine sends from its new address, the
 * gateway's datagrams to that address reach it, not the other engine. */
/* BURST datagrams of `text` from the gateway socket gw_fd (address gw_ip)
 * to local:500 all reach `to`, none `not_to`. */
static void
assert_burst_reaches(int gw_fd, const char *gw_ip, const char *local, const char *text, Sink *to,
                     Sink *not_to)
{
    for (int i = 0; i < BURST; i++)
        gateway_send(gw_fd, local, 500, text, strlen(text));
    Sink *sinks[] = { to, not_to };
    pump(sinks, 2, BURST);
    g_autofree char *line = g_strdup_printf("ike %s %s", gw_ip, text);
    g_assert_cmpuint(sink_count(to, line), ==, BURST);
    g_assert_cmpuint(sink_total(not_to), ==, 0);
}

static void
test_local_address_change(void)
{
    cg_net_set_port_sharing(TRUE);
    Sink *one = sink_new(), *two = sink_new();
    int gw_a = gateway_socket(GW_A, 5502), gw_b = gateway_socket(GW_B, 5502);
    say_hello(one, LOCAL, gw_a, GW_A, 5502, FALSE);
    say_hello(two, LOCAL, gw_b, GW_B, 5502, FALSE);
    say_hello(one, LOCAL_MOVED, gw_a, GW_A, 5502, FALSE);
    assert_burst_reaches(gw_a, GW_A, LOCAL_MOVED, "moved", one, two);
    close(gw_a);
    close(gw_b);
    sink_free(one);
    sink_free(two);
    cg_net_set_port_sharing(FALSE);
}

/* The newest engine of a process that talks to a peer gets its datagrams
 * (the service's next attempt while the last engine says goodbye). */
static void
test_newest_engine_takes_over(void)
{
    cg_net_set_port_sharing(TRUE);
    Sink *old = sink_new();
    int gw_a = gateway_socket(GW_A, 5503);
    say_hello(old, LOCAL, gw_a, GW_A, 5503, FALSE);
    Sink *newer = sink_new();
    say_hello(newer, LOCAL, gw_a, GW_A, 5503, FALSE);
    assert_burst_reaches(gw_a, GW_A, LOCAL, "new", newer, old);
    close(gw_a);
    sink_free(old);
    sink_free(newer);
    cg_net_set_port_sharing(FALSE);
}

/* A program that holds 500 without sharing it (SO_REUSEADDR alone, like
 * cygnetd) makes a sharing bind fail, so the service falls back to free
 * ports instead of taking that program's datagrams. */
static void
test_unshared_holder(void)
{
    g_autoptr(GError) error = NULL;
    CgNet *holder = cg_net_new(NULL, 500, 4500, on_ike, on_esp, NULL, &error);
    g_assert_no_error(error);
    cg_net_set_port_sharing(TRUE);
    CgNet *sharer = cg_net_new(NULL, 500, 4500, on_ike, on_esp, NULL, &error);
    g_assert_null(sharer);
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE);
    cg_net_set_port_sharing(FALSE);
    cg_net_free(holder);
}

static gboolean
enter_namespace(GError **error)
{
    if (unshare(CLONE_NEWNET) < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "unshare(CLONE_NEWNET): %s",
                    g_strerror(errno));
        return FALSE;
    }
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr = { 0 };
    g_strlcpy(ifr.ifr_name, "lo", sizeof(ifr.ifr_name));
    gboolean ok = fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &ifr) == 0;
    ifr.ifr_flags |= IFF_UP;
    ok = ok && ioctl(fd, SIOCSIFFLAGS, &ifr) == 0;
    if (!ok)
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "bringing lo up: %s",
                    g_strerror(errno));
    if (fd >= 0)
        close(fd);
    return ok;
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_autoptr(GError) error = NULL;
    if (geteuid() != 0 || !enter_namespace(&error)) {
        g_printerr("needs root and a network namespace of its own%s%s\n", error ? ": " : "",
                   error ? error->message : "");
        return g_strcmp0(g_getenv("CI"), "true") == 0 ? 1 : 77;
    }
    g_test_add_func("/net/shared/two-engines", test_two_engines);
    g_test_add_func("/net/shared/natt", test_natt);
    g_test_add_func("/net/shared/local-address-change", test_local_address_change);
    g_test_add_func("/net/shared/newest-engine", test_newest_engine_takes_over);
    g_test_add_func("/net/shared/unshared-holder", test_unshared_holder);
    return g_test_run();
}
