/* cg-cp-reply.c: checks each attribute of a gateway's CP(CFG_REPLY)
 * (RFC 7296 3.15.1) before anything is installed from it. A value of the
 * wrong length (an IPv4 value in an IPv6 attribute or the other way
 * round), a prefix length over 128, a netmask that is not a prefix, or an
 * address no host can have is refused with its reason; the rest of the
 * payload still counts. */
#include "sa/cg-cp-reply.h"

#include <stdarg.h>
#include <string.h>

#include "codec/cg-codec.h"

/* RFC 7296 3.15.1 value lengths */
#define IP4_LEN          4
#define IP4_SUBNET_LEN   8 /* address | netmask */
#define IP6_LEN          16
#define IP6_PREFIXED_LEN 17 /* address | prefix length (ADDRESS, SUBNET) */
#define IP6_MAX_PREFIX   128
#define DNS_DOMAIN_MAX   255 /* RFC 8598 4 / RFC 1035 3.1 */

static const char *
attr_name(guint16 type)
{
    switch (type) {
        case CG_CA_INTERNAL_IP4_ADDRESS:
            return "INTERNAL_IP4_ADDRESS";
        case CG_CA_INTERNAL_IP4_DNS:
            return "INTERNAL_IP4_DNS";
        case CG_CA_INTERNAL_IP4_SUBNET:
            return "INTERNAL_IP4_SUBNET";
        case CG_CA_INTERNAL_IP6_ADDRESS:
            return "INTERNAL_IP6_ADDRESS";
        case CG_CA_INTERNAL_IP6_DNS:
            return "INTERNAL_IP6_DNS";
        case CG_CA_INTERNAL_IP6_SUBNET:
            return "INTERNAL_IP6_SUBNET";
        case CG_CA_INTERNAL_DNS_DOMAIN:
            return "INTERNAL_DNS_DOMAIN";
        default:
            return "attribute";
    }
}

static void G_GNUC_PRINTF(3, 4) reject(CgCpReply *r, guint16 type, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *why = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_ptr_array_add(r->rejected, g_strdup_printf("%s: %s", attr_name(type), why));
}

/* The value length an attribute must have, and a hint when the length is
 * that of the other family's value. */
static gboolean
check_len(CgCpReply *r, guint16 type, gsize len, gsize want, gboolean v6)
{
    if (len == want)
        return TRUE;
    if (len == 0)
        reject(r, type, "empty value in a reply (want %zu bytes)", want);
    else if (v6 && (len == IP4_LEN || len == IP4_SUBNET_LEN))
        reject(r, type, "%zu bytes is an IPv4-sized value in an IPv6 attribute (want %zu)", len,
               want);
    else if (!v6 && (len == IP6_LEN || len == IP6_PREFIXED_LEN))
        reject(r, type, "%zu bytes is an IPv6-sized value in an IPv4 attribute (want %zu)", len,
               want);
    else
        reject(r, type, "%zu bytes (want %zu)", len, want);
    return FALSE;
}

/* An address a host may be given or may send DNS queries to. */
static const char *
unusable_reason(GInetAddress *a, gboolean as_vip)
{
    if (g_inet_address_get_is_any(a))
        return "the unspecified address";
    if (g_inet_address_get_is_multicast(a))
        return "a multicast address";
    if (g_inet_address_get_is_loopback(a))
        return "a loopback address";
    if (as_vip && g_inet_address_get_is_link_local(a))
        return "a link-local address";
    if (g_inet_address_get_family(a) == G_SOCKET_FAMILY_IPV4) {
        static const guint8 broadcast[IP4_LEN] = { 255, 255, 255, 255 };
        if (memcmp(g_inet_address_to_bytes(a), broadcast, IP4_LEN) == 0)
            return "the broadcast address";
    }
    return NULL;
}

static gboolean
contains_address(GPtrArray *list, GInetAddress *a)
{
    for (guint i = 0; i < list->len; i++)
        if (g_inet_address_equal(list->pdata[i], a))
            return TRUE;
    return FALSE;
}

