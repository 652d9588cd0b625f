/* cygnet-policy-config.h: the policy file (docs/policy.md).
 *
 *   [policy]
 *   vpn = corp               # the VPN that guards untrusted networks (name or UUID)
 *   down-on-trusted = yes    # take it down on a trusted network
 *
 *   [trusted]                # any match makes a network trusted
 *   connection = home        # a connection profile, by name or UUID
 *   ssid = HomeNet           # a Wi-Fi network
 *   bssid = 00:11:22:33:44:55
 *   type = ethernet          # every connection of a type
 *
 * Comments are whole lines starting with '#' or ';'. A value runs to the
 * end of its line (an SSID may hold '#' and spaces); double quotes keep
 * leading and trailing spaces, with \" and \\ inside them. An error names
 * the file and line; a file with any error is not used at all.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define POLICY_CONFIG_ERROR (policy_config_error_quark())
GQuark policy_config_error_quark(void);

typedef enum {
    POLICY_CONFIG_ERROR_READ,
    POLICY_CONFIG_ERROR_SYNTAX,
} PolicyConfigError;

typedef enum {
    POLICY_MATCH_CONNECTION = 1, /* profile name or UUID */
    POLICY_MATCH_SSID,
    POLICY_MATCH_BSSID,
    POLICY_MATCH_TYPE,
} PolicyMatchKind;

typedef struct {
    PolicyMatchKind kind;
    char *value; /* BSSID upper case "AA:BB:..."; type as NetworkManager names it */
    guint line;
} PolicyMatch;

typedef struct {
    char *path;
    char *vpn; /* name or UUID */
    gboolean down_on_trusted;
    GPtrArray *trusted; /* PolicyMatch* */
} PolicyConfig;

/* Longest line accepted, in bytes. */
#define POLICY_MAX_LINE 1024
/* At most this many [trusted] entries. */
#define POLICY_MAX_MATCHES 1024

PolicyConfig *policy_config_parse(const char *path, const char *text, gsize len, GError **error);
PolicyConfig *policy_config_load(const char *path, GError **error);
void policy_config_free(PolicyConfig *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PolicyConfig, policy_config_free)

const char *policy_match_kind_name(PolicyMatchKind kind); /* "connection", "ssid", ... */

/* NetworkManager's type name for a type= value ("wifi" -> "802-11-wireless"),
 * or NULL when unknown. */
const char *policy_nm_type(const char *name);

G_END_DECLS
