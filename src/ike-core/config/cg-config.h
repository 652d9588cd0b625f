/* cg-config.h: what a connection asks of the engine.
 *
 * Plain structs, filled by cygnetd's keyfile loader, by the control API
 * and by nm-cygnet-service, and read by the engine. A CgConnConfig is
 * reference counted and immutable once handed to the engine: a reload
 * makes a new one, so running SAs keep the config they started with.
 */
#pragma once

#include <glib.h>
#include <gio/gio.h>
#include "codec/cg-codec.h"
#include "config/cg-ocsp-mode.h"

G_BEGIN_DECLS

#define CG_CONFIG_ERROR (cg_config_error_quark())
GQuark cg_config_error_quark(void);

typedef enum {
    CG_CONFIG_ERROR_INVALID,   /* a value is malformed: the message names the key */
    CG_CONFIG_ERROR_MISSING,   /* a required key is missing */
    CG_CONFIG_ERROR_FILE,      /* file cannot be read */
    CG_CONFIG_ERROR_EXHAUSTED, /* an address pool has no free address */
} CgConfigError;

/* ---- proposals ------------------------------------------------------ */

#define CG_MAX_ALGS 16

typedef struct {
    guint16 id;
    guint16 key_bits; /* 0: the transform has no key length attribute */
} CgAlg;

/* One proposal: every algorithm listed per transform type is acceptable. */
typedef struct {
    guint8 protocol_id; /* CG_PROTO_IKE or CG_PROTO_ESP */
    guint n_encr, n_integ, n_prf, n_dh, n_esn;
    CgAlg encr[CG_MAX_ALGS];
    guint16 integ[CG_MAX_ALGS];
    guint16 prf[CG_MAX_ALGS];
    guint16 dh[CG_MAX_ALGS];
    guint16 esn[2];
} CgProposalSpec;

/* Parses strongSwan-style proposal strings, e.g. "aes256gcm16-prfsha256-x25519"
 * or "aes128-sha256-modp2048" (IKE) and "aes256gcm16-esn" / "aes128-sha256"
 * (ESP; a DH group there means PFS). Tokens: aes128 aes256 aes128gcm16
 * aes256gcm16 chacha20poly1305 sha256 sha384 sha512 prfsha256 prfsha384
 * prfsha512 modp2048 modp3072 modp4096 ecp256 ecp384 x25519 esn noesn.
 * For IKE, an integrity token without an explicit prf implies the same PRF.
 * "default" expands to the project default for that protocol (in a list
 * to all default proposals; alone in cg_proposal_parse to the first).
 * AEAD and classic ciphers cannot share a proposal (RFC 7296 3.3): write
 * them as two, separated by ','. ESP proposals without esn/noesn get noesn. */
gboolean cg_proposal_parse(const char *text, guint8 protocol_id, CgProposalSpec *out,
                           GError **error);
/* A comma-separated list of proposals; returns a GArray of CgProposalSpec. */
GArray *cg_proposal_list_parse(const char *text, guint8 protocol_id, GError **error);
/* The defaults: IKE leads with x25519 and AES-GCM; ESP with AES-GCM. */
GArray *cg_proposal_list_default(guint8 protocol_id);
/* Back to text, e.g. "aes256gcm16-prfsha256-x25519" (for logs and the API).
 * Implied PRFs are written out; a lone "noesn" (the default) is left out. */
char *cg_proposal_to_string(const CgProposalSpec *p);

/* ---- identities and traffic selectors ------------------------------- */

typedef struct {
    guint8 type;  /* CgIdType; 0 = any (match everything, send our address) */
    GBytes *data; /* wire encoding */
} CgIdentity;

/* "10.0.0.1" -> IPV4_ADDR, "::1" -> IPV6_ADDR, "user@example.org" ->
 * RFC822_ADDR, "@host.example" or "host.example" -> FQDN, "%any" -> any.
 * As a pattern (cg_identity_matches), "*.example.org" matches any name
 * below example.org and "*@example.org" any address at example.org.
 * FQDNs compare case-insensitively, everything else byte for byte. */
gboolean cg_identity_parse(const char *text, CgIdentity *out, GError **error);
char *cg_identity_to_string(const CgIdentity *id);
gboolean cg_identity_matches(const CgIdentity *pattern, guint8 type, const guint8 *data, gsize len);
void cg_identity_clear(CgIdentity *id);

/* One traffic selector in config form: a CIDR or range plus protocol/ports.
 * "10.1.0.0/16", "0.0.0.0/0", "::/0", "10.0.0.1-10.0.0.9", "10.0.0.0/8[tcp/80]",
 * "10.0.0.0/8[udp/1024-2047]", "dynamic" (our address, or the virtual IP once
 * assigned; its ts_type is 0 until then, the ports/protocol apply).
 * Protocols: tcp udp icmp icmpv6 sctp any or 0..255; a CIDR with host bits
 * set is rejected. Ports default to 0-65535. */
