/* cg-family.h: which of a gateway's addresses an initiator tries, and in
 * which order. Pure: addresses in, addresses out; no sockets, no routes. */
#pragma once

#include <gio/gio.h>
#include "config/cg-config.h"

G_BEGIN_DECLS

/* The addresses of `resolved` (GInetAddress*, the resolver's order, which
 * is RFC 6724's destination order) that `pref` allows, duplicates
 * dropped, in the order to try them. With both families allowed the
 * families alternate (RFC 8305 4), starting with the preferred one (auto:
 * the family of the resolver's first answer), so that a family that does
 * not work costs one attempt, not one per address. Returns a new array of
 * new references. */
GPtrArray *cg_family_order(GList *resolved, CgFamilyPref pref);

/* Whether `pref` lets an initiator use an address of `family`. */
gboolean cg_family_allows(CgFamilyPref pref, GSocketFamily family);

G_END_DECLS
