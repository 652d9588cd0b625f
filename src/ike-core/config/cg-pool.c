/* cg-pool.c: virtual IP pools of a responder.
 *
 * Addresses are offsets from a base. Acquire and release are O(1): never
 * leased offsets are handed out in order (next_unused), released ones
 * are reused oldest first, and two hash tables map owner <-> offset so a
 * peer that already holds a lease gets the same address back.
 */
#include "config/cg-config-private.h"
#include "config/cg-config.h"

#include <string.h>
#include <sys/socket.h>

/* Bounds that keep offsets in a guint and a typo from making a huge pool. */
#define POOL_MAX_V4 (1u << 24) /* a /8 */
#define POOL_MAX_V6 65536u

struct CgPool {
    char *name;
    char *range_text; /* as configured, for listings */
    int family;
    guint addr_len;
    guint8 base[16]; /* the address at offset 0 */
    guint size;
    guint next_unused;           /* offsets from here on were never leased */
    GQueue free_offsets;         /* released offsets, GUINT_TO_POINTER */
    GHashTable *offset_by_owner; /* owner (owned) -> GUINT_TO_POINTER(offset + 1) */
    GHashTable *owner_by_offset; /* GUINT_TO_POINTER(offset) -> owner (borrowed) */
};

/* Size and first address of a CIDR pool: the network and broadcast
 * addresses of IPv4 blocks up to /30 are skipped (a /31 has neither,
 * RFC 3021); IPv6 skips the Subnet-Router anycast address (RFC 4291
 * 2.6.1) and is bounded to POOL_MAX_V6 leases. */
static gboolean
pool_from_cidr(CgPool *pool, const CgAddrRange *range, GError **error)
{
    guint bits = range->addr_len * 8;
    guint host_bits = bits - (guint)range->prefix_len;
    guint skip_first = 0, skip_last = 0;

    if (range->family == AF_INET) {
        if (host_bits > 24) {
            g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                        "pool %s: /%d is too large (at most a /8)", pool->name, range->prefix_len);
            return FALSE;
        }
        if (host_bits >= 2)
            skip_first = skip_last = 1;
    } else {
        if (range->prefix_len < 64) {
            g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                        "pool %s: an IPv6 pool must be a /64 or longer prefix, not /%d", pool->name,
                        range->prefix_len);
            return FALSE;
        }
        if (host_bits >= 2)
            skip_first = 1;
    }
    guint64 total = host_bits >= 64 ? G_MAXUINT64 : (G_GUINT64_CONSTANT(1) << host_bits);
    guint64 usable = total - skip_first - skip_last;
    guint64 max = range->family == AF_INET ? POOL_MAX_V4 : POOL_MAX_V6;
    pool->size = (guint)MIN(usable, max);
    cg_addr_add(range->addr_len, range->start, skip_first, pool->base);
    return TRUE;
}

static gboolean
pool_from_range(CgPool *pool, const CgAddrRange *range, GError **error)
{
    guint64 last_offset;
    cg_addr_diff(range->addr_len, range->start, range->end, &last_offset);
    guint64 max = range->family == AF_INET ? POOL_MAX_V4 : POOL_MAX_V6;
    if (last_offset >= max) {
        g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID,
                    "pool %s: range is too large (more than %" G_GUINT64_FORMAT " addresses)",
                    pool->name, max);
        return FALSE;
    }
    pool->size = (guint)last_offset + 1;
    memcpy(pool->base, range->start, range->addr_len);
    return TRUE;
}

CgPool *
cg_pool_new(const char *name, const char *range_text, GError **error)
{
    g_return_val_if_fail(name != NULL, NULL);

    CgAddrRange range;
    g_autofree char *trimmed = g_strstrip(g_strdup(range_text != NULL ? range_text : ""));
    if (!cg_addr_range_parse(trimmed, &range, error)) {
        g_prefix_error(error, "pool %s: ", name);
        return NULL;
    }

    CgPool *pool = g_new0(CgPool, 1);
    pool->name = g_strdup(name);
    pool->range_text = g_steal_pointer(&trimmed);
    pool->family = range.family;
    pool->addr_len = range.addr_len;
    gboolean ok = range.prefix_len >= 0 ? pool_from_cidr(pool, &range, error)
                                        : pool_from_range(pool, &range, error);
    if (!ok) {
        g_free(pool->range_text);
        g_free(pool->name);
        g_free(pool);
        return NULL;
    }
    g_queue_init(&pool->free_offsets);
    pool->offset_by_owner = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    pool->owner_by_offset = g_hash_table_new(g_direct_hash, g_direct_equal);
    return pool;
}

