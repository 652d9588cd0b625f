/* lg-options.c: cygnet-loadgen's command line, with its bounds checked. */
#include "lg-options.h"

#include <gio/gio.h>

#define LG_MAX_COUNT  10000000
#define LG_MAX_WINDOW 100000
#define LG_MAX_IDS    1000000

static void
set_defaults(LgOptions *o)
{
    *o = (LgOptions){
        .remote_port = 500,
        .local_port = 0,
        .count = 1000,
        .window = 32,
        .duration_s = 60.0,
        .ids = 0,
        .retransmit_timeout_ms = 2000,
        .retransmit_tries = 3,
        .steady_from = 0.1,
        .steady_to = 0.9,
    };
}

static gboolean
check_range(const char *name, double value, double min, double max, GError **error)
{
    if (value >= min && value <= max)
        return TRUE;
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                "--%s: %g is out of range (%g..%g)", name, value, min, max);
    return FALSE;
}

static gboolean
check_options(LgOptions *o, GError **error)
{
    if (!o->remote_addr) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "--remote ADDR is required");
        return FALSE;
    }
    g_autoptr(GInetAddress) remote = g_inet_address_new_from_string(o->remote_addr);
    if (!remote) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--remote: '%s' is not an IP address", o->remote_addr);
        return FALSE;
    }
    if (o->local_addr) {
        g_autoptr(GInetAddress) local = g_inet_address_new_from_string(o->local_addr);
        if (!local) {
            g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "--local: '%s' is not an IP address", o->local_addr);
            return FALSE;
        }
    }
    return check_range("port", o->remote_port, 1, 65535, error)
           && check_range("local-port", o->local_port, 0, 65535, error)
           && check_range("count", o->count, 1, LG_MAX_COUNT, error)
           && check_range("window", o->window, 1, LG_MAX_WINDOW, error)
           && check_range("duration", o->duration_s, 0.1, 86400.0, error)
           && check_range("ids", o->ids, 0, LG_MAX_IDS, error)
           && check_range("retransmit-timeout", o->retransmit_timeout_ms, 10, 60000, error)
           && check_range("retransmit-tries", o->retransmit_tries, 1, 20, error)
           && check_range("steady-from", o->steady_from, 0.0, 0.99, error)
           && check_range("steady-to", o->steady_to, o->steady_from + 0.01, 1.0, error);
}