/* INTERNAL_IP4/6_ADDRESS and _DNS */
static void
take_address(CgCpReply *r, const CgCfgAttr *a, gboolean v6, gboolean as_vip)
{
    gsize want = v6 ? (as_vip ? IP6_PREFIXED_LEN : IP6_LEN) : IP4_LEN;
    if (!check_len(r, a->type, a->value_len, want, v6))
        return;
    guint8 prefix_len = v6 ? IP6_MAX_PREFIX : 32;
    if (v6 && as_vip) {
        /* RFC 7296 3.15.1: address | prefix length */
        prefix_len = a->value[IP6_LEN];
        if (prefix_len > IP6_MAX_PREFIX) {
            reject(r, a->type, "prefix length %u is over %u", prefix_len, IP6_MAX_PREFIX);
            return;
        }
    }
    g_autoptr(GInetAddress) addr
        = g_inet_address_new_from_bytes(a->value, v6 ? G_SOCKET_FAMILY_IPV6 : G_SOCKET_FAMILY_IPV4);
    const char *bad = unusable_reason(addr, as_vip);
    if (bad) {
        g_autofree char *s = g_inet_address_to_string(addr);
        reject(r, a->type, "%s is %s", s, bad);
        return;
    }
    GPtrArray *list = as_vip ? r->vips : r->dns;
    if (contains_address(list, addr))
        return; /* a repeated value adds nothing */
    g_ptr_array_add(list, g_steal_pointer(&addr));
    if (as_vip)
        g_array_append_val(r->vip_prefix_lens, prefix_len);
}

/* Clears the bits of addr past prefix_len. */
static void
mask_to_prefix(guint8 *addr, guint addr_len, guint prefix_len)
{
    for (guint b = 0; b < addr_len; b++) {
        guint bits = prefix_len > b * 8 ? MIN(prefix_len - b * 8, 8u) : 0;
        addr[b] &= (guint8)(0xff00u >> bits);
    }
}

static void
add_subnet(CgCpReply *r, int family, guint8 *addr, guint prefix_len)
{
    guint addr_len = family == G_SOCKET_FAMILY_IPV6 ? IP6_LEN : IP4_LEN;
    mask_to_prefix(addr, addr_len, prefix_len);
    g_autoptr(GInetAddress) net = g_inet_address_new_from_bytes(addr, (GSocketFamily)family);
    g_autofree char *s = g_inet_address_to_string(net);
    char *text = g_strdup_printf("%s/%u", s, prefix_len);
    for (guint i = 0; i < r->subnets->len; i++) {
        if (strcmp(r->subnets->pdata[i], text) == 0) {
            g_free(text);
            return;
        }
    }
    g_ptr_array_add(r->subnets, text);
}

/* INTERNAL_IP4_SUBNET: address | netmask; the mask must be a prefix */
static void
take_ip4_subnet(CgCpReply *r, const CgCfgAttr *a)
{
    if (!check_len(r, a->type, a->value_len, IP4_SUBNET_LEN, FALSE))
        return;
    const guint8 *m = a->value + IP4_LEN;
    guint32 mask = (guint32)m[0] << 24 | (guint32)m[1] << 16 | (guint32)m[2] << 8 | m[3];
    guint prefix_len = 0;
    while (prefix_len < 32 && (mask & (0x80000000u >> prefix_len)))
        prefix_len++;
    if (prefix_len < 32 && (mask << prefix_len) != 0) {
        reject(r, a->type, "netmask %u.%u.%u.%u is not a prefix", m[0], m[1], m[2], m[3]);
        return;
    }
    guint8 addr[IP4_LEN];
    memcpy(addr, a->value, IP4_LEN);
    add_subnet(r, G_SOCKET_FAMILY_IPV4, addr, prefix_len);
}

