/* cg-netmon.h: the engine's view of the host's network: an rtnetlink
 * listener that says when links, addresses or routes changed (debounced
 * into one call per burst), a detector of resumes from suspend, and the
 * routing lookup that answers "which source address reaches this peer
 * now?". Main context only. */
#pragma once

#include <glib.h>
#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct CgNetmon CgNetmon;

typedef void (*CgNetmonFunc)(gpointer user_data);

/* Listens on rtnetlink (links, IPv4/IPv6 addresses and routes) on the
 * thread-default main context. changed runs once a burst of changes has
 * settled (a few ms after the last one, at most 100 ms after the first);
 * resumed runs when the host comes back from suspend (seen as
 * CLOCK_BOOTTIME running ahead of CLOCK_MONOTONIC). */
CgNetmon *cg_netmon_new(CgNetmonFunc changed, CgNetmonFunc resumed, gpointer user_data,
                        GError **error);
void cg_netmon_free(CgNetmon *nm);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CgNetmon, cg_netmon_free)

/* Changes and resumes seen so far (tests, logs). */
guint64 cg_netmon_change_count(CgNetmon *nm);

/* The source address the kernel picks now to reach remote, for packets
 * carrying firewall mark `mark` (0 = none; the uesp data plane routes
 * unmarked packets into its tunnel, the IKE sockets are marked to bypass
 * it). NULL with error when there is no route. */
GInetAddress *cg_netmon_route_source(GInetAddress *remote, guint32 mark, GError **error);

G_END_DECLS