gboolean
lg_options_parse(LgOptions *o, int *argc, char ***argv, GError **error)
{
    set_defaults(o);
    GOptionEntry entries[] = {
        { "remote", 'r', 0, G_OPTION_ARG_STRING, &o->remote_addr, "Responder address (required)",
          "ADDR" },
        { "port", 'p', 0, G_OPTION_ARG_INT, &o->remote_port, "Responder IKE port (default 500)",
          "N" },
        { "local", 'l', 0, G_OPTION_ARG_STRING, &o->local_addr,
          "Our address (default: the route's source address)", "ADDR" },
        { "local-port", 0, 0, G_OPTION_ARG_INT, &o->local_port,
          "Our IKE port (default 0: a free port)", "N" },
        { "count", 'n', 0, G_OPTION_ARG_INT, &o->count, "IKE_SAs to establish (default 1000)",
          "N" },
        { "window", 'w', 0, G_OPTION_ARG_INT, &o->window, "IKE_SAs in flight at once (default 32)",
          "W" },
        { "duration", 'd', 0, G_OPTION_ARG_DOUBLE, &o->duration_s,
          "Start no new IKE_SA after this many seconds (default 60)", "S" },
        { "ids", 0, 0, G_OPTION_ARG_INT, &o->ids,
          "Distinct initiator identities, used in turn (default 0: one per IKE_SA)", "K" },
        { "psk", 0, 0, G_OPTION_ARG_STRING, &o->psk, "Pre-shared key (default: bench-psk)",
          "SECRET" },
        { "ike", 0, 0, G_OPTION_ARG_STRING, &o->ike_proposal,
          "IKE proposal (default aes256gcm16-prfsha256-x25519)", "PROPOSAL" },
        { "esp", 0, 0, G_OPTION_ARG_STRING, &o->esp_proposal, "ESP proposal (default aes256gcm16)",
          "PROPOSAL" },
        { "local-net", 0, 0, G_OPTION_ARG_STRING, &o->local_net,
          "IPv4 network whose addresses are the identities' TSi /32 (default 10.201.0.0/16)",
          "CIDR" },
        { "remote-ts", 0, 0, G_OPTION_ARG_STRING, &o->remote_ts,
          "TSr to ask for (default 10.202.0.0/16)", "TS" },
        { "retransmit-timeout", 0, 0, G_OPTION_ARG_INT, &o->retransmit_timeout_ms,
          "First retransmission timeout in ms (default 2000)", "MS" },
        { "retransmit-tries", 0, 0, G_OPTION_ARG_INT, &o->retransmit_tries,
          "Retransmissions before giving up (default 3)", "N" },
        { "steady-from", 0, 0, G_OPTION_ARG_DOUBLE, &o->steady_from,
          "Steady part starts when this fraction is established (default 0.1)", "F" },
        { "steady-to", 0, 0, G_OPTION_ARG_DOUBLE, &o->steady_to,
          "Steady part ends when this fraction is established (default 0.9)", "F" },
        { "json", 'j', 0, G_OPTION_ARG_NONE, &o->json, "Print one JSON object on one line", NULL },
        { "hold", 0, 0, G_OPTION_ARG_NONE, &o->hold,
          "Keep the IKE_SAs up after the report until SIGTERM/SIGINT; SIGUSR1 prints a status line",
          NULL },
        { "delete", 0, 0, G_OPTION_ARG_NONE, &o->delete_at_end,
          "Delete every IKE_SA before exiting and wait for the deletes", NULL },
        { "churn", 0, 0, G_OPTION_ARG_NONE, &o->churn,
          "Delete each IKE_SA as soon as it is up: the responder holds only about W", NULL },
        { "fresh-dh", 0, 0, G_OPTION_ARG_NONE, &o->fresh_dh,
          "A new key pair for every IKE_SA (default: one reused pair, see README)", NULL },
        { "log-level", 0, 0, G_OPTION_ARG_STRING, &o->log_level,
          "Engine log level (default warning)", "LEVEL" },
        { NULL },
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("- IKEv2 handshake load generator");
    g_option_context_set_summary(
        ctx, "Keeps W IKE_SAs (PSK, one CHILD_SA each) in flight against one responder until\n"
             "N are established, then reports established IKE_SAs per second.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, argc, argv, error))
        return FALSE;
    if (*argc > 1) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "unexpected argument '%s'",
                    (*argv)[1]);
        return FALSE;
    }
    if (o->churn && o->hold) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                    "--churn and --hold exclude each other");
        return FALSE;
    }
    if (!o->psk)
        o->psk = g_strdup("bench-psk");
    if (!o->ike_proposal)
        o->ike_proposal = g_strdup("aes256gcm16-prfsha256-x25519");
    if (!o->esp_proposal)
        o->esp_proposal = g_strdup("aes256gcm16");
    if (!o->local_net)
        o->local_net = g_strdup("10.201.0.0/16");
    if (!o->remote_ts)
        o->remote_ts = g_strdup("10.202.0.0/16");
    if (!o->log_level)
        o->log_level = g_strdup("warning");
    return check_options(o, error);
}

void
lg_options_clear(LgOptions *o)
{
    g_free(o->remote_addr);
    g_free(o->local_addr);
    g_free(o->psk);
    g_free(o->ike_proposal);
    g_free(o->esp_proposal);
    g_free(o->local_net);
    g_free(o->remote_ts);
    g_free(o->log_level);
}
