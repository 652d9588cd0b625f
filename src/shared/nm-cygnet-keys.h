/* nm-cygnet-keys.h: the vpn.data and vpn.secrets keys of a Cygnet VPN
 * connection, shared by the service (src/service/nm), the editor
 * (properties/) and the auth dialog (src/auth-dialog/).
 *
 * docs/nm-settings.md is the one table of these keys: their values,
 * defaults and meaning. Change both together. No dependencies: plain
 * string constants, usable from GTK code and from the service alike.
 */
#pragma once

/* D-Bus name of the service and the service type in a connection. */
#define NM_CYGNET_DBUS_SERVICE "org.freedesktop.NetworkManager.cygnet"

/* ---- vpn.data --------------------------------------------------------- */

#define NM_CYGNET_KEY_GATEWAY            "gateway"            /* host name or address, required */
#define NM_CYGNET_KEY_PORT               "port"               /* gateway's IKE port, 500 */
#define NM_CYGNET_KEY_ADDRESS_FAMILY     "address-family"     /* NM_CYGNET_FAMILY_*: gateway addresses */
#define NM_CYGNET_KEY_LOCAL_ID           "local-id"           /* our IKE identity */
#define NM_CYGNET_KEY_REMOTE_ID          "remote-id"          /* the gateway's identity */
#define NM_CYGNET_KEY_AUTH               "auth"               /* NM_CYGNET_AUTH_* */
#define NM_CYGNET_KEY_IKE                "ike"                /* IKE proposals */
#define NM_CYGNET_KEY_ESP                "esp"                /* ESP proposals */
#define NM_CYGNET_KEY_VIRTUAL_IP         "virtual-ip"         /* NM_CYGNET_VIP_* */
#define NM_CYGNET_KEY_LOCAL_TS           "local-ts"           /* traffic selectors, our side */
#define NM_CYGNET_KEY_REMOTE_TS          "remote-ts"          /* traffic selectors, the gateway's */
#define NM_CYGNET_KEY_DPD_DELAY          "dpd-delay"          /* duration, liveness checks */
#define NM_CYGNET_KEY_REKEY_TIME         "rekey-time"         /* duration, IKE_SA rekey */
#define NM_CYGNET_KEY_REAUTH_TIME        "reauth-time"        /* duration, IKE_SA reauth */
#define NM_CYGNET_KEY_CHILD_REKEY_TIME   "child-rekey-time"   /* duration, CHILD_SA rekey */
#define NM_CYGNET_KEY_CHILD_LIFE_TIME    "child-life-time"    /* duration, CHILD_SA expiry */
#define NM_CYGNET_KEY_RETRANSMIT_TIMEOUT "retransmit-timeout" /* duration, first retransmit */
#define NM_CYGNET_KEY_RETRANSMIT_TRIES   "retransmit-tries"   /* number */
#define NM_CYGNET_KEY_ENCAP              "encap"              /* boolean, force UDP encap */
#define NM_CYGNET_KEY_MOBIKE             "mobike"             /* boolean */
#define NM_CYGNET_KEY_DATAPLANE          "dataplane"          /* NM_CYGNET_DATAPLANE_* */
#define NM_CYGNET_KEY_MTU                "mtu"                /* tunnel MTU; unset: uesp sizes it */
#define NM_CYGNET_KEY_PSK_FLAGS          "psk-flags"          /* NMSettingSecretFlags of "psk" */
/* certificates and EAP (auth=cert, auth=eap) */
#define NM_CYGNET_KEY_CERT                 "cert"                 /* our certificate file (PEM/DER) */
#define NM_CYGNET_KEY_KEY                  "key"                  /* its private key file */
#define NM_CYGNET_KEY_PKCS12               "pkcs12"               /* or: certificate and key in one file */
#define NM_CYGNET_KEY_PKCS11_MODULE        "pkcs11-module"        /* or: a token's PKCS#11 module */
#define NM_CYGNET_KEY_CERT_NICKNAME        "cert-nickname"        /* the certificate on the token */
#define NM_CYGNET_KEY_CA_CERT              "ca-cert"              /* gateway's CA file; empty: system */
#define NM_CYGNET_KEY_CRL                  "crl"                  /* a CRL file */
#define NM_CYGNET_KEY_OCSP                 "ocsp"                 /* no, soft, hard */
#define NM_CYGNET_KEY_REMOTE_CERT          "remote-cert"          /* the gateway's certificate, pinned */
#define NM_CYGNET_KEY_EAP_METHOD           "eap-method"           /* NM_CYGNET_EAP_* */
#define NM_CYGNET_KEY_USER                 "user"                 /* our EAP identity */
#define NM_CYGNET_KEY_PASSWORD_FLAGS       "password-flags"       /* flags of "password" */
#define NM_CYGNET_KEY_PIN_FLAGS            "pin-flags"            /* flags of "pin" */
#define NM_CYGNET_KEY_KEY_PASSPHRASE_FLAGS "key-passphrase-flags" /* flags of "key-passphrase" */

/* Every vpn.data key, for building a table: { NM_CYGNET_DATA_KEYS, NULL }.
 * A key not listed here is refused at connect time. */