/* INTERNAL_IP6_SUBNET: address | prefix length */
static void
take_ip6_subnet(CgCpReply *r, const CgCfgAttr *a)
{
    if (!check_len(r, a->type, a->value_len, IP6_PREFIXED_LEN, TRUE))
        return;
    guint prefix_len = a->value[IP6_LEN];
    if (prefix_len > IP6_MAX_PREFIX) {
        reject(r, a->type, "prefix length %u is over %u", prefix_len, IP6_MAX_PREFIX);
        return;
    }
    guint8 addr[IP6_LEN];
    memcpy(addr, a->value, IP6_LEN);
    add_subnet(r, G_SOCKET_FAMILY_IPV6, addr, prefix_len);
}

/* RFC 8598 4: a domain name, no NUL; anything else is dropped */
static void
take_dns_domain(CgCpReply *r, const CgCfgAttr *a)
{
    gboolean ok = a->value_len > 0 && a->value_len <= DNS_DOMAIN_MAX;
    for (gsize j = 0; ok && j < a->value_len; j++)
        ok = g_ascii_isalnum(a->value[j]) || a->value[j] == '-' || a->value[j] == '.';
    if (!ok) {
        reject(r, a->type, "not a domain name (%zu bytes)", a->value_len);
        return;
    }
    g_ptr_array_add(r->dns_domains, g_strndup((const char *)a->value, a->value_len));
}

CgCpReply *
cg_cp_reply_parse(const guint8 *body, gsize len, GError **error)
{
    g_autofree CgCpPayload *cp = g_new0(CgCpPayload, 1);
    if (!cg_payload_parse_cp(body, len, cp, error))
        return NULL;
    if (cp->cfg_type != CG_CFG_REPLY) {
        g_set_error(error, CG_CODEC_ERROR, CG_CODEC_ERROR_MALFORMED,
                    "CP: CFG type %u where a CFG_REPLY (%u) belongs", cp->cfg_type, CG_CFG_REPLY);
        return NULL;
    }
    CgCpReply *r = g_new0(CgCpReply, 1);
    r->vips = g_ptr_array_new_with_free_func(g_object_unref);
    r->vip_prefix_lens = g_array_new(FALSE, FALSE, sizeof(guint8));
    r->dns = g_ptr_array_new_with_free_func(g_object_unref);
    r->subnets = g_ptr_array_new_with_free_func(g_free);
    r->dns_domains = g_ptr_array_new_with_free_func(g_free);
    r->rejected = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < cp->n_attrs; i++) {
        const CgCfgAttr *a = &cp->attrs[i];
        switch (a->type) {
            case CG_CA_INTERNAL_IP4_ADDRESS:
                take_address(r, a, FALSE, TRUE);
                break;
            case CG_CA_INTERNAL_IP4_DNS:
                take_address(r, a, FALSE, FALSE);
                break;
            case CG_CA_INTERNAL_IP6_ADDRESS:
                take_address(r, a, TRUE, TRUE);
                break;
            case CG_CA_INTERNAL_IP6_DNS:
                take_address(r, a, TRUE, FALSE);
                break;
            case CG_CA_INTERNAL_IP4_SUBNET:
                take_ip4_subnet(r, a);
                break;
            case CG_CA_INTERNAL_IP6_SUBNET:
                take_ip6_subnet(r, a);
                break;
            case CG_CA_INTERNAL_DNS_DOMAIN:
                take_dns_domain(r, a);
                break;
            default:
                break; /* RFC 7296 3.15.1: unknown attributes are ignored */
        }
    }
    return r;
}

void
cg_cp_reply_free(CgCpReply *reply)
{
    if (reply == NULL)
        return;
    g_ptr_array_unref(reply->vips);
    g_array_unref(reply->vip_prefix_lens);
    g_ptr_array_unref(reply->dns);
    g_ptr_array_unref(reply->subnets);
    g_ptr_array_unref(reply->dns_domains);
    g_ptr_array_unref(reply->rejected);
    g_free(reply);
}
