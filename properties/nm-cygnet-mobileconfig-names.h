/* nm-cygnet-mobileconfig-names.h: what the .mobileconfig reader
 * (nm-cygnet-format-mobileconfig.c) and writer
 * (nm-cygnet-format-mobileconfig-write.c) share: Apple's payload types
 * and its names for algorithms and liveness-check rates. Private to
 * those two files. */
#pragma once

#include <glib.h>

#define VPN_PAYLOAD_TYPE     "com.apple.vpn.managed"
#define PROFILE_PAYLOAD_TYPE "Configuration"
#define ROOT_PAYLOAD_TYPE    "com.apple.security.root"
#define PKCS12_PAYLOAD_TYPE  "com.apple.security.pkcs12"
/* the smallest DER certificate or PKCS#12 file is bigger than this */
#define MIN_DER_BYTES 64

/* Apple's names -> Cygnet's (docs/cygnetd.md, "Proposals") */
static const struct {
    const char *apple;
    const char *cygnet;
    gboolean aead;
} ciphers[] = {
    { "AES-128", "aes128", FALSE },
    { "AES-256", "aes256", FALSE },
    { "AES-128-GCM", "aes128gcm16", TRUE },
    { "AES-256-GCM", "aes256gcm16", TRUE },
    { "ChaCha20Poly1305", "chacha20poly1305", TRUE },
};
static const struct {
    const char *apple;
    const char *integ;
    const char *prf;
} integrities[] = {
    { "SHA2-256", "sha256", "prfsha256" },
    { "SHA2-384", "sha384", "prfsha384" },
    { "SHA2-512", "sha512", "prfsha512" },
};
static const struct {
    gint64 group;
    const char *cygnet;
} dh_groups[] = {
    { 14, "modp2048" }, { 15, "modp3072" }, { 16, "modp4096" },
    { 19, "ecp256" },   { 20, "ecp384" },   { 31, "x25519" },
};
/* DeadPeerDetectionRate: how often Apple checks (Low 30 min, Medium
 * 10 min, High 1 min) */
static const struct {
    const char *rate;
    const char *delay;
} dpd_rates[] = {
    { "None", "0" },
    { "Low", "30m" },
    { "Medium", "10m" },
    { "High", "1m" },
};
