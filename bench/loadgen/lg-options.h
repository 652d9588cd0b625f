/* lg-options.h: cygnet-loadgen's command line. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
    char *remote_addr;  /* responder address (required) */
    int remote_port;    /* responder IKE port */
    char *local_addr;   /* address to bind and initiate from; NULL: route source */
    int local_port;     /* our IKE port; 0 picks a free one */
    int count;          /* IKE_SAs to establish */
    int window;         /* IKE_SAs in flight at once */
    double duration_s;  /* stop starting new IKE_SAs after this long */
    int ids;            /* distinct initiator identities; 0 = one per IKE_SA */
    char *psk;          /* pre-shared key (text) */
    char *ike_proposal; /* e.g. "aes256gcm16-prfsha256-x25519" */
    char *esp_proposal; /* e.g. "aes256gcm16" */
    char *local_net;    /* IPv4 network the per-identity /32 TSi come from */
    char *remote_ts;    /* TSr we ask for */
    int retransmit_timeout_ms;
    int retransmit_tries;
    double steady_from;     /* the steady part: fraction of IKE_SAs done ... */
    double steady_to;       /* ... to this fraction */
    gboolean json;          /* one JSON object on one line instead of text */
    gboolean hold;          /* keep the IKE_SAs up until SIGTERM/SIGINT */
    gboolean delete_at_end; /* delete every IKE_SA before exiting, and wait */
    gboolean churn;         /* delete each IKE_SA as soon as it is up */
    gboolean fresh_dh;      /* a new key pair per IKE_SA (no loadgen reuse) */
    char *log_level;        /* the engine's log level */
} LgOptions;

/* Parses argv (removing what it consumed); on error says why in `error`. */
gboolean lg_options_parse(LgOptions *opts, int *argc, char ***argv, GError **error);
void lg_options_clear(LgOptions *opts);

G_END_DECLS