void
cg_pool_free(CgPool *pool)
{
    if (pool == NULL)
        return;
    g_hash_table_unref(pool->owner_by_offset);
    g_hash_table_unref(pool->offset_by_owner);
    g_queue_clear(&pool->free_offsets);
    g_free(pool->range_text);
    g_free(pool->name);
    g_free(pool);
}

const char *
cg_pool_name(const CgPool *pool)
{
    return pool->name;
}

const char *
cg_pool_range(const CgPool *pool)
{
    return pool->range_text;
}

int
cg_pool_family(const CgPool *pool)
{
    return pool->family;
}

guint
cg_pool_size(const CgPool *pool)
{
    return pool->size;
}

guint
cg_pool_in_use(const CgPool *pool)
{
    return g_hash_table_size(pool->owner_by_offset);
}

static GInetAddress *
address_at(const CgPool *pool, guint offset)
{
    guint8 bytes[16];
    cg_addr_add(pool->addr_len, pool->base, offset, bytes);
    return g_inet_address_new_from_bytes(bytes, (GSocketFamily)pool->family);
}

gboolean
cg_pool_acquire(CgPool *pool, const char *owner, GInetAddress **out, GError **error)
{
    g_return_val_if_fail(pool != NULL && owner != NULL && out != NULL, FALSE);

    gpointer held = g_hash_table_lookup(pool->offset_by_owner, owner);
    if (held != NULL) {
        *out = address_at(pool, GPOINTER_TO_UINT(held) - 1);
        return TRUE;
    }

    guint offset;
    if (pool->next_unused < pool->size) {
        offset = pool->next_unused++;
    } else if (!g_queue_is_empty(&pool->free_offsets)) {
        offset = GPOINTER_TO_UINT(g_queue_pop_head(&pool->free_offsets));
    } else {
        g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_EXHAUSTED,
                    "pool %s is exhausted (%u of %u in use)", pool->name, cg_pool_in_use(pool),
                    pool->size);
        return FALSE;
    }

    char *owner_copy = g_strdup(owner);
    g_hash_table_insert(pool->offset_by_owner, owner_copy, GUINT_TO_POINTER(offset + 1));
    g_hash_table_insert(pool->owner_by_offset, GUINT_TO_POINTER(offset), owner_copy);
    *out = address_at(pool, offset);
    return TRUE;
}

void
cg_pool_release(CgPool *pool, GInetAddress *addr)
{
    g_return_if_fail(pool != NULL && addr != NULL);

    if ((int)g_inet_address_get_family(addr) != pool->family)
        return;
    guint64 offset;
    if (!cg_addr_diff(pool->addr_len, pool->base, g_inet_address_to_bytes(addr), &offset)
        || offset >= pool->size)
        return;
    const char *owner = g_hash_table_lookup(pool->owner_by_offset, GUINT_TO_POINTER(offset));
    if (owner == NULL)
        return; /* not leased: releasing twice is harmless */
    g_hash_table_remove(pool->owner_by_offset, GUINT_TO_POINTER(offset));
    g_hash_table_remove(pool->offset_by_owner, owner); /* frees owner */
    g_queue_push_tail(&pool->free_offsets, GUINT_TO_POINTER((guint)offset));
}

const char *
cg_pool_owner_of(const CgPool *pool, GInetAddress *addr)
{
    if ((int)g_inet_address_get_family(addr) != pool->family)
        return NULL;
    guint64 offset;
    if (!cg_addr_diff(pool->addr_len, pool->base, g_inet_address_to_bytes(addr), &offset)
        || offset >= pool->size)
        return NULL;
    return g_hash_table_lookup(pool->owner_by_offset, GUINT_TO_POINTER((guint)offset));
}