typedef struct {
    gboolean dynamic;
    CgTrafficSelector ts;
} CgTsConfig;
gboolean cg_ts_parse(const char *text, CgTsConfig *out, GError **error);
/* A comma-separated list, into a GArray of CgTsConfig. */
GArray *cg_ts_list_parse(const char *text, GError **error);
char *cg_ts_to_string(const CgTrafficSelector *ts);
/* Like cg_ts_to_string, but "dynamic[...]" for a dynamic selector. */
char *cg_ts_config_to_string(const CgTsConfig *ts);

/* ---- address pools (responder) --------------------------------------- */

typedef struct CgPool CgPool;
/* "10.3.0.0/24" or "10.3.0.10-10.3.0.50" (IPv4 or IPv6). The network and
 * broadcast addresses of an IPv4 CIDR up to /30 are never handed out (a /31
 * or /32 hands out all). IPv4 pools hold at most 2^24 addresses. IPv6:
 * a /64 or longer, the all-zero host address skipped, bounded to 65536
 * leases; an IPv6 range may span at most 65536 addresses. */
CgPool *cg_pool_new(const char *name, const char *range, GError **error);
void cg_pool_free(CgPool *pool);
const char *cg_pool_name(const CgPool *pool);
const char *cg_pool_range(const CgPool *pool); /* the range text as given */
int cg_pool_family(const CgPool *pool);        /* AF_INET or AF_INET6 */
/* Leases an address to `owner` (the peer identity as text). The same owner
 * gets the same address back while it holds one. Fresh addresses are
 * handed out first, then released ones, oldest first. Fails with
 * CG_CONFIG_ERROR_EXHAUSTED: "pool NAME is exhausted (254 of 254 in use)". */
gboolean cg_pool_acquire(CgPool *pool, const char *owner, GInetAddress **out, GError **error);
void cg_pool_release(CgPool *pool, GInetAddress *addr); /* not leased: no-op */
/* Who holds addr, or NULL. */
const char *cg_pool_owner_of(const CgPool *pool, GInetAddress *addr);
guint cg_pool_size(const CgPool *pool);
guint cg_pool_in_use(const CgPool *pool);

/* ---- connections ---------------------------------------------------- */

typedef enum {
    CG_AUTH_BY_PSK = 1,
    CG_AUTH_BY_PUBKEY = 2, /* certificates: the auth issue */
    CG_AUTH_BY_EAP = 3,
} CgAuthBy;

/* EAP methods (IANA "EAP Method Types"), for auth=eap-* */
typedef enum {
    CG_EAP_ANY = 0, /* client: whatever the server proposes that we support */
    CG_EAP_IDENTITY = 1,
    CG_EAP_NAK = 3,
    CG_EAP_TLS = 13,       /* RFC 5216 */
    CG_EAP_MSCHAPV2 = 26,  /* RFC 2759 inside EAP */
} CgEapMethod;

typedef enum {
    CG_MODE_TUNNEL = 0,
    CG_MODE_TRANSPORT = 1,
} CgChildMode;

typedef enum {
    CG_START_NONE = 0,  /* loaded, waits for a peer or a command */
    CG_START_START = 1, /* initiate at once */
} CgStartAction;

/* Which of the gateway's addresses an initiator tries, in which order
 * (engine/cg-family.c). Key 'address-family'. */
typedef enum {
    CG_FAMILY_AUTO = 0,   /* both, the resolver's order (RFC 6724), families alternating */
    CG_FAMILY_IPV6_FIRST, /* both, IPv6 first */
    CG_FAMILY_IPV4_FIRST, /* both, IPv4 first */
    CG_FAMILY_IPV6_ONLY,
    CG_FAMILY_IPV4_ONLY,
} CgFamilyPref;
/* "auto", "ipv6-first", "ipv4-first", "ipv6-only", "ipv4-only" */
const char *cg_family_pref_to_string(CgFamilyPref pref);
gboolean cg_family_pref_from_string(const char *s, CgFamilyPref *out);

typedef struct {
    char *name;
    GArray *local_ts;      /* CgTsConfig */
    GArray *remote_ts;     /* CgTsConfig */
    GArray *esp_proposals; /* CgProposalSpec, protocol ESP */
    CgChildMode mode;
    guint32 rekey_time_s;  /* 0 = never; default 3600 */
    guint32 life_time_s;   /* hard expiry; default rekey_time * 1.1 */
    guint64 rekey_bytes;   /* 0 = none */
    guint64 rekey_packets; /* 0 = none */
} CgChildConfig;

