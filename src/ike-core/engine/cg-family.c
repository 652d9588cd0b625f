/* cg-family.c: the order in which an initiator tries a gateway's
 * addresses (see cg-family.h). */
#include "engine/cg-family.h"

gboolean
cg_family_allows(CgFamilyPref pref, GSocketFamily family)
{
    switch (pref) {
        case CG_FAMILY_IPV6_ONLY:
            return family == G_SOCKET_FAMILY_IPV6;
        case CG_FAMILY_IPV4_ONLY:
            return family == G_SOCKET_FAMILY_IPV4;
        default:
            return family == G_SOCKET_FAMILY_IPV4 || family == G_SOCKET_FAMILY_IPV6;
    }
}

static gboolean
already_listed(GPtrArray *list, GInetAddress *addr)
{
    for (guint i = 0; i < list->len; i++)
        if (g_inet_address_equal(list->pdata[i], addr))
            return TRUE;
    return FALSE;
}

GPtrArray *
cg_family_order(GList *resolved, CgFamilyPref pref)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_object_unref);
    g_autoptr(GPtrArray) v6 = g_ptr_array_new();
    g_autoptr(GPtrArray) v4 = g_ptr_array_new();
    GSocketFamily first = G_SOCKET_FAMILY_INVALID;

    /* split by family, keeping the resolver's order inside each */
    for (GList *l = resolved; l != NULL; l = l->next) {
        GInetAddress *addr = l->data;
        if (!G_IS_INET_ADDRESS(addr))
            continue;
        GSocketFamily family = g_inet_address_get_family(addr);
        if (!cg_family_allows(pref, family))
            continue;
        GPtrArray *bucket = family == G_SOCKET_FAMILY_IPV6 ? v6 : v4;
        if (already_listed(bucket, addr))
            continue;
        if (first == G_SOCKET_FAMILY_INVALID)
            first = family;
        g_ptr_array_add(bucket, addr);
    }
    if (pref == CG_FAMILY_IPV6_FIRST && v6->len > 0)
        first = G_SOCKET_FAMILY_IPV6;
    else if (pref == CG_FAMILY_IPV4_FIRST && v4->len > 0)
        first = G_SOCKET_FAMILY_IPV4;

    /* RFC 8305 4: interleave the families, the first one leading */
    GPtrArray *lead = first == G_SOCKET_FAMILY_IPV6 ? v6 : v4;
    GPtrArray *other = lead == v6 ? v4 : v6;
    for (guint i = 0; i < lead->len || i < other->len; i++) {
        if (i < lead->len)
            g_ptr_array_add(out, g_object_ref(lead->pdata[i]));
        if (i < other->len)
            g_ptr_array_add(out, g_object_ref(other->pdata[i]));
    }
    return out;
}