#define NM_CYGNET_DATA_KEYS                                                                        \
    NM_CYGNET_KEY_GATEWAY, NM_CYGNET_KEY_PORT, NM_CYGNET_KEY_ADDRESS_FAMILY, NM_CYGNET_KEY_LOCAL_ID, NM_CYGNET_KEY_REMOTE_ID,    \
        NM_CYGNET_KEY_AUTH, NM_CYGNET_KEY_IKE, NM_CYGNET_KEY_ESP, NM_CYGNET_KEY_VIRTUAL_IP,        \
        NM_CYGNET_KEY_LOCAL_TS, NM_CYGNET_KEY_REMOTE_TS, NM_CYGNET_KEY_DPD_DELAY,                  \
        NM_CYGNET_KEY_REKEY_TIME, NM_CYGNET_KEY_REAUTH_TIME, NM_CYGNET_KEY_CHILD_REKEY_TIME,       \
        NM_CYGNET_KEY_CHILD_LIFE_TIME, NM_CYGNET_KEY_RETRANSMIT_TIMEOUT,                           \
        NM_CYGNET_KEY_RETRANSMIT_TRIES, NM_CYGNET_KEY_ENCAP, NM_CYGNET_KEY_MOBIKE,                 \
        NM_CYGNET_KEY_DATAPLANE, NM_CYGNET_KEY_MTU, NM_CYGNET_KEY_PSK_FLAGS, NM_CYGNET_KEY_CERT,     \
        NM_CYGNET_KEY_KEY, NM_CYGNET_KEY_PKCS12, NM_CYGNET_KEY_PKCS11_MODULE,                      \
        NM_CYGNET_KEY_CERT_NICKNAME, NM_CYGNET_KEY_CA_CERT, NM_CYGNET_KEY_CRL, NM_CYGNET_KEY_OCSP,    \
        NM_CYGNET_KEY_REMOTE_CERT, NM_CYGNET_KEY_EAP_METHOD, NM_CYGNET_KEY_USER,                   \
        NM_CYGNET_KEY_PASSWORD_FLAGS, NM_CYGNET_KEY_PIN_FLAGS, NM_CYGNET_KEY_KEY_PASSPHRASE_FLAGS

/* ---- vpn.secrets ------------------------------------------------------ */

#define NM_CYGNET_SECRET_PSK            "psk"            /* the pre-shared key */
#define NM_CYGNET_SECRET_PASSWORD       "password"       /* EAP-MSCHAPv2 password */
#define NM_CYGNET_SECRET_PIN            "pin"            /* the token's PIN */
#define NM_CYGNET_SECRET_KEY_PASSPHRASE "key-passphrase" /* the PKCS#12 file's password */

#define NM_CYGNET_SECRET_KEYS                                                                      \
    NM_CYGNET_SECRET_PSK, NM_CYGNET_SECRET_PASSWORD, NM_CYGNET_SECRET_PIN,                         \
        NM_CYGNET_SECRET_KEY_PASSPHRASE

/* ---- values ------------------------------------------------------------ */

#define NM_CYGNET_AUTH_PSK  "psk"
#define NM_CYGNET_AUTH_CERT "cert" /* our certificate; the gateway's too */
#define NM_CYGNET_AUTH_EAP  "eap"  /* EAP inside IKEv2; the gateway's certificate */

#define NM_CYGNET_EAP_MSCHAPV2 "mschapv2" /* user name and password */
#define NM_CYGNET_EAP_TLS      "tls"      /* our certificate, inside EAP */

/* values of NM_CYGNET_KEY_OCSP (absent = no) */
#define NM_CYGNET_OCSP_NO   "no"   /* no OCSP check */
#define NM_CYGNET_OCSP_SOFT "soft" /* revoked refuses; no answer is accepted */
#define NM_CYGNET_OCSP_HARD "hard" /* only a fresh "good" answer connects */

#define NM_CYGNET_VIP_IPV4 "ipv4"
#define NM_CYGNET_VIP_IPV6 "ipv6"
#define NM_CYGNET_VIP_BOTH "both"
#define NM_CYGNET_VIP_NO   "no"

/* which of the gateway name's addresses to try, in which order */
#define NM_CYGNET_FAMILY_AUTO       "auto"       /* the resolver's order (RFC 6724) */
#define NM_CYGNET_FAMILY_IPV6_FIRST "ipv6-first"
#define NM_CYGNET_FAMILY_IPV4_FIRST "ipv4-first"
#define NM_CYGNET_FAMILY_IPV6_ONLY  "ipv6-only"
#define NM_CYGNET_FAMILY_IPV4_ONLY  "ipv4-only"

#define NM_CYGNET_DATAPLANE_AUTO "auto"
#define NM_CYGNET_DATAPLANE_UESP "uesp"
#define NM_CYGNET_DATAPLANE_XFRM "xfrm"
#define NM_CYGNET_DATAPLANE_LOG  "log"

/* ---- defaults ---------------------------------------------------------- */

#define NM_CYGNET_DEFAULT_PORT      500
#define NM_CYGNET_DEFAULT_DPD_DELAY "30s"
/* the gateway's CA when ca-cert and remote-cert are empty (Debian's bundle) */
#define NM_CYGNET_SYSTEM_CA_FILE "/etc/ssl/certs/ca-certificates.crt"
