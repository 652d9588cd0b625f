/* nm-test-agent: a NetworkManager secret agent for the nm tests.
 *
 *   nm-test-agent PSK-FILE REQUEST-LOG
 *
 * Registers on the system bus ($DBUS_SYSTEM_BUS_ADDRESS) with the VPN-hints
 * capability and answers every request for a VPN connection's secrets
 * with {"psk": <first line of PSK-FILE>}. Each request is appended to
 * REQUEST-LOG as "request setting=vpn flags=0x5 hints=psk,..." (never the
 * PSK), so a test sees when NetworkManager asked (NeedSecrets) and when
 * the service asked mid-connect (ConnectInteractive -> SecretsRequired ->
 * NewSecrets, which carries hints). Runs until SIGTERM.
 */
#include "config.h"

#include <glib-unix.h>
#include <stdio.h>
#include <string.h>

#include <NetworkManager.h>
#include <nm-secret-agent-old.h> /* not part of NetworkManager.h */

#include "nm-cygnet-keys.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(NMSecretAgentOld, g_object_unref)

#define NM_TEST_TYPE_AGENT (nm_test_agent_get_type())
G_DECLARE_FINAL_TYPE(NmTestAgent, nm_test_agent, NM_TEST, AGENT, NMSecretAgentOld)

struct _NmTestAgent {
    NMSecretAgentOld parent;
};

G_DEFINE_TYPE(NmTestAgent, nm_test_agent, NM_TYPE_SECRET_AGENT_OLD)

static char *psk_text;
static char *request_log;

static void
log_request(const char *setting_name, const char **hints, NMSecretAgentGetSecretsFlags flags)
{
    g_autofree char *joined = hints ? g_strjoinv(",", (char **)hints) : g_strdup("");
    FILE *f = fopen(request_log, "a");
    if (!f)
        return;
    fprintf(f, "request setting=%s flags=0x%x hints=%s\n", setting_name, (unsigned)flags, joined);
    fclose(f);
}

static void
get_secrets(NMSecretAgentOld *agent, NMConnection *connection, const char *connection_path,
            const char *setting_name, const char **hints, NMSecretAgentGetSecretsFlags flags,
            NMSecretAgentOldGetSecretsFunc callback, gpointer user_data)
{
    log_request(setting_name, hints, flags);
    if (g_strcmp0(setting_name, NM_SETTING_VPN_SETTING_NAME) != 0) {
        g_autoptr(GError) error = g_error_new(
            NM_SECRET_AGENT_ERROR, NM_SECRET_AGENT_ERROR_NO_SECRETS, "only VPN secrets here");
        callback(agent, connection, NULL, error, user_data);
        return;
    }
    GVariantBuilder secrets;
    g_variant_builder_init(&secrets, G_VARIANT_TYPE("a{ss}"));
    g_variant_builder_add(&secrets, "{ss}", NM_CYGNET_SECRET_PSK, psk_text);
    GVariantBuilder setting;
    g_variant_builder_init(&setting, G_VARIANT_TYPE_VARDICT);
    g_variant_builder_add(&setting, "{sv}", NM_SETTING_VPN_SECRETS,
                          g_variant_builder_end(&secrets));
    GVariantBuilder all;
    g_variant_builder_init(&all, G_VARIANT_TYPE("a{sa{sv}}"));
    g_variant_builder_add(&all, "{sa{sv}}", NM_SETTING_VPN_SETTING_NAME, &setting);
    g_autoptr(GVariant) dict = g_variant_ref_sink(g_variant_builder_end(&all));
    callback(agent, connection, dict, NULL, user_data);
}

static void
cancel_get_secrets(NMSecretAgentOld *agent, const char *connection_path, const char *setting_name)
{
}

static void
save_secrets(NMSecretAgentOld *agent, NMConnection *connection, const char *connection_path,
             NMSecretAgentOldSaveSecretsFunc callback, gpointer user_data)
{
    callback(agent, connection, NULL, user_data);
}

static void
delete_secrets(NMSecretAgentOld *agent, NMConnection *connection, const char *connection_path,
               NMSecretAgentOldDeleteSecretsFunc callback, gpointer user_data)
{
    callback(agent, connection, NULL, user_data);
}

static void
nm_test_agent_init(NmTestAgent *self)
{
}

static void
nm_test_agent_class_init(NmTestAgentClass *klass)
{
    NMSecretAgentOldClass *agent_class = NM_SECRET_AGENT_OLD_CLASS(klass);
    agent_class->get_secrets = get_secrets;
    agent_class->cancel_get_secrets = cancel_get_secrets;
    agent_class->save_secrets = save_secrets;
    agent_class->delete_secrets = delete_secrets;
}

static void
on_registered(GObject *agent, GParamSpec *pspec, gpointer data)
{
    if (nm_secret_agent_old_get_registered(NM_SECRET_AGENT_OLD(agent))) {
        printf("agent registered\n");
        fflush(stdout);
    }
}

static gboolean
on_term(gpointer loop)
{
    g_main_loop_quit(loop);
    return G_SOURCE_REMOVE;
}

int
main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: nm-test-agent PSK-FILE REQUEST-LOG\n");
        return 2;
    }
    g_autoptr(GError) error = NULL;
    if (!g_file_get_contents(argv[1], &psk_text, NULL, &error)) {
        fprintf(stderr, "nm-test-agent: %s\n", error->message);
        return 1;
    }
    psk_text[strcspn(psk_text, "\n")] = '\0';
    request_log = argv[2];
    g_autoptr(NMSecretAgentOld) agent = g_initable_new(
        NM_TEST_TYPE_AGENT, NULL, &error, NM_SECRET_AGENT_OLD_IDENTIFIER, "cygnet.test.agent",
        NM_SECRET_AGENT_OLD_CAPABILITIES, NM_SECRET_AGENT_CAPABILITY_VPN_HINTS, NULL);
    if (!agent) {
        fprintf(stderr, "nm-test-agent: %s\n", error->message);
        return 1;
    }
    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
    g_unix_signal_add(SIGTERM, on_term, loop);
    g_unix_signal_add(SIGINT, on_term, loop);
    g_signal_connect(agent, "notify::" NM_SECRET_AGENT_OLD_REGISTERED, G_CALLBACK(on_registered),
                     NULL);
    on_registered(G_OBJECT(agent), NULL, NULL);
    g_main_loop_run(loop);
    memset(psk_text, 0, strlen(psk_text));
    g_free(psk_text);
    return 0;
}