typedef struct {
    gint ref_count;
    char *name;

    /* addresses: hostnames or literals; NULL local = any */
    char *local_addr;
    char *remote_addr;   /* NULL or "%any" = accept from anywhere (responder) */
    guint16 local_port;  /* default 500 */
    guint16 remote_port; /* default 500 */
    /* initiator: which of remote_addr's addresses to try, in which order;
     * one that does not answer IKE_SA_INIT within retransmit_timeout_ms
     * gives way to the next (engine) */
    CgFamilyPref address_family;

    CgIdentity local_id;
    CgIdentity remote_id; /* type 0 = any */
    CgAuthBy local_auth;
    CgAuthBy remote_auth;
    GBytes *psk;        /* NULL: looked up in the secrets store by identity */
    GPtrArray *psk_ids; /* char*: identities to look the PSK up by; empty = local/remote id */

    GArray *ike_proposals; /* CgProposalSpec, protocol IKE */
    GPtrArray *children;   /* CgChildConfig* */

    /* configuration payload */
    gboolean request_vip4; /* initiator asks for INTERNAL_IP4_ADDRESS */
    gboolean request_vip6;
    /* the arrays below are never NULL, possibly empty */
    GPtrArray *pools;         /* pool names (responder) */
    GPtrArray *dns;           /* GInetAddress*, handed out by the responder */
    GPtrArray *split_include; /* "10.1.0.0/16" strings, INTERNAL_IP4_SUBNET (IP6 for v6) */
    GPtrArray *dns_domains;   /* char*: DNS search domains handed out (RFC 8598) */

    /* timers (seconds) */
    guint32 ike_rekey_time_s;      /* default 14400; 0 = never */
    guint32 reauth_time_s;         /* 0 = never (default) */
    guint32 rand_time_s;           /* jitter subtracted from rekey times; default 10% */
    guint32 dpd_delay_s;           /* liveness check interval; 0 = off; default 30 */
    guint32 retransmit_timeout_ms; /* first timeout, default 1000 */
    double retransmit_base;        /* back-off factor, default 1.8 */
    guint retransmit_tries;        /* give up after; default 5 */

    gboolean force_encap; /* always UDP-encapsulate ESP */
    gboolean mobike;      /* default TRUE (policy issue) */
    gboolean unique_ids;  /* a new IKE_SA from the same id replaces the old; default TRUE */
    CgStartAction start_action;
    char *log_file;  /* per-connection log file, or NULL */
    char *dataplane; /* "auto", "xfrm", "uesp", "log"; NULL = global */

    /* ---- certificates, EAP, fragmentation (auth/, sa/cg-fragment.c) ---- */
    guint8 local_eap;         /* CgEapMethod we run as client (local_auth EAP) */
    guint8 remote_eap;        /* CgEapMethod we demand as server (remote_auth EAP); ANY = MSCHAPv2 */
    char *cert;               /* our certificate file, PEM or DER; CA certificates after it
                               * in the same file are sent as intermediates */
    char *cert_nickname;      /* or: our certificate in the NSS database / on a token */
    char *key;                /* our private key file; NULL: the key of cert in NSS / on a token */
    char *pkcs12;             /* or: certificate and key in one PKCS#12 file */
    char *pkcs11_module;      /* a PKCS#11 module (smartcard, SoftHSM) to load for the token */
    GBytes *key_secret;       /* token PIN or PKCS#12 password; NULL: the secrets store */
    GPtrArray *cacerts;       /* char*: files of trusted CA certificates; never NULL; empty =
                               * the NSS database's trust settings */
    GPtrArray *crls;          /* char*: CRL files checked for the peer's path; never NULL */
    char *remote_cert;        /* the peer's certificate, pinned: no CA needed */
    char *remote_cert_host;   /* initiator: the gateway's certificate must name this host
                               * (subjectAltName dNSName or iPAddress), as a TLS client
                               * checks a server; NULL: no such check */
    CgOcspMode ocsp;          /* OCSP for the peer's certificate (default off) */
    gboolean rsa_pss;         /* sign with RSASSA-PSS where RFC 7427 allows (default no) */
    gboolean send_certreq;    /* send CERTREQ for our CAs (default yes) */
    char *eap_identity;       /* our EAP identity (client); NULL: our IKE identity */
    GBytes *eap_password;     /* EAP-MSCHAPv2 password (client); NULL: the secrets store */
    gboolean eap_only;        /* RFC 5998: ask for (client) / allow (server) EAP-only */
    gboolean fragmentation;   /* RFC 7383 IKE fragmentation (default yes) */
    guint fragment_size;      /* largest IP datagram of an IKE fragment; default 1280 */
    /* Loaded credentials, filled by auth/ on first use (main context);
     * the config is otherwise unchanged once handed to the engine. */
    gpointer auth_cache;
    GDestroyNotify auth_cache_free;
} CgConnConfig;

CgConnConfig *cg_conn_config_new(const char *name); /* all defaults set */
CgConnConfig *cg_conn_config_ref(CgConnConfig *c);
void cg_conn_config_unref(CgConnConfig *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CgConnConfig, cg_conn_config_unref)
CgChildConfig *cg_child_config_new(const char *name); /* defaults set */
void cg_child_config_free(CgChildConfig *c);
/* Checks the whole connection for consistency; names the key on error
 * ("key 'retransmit-tries': 0 is out of range (1..20)"). Names of the
 * connection and its children: 1..64 characters of [A-Za-z0-9_.:@+-]. */
gboolean cg_conn_config_validate(const CgConnConfig *c, GError **error);

G_END_DECLS
