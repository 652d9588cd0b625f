/* cygnet-esp-cost: the CPU time the data plane's ESP code (cg_esp_seal and
 * cg_esp_open, NSS underneath) spends per packet, for the packets a TCP
 * stream through a tunnel carries, as one JSON object.
 *
 * bench/esp-throughput runs it in the same run as the iperf3 figures to
 * put a floor under any user-space tunnel on this machine: what the plain
 * link costs per GB plus what sealing and opening cost per GB is the
 * least CPU a tunnel can need, before copies, system calls and wake-ups.
 *
 * The packets are those of the bench: outer IPv4, ESP in UDP (RFC 3948),
 * a path MTU of --mtu, the largest inner packet that fits (as uesp sizes
 * its TUN), of which the TCP payload is what iperf3 counts. */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec/cg-codec.h"
#include "config/cg-config.h"
#include "crypto/cg-crypto.h"
#include "kernel/cg-esp.h"

#define OUTER_IPV4_UDP 28  /* outer IPv4 header and the UDP header of RFC 3948 */
#define BATCH          256 /* packets sealed, then opened, per round */
#define INNER_TCP_HDRS 52  /* inner IPv4, TCP and the timestamp option iperf3's TCP uses */

typedef struct {
    double seal_ns;
    double open_ns;
} PacketCost;

static double
cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static gboolean
xforms_for(const char *esp, CgEspXform *seal, CgEspXform *open, GError **error)
{
    CgProposalSpec spec;
    if (!cg_proposal_parse(esp, CG_PROTO_ESP, &spec, error))
        return FALSE;
    guint16 encr = spec.encr[0].id, bits = spec.encr[0].key_bits;
    guint16 integ = spec.n_integ ? spec.integ[0] : 0;
    gboolean esn = spec.n_esn && spec.esn[0] == 1;
    gsize encr_len = cg_encr_keymat_len(encr, bits), integ_len = cg_integ_key_len(integ);
    g_autofree guint8 *keys = g_malloc(encr_len + integ_len);
    for (gsize i = 0; i < encr_len + integ_len; i++)
        keys[i] = (guint8)(i * 37 + 11); /* fixed keys: a benchmark, nothing to protect */
    return cg_esp_xform_init(seal, 0x1000, encr, bits, integ, keys, encr_len, keys + encr_len,
                             integ_len, esn, error)
           && cg_esp_xform_init(open, 0x1000, encr, bits, integ, keys, encr_len, keys + encr_len,
                                integ_len, esn, error);
}

/* Seals and opens `count` packets of inner_len bytes, a batch at a time
 * (as uesp works through its slots), timing each batch's sealing and its
 * opening as a whole: a clock read per packet would cost as much as the
 * packet. */
static gboolean
measure(CgEspXform *seal, CgEspXform *open, gsize inner_len, guint count, PacketCost *out,
        GError **error)
{
    gsize off = cg_esp_payload_offset(seal);
    gsize slot_len = off + inner_len + cg_esp_trailer_max(seal);
    g_autofree guint8 *slots = g_malloc(slot_len * BATCH);
    gsize lens[BATCH];
    double seal_total = 0, open_total = 0;
    guint64 seq = 0;
    guint done = 0;
    while (done < count) {
        guint n = MIN(BATCH, count - done);
        for (guint i = 0; i < n; i++)
            memset(slots + i * slot_len + off, (int)((done + i) & 0xff), inner_len);
        double t0 = cpu_ns();
        for (guint i = 0; i < n; i++)
            lens[i] = cg_esp_seal(seal, seq + i + 1, CG_ESP_NH_IPV4, slots + i * slot_len,
                                  inner_len, NULL);
        double t1 = cpu_ns();
        guint bad = 0;
        for (guint i = 0; i < n; i++) {
            gsize payload_off, payload_len;
            guint8 nh;
            if (lens[i] == 0
                || cg_esp_open(open, seq + i + 1, slots + i * slot_len, lens[i], &payload_off,
                               &payload_len, &nh)
                       != CG_ESP_OK
                || payload_len != inner_len)
                bad++;
        }
        double t2 = cpu_ns();
        if (bad) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                        "%u of %u packets did not seal and open", bad, n);
            return FALSE;
        }
        seal_total += t1 - t0;
        open_total += t2 - t1;
        seq += n;
        done += n;
    }
    out->seal_ns = seal_total / count;
    out->open_ns = open_total / count;
    return TRUE;
}

int
main(int argc, char **argv)
{
    g_autofree char *esp = NULL;
    int mtu = 1500, packets = 200000;
    GOptionEntry entries[] = {
        { "esp", 0, 0, G_OPTION_ARG_STRING, &esp, "ESP proposal (default aes256gcm16)", "P" },
        { "mtu", 0, 0, G_OPTION_ARG_INT, &mtu, "path MTU (default 1500)", "N" },
        { "packets", 0, 0, G_OPTION_ARG_INT, &packets, "packets to seal and open", "N" },
        { NULL },
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("- ESP CPU cost per packet");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_autoptr(GError) error = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        fprintf(stderr, "cygnet-esp-cost: %s\n", error->message);
        return 2;
    }
    if (mtu < 576 || mtu > 65535 || packets < 1000) {
        fprintf(stderr, "cygnet-esp-cost: --mtu must be 576..65535, --packets at least 1000\n");
        return 2;
    }
    if (!cg_crypto_init(NULL, &error)) {
        fprintf(stderr, "cygnet-esp-cost: NSS: %s\n", error->message);
        return 1;
    }
    CgEspXform seal, open;
    if (!xforms_for(esp ? esp : "aes256gcm16", &seal, &open, &error)) {
        fprintf(stderr, "cygnet-esp-cost: %s\n", error->message);
        return 1;
    }
    gsize inner = cg_esp_max_payload(&seal, (gsize)mtu - OUTER_IPV4_UDP);
    PacketCost cost;
    /* a first round warms caches and NSS's lazily built state */
    if (!measure(&seal, &open, inner, 2000, &cost, &error)
        || !measure(&seal, &open, inner, (guint)packets, &cost, &error)) {
        fprintf(stderr, "cygnet-esp-cost: %s\n", error->message);
        return 1;
    }
    gsize tcp_payload = inner - INNER_TCP_HDRS;
    /* core-seconds per GB (1e9 bytes) of TCP payload */
    double per_gb = (cost.seal_ns + cost.open_ns) / (double)tcp_payload;
    printf("{\"esp\": \"%s\", \"mtu\": %d, \"inner_len\": %" G_GSIZE_FORMAT
           ", \"tcp_payload\": %" G_GSIZE_FORMAT ", \"seal_ns\": %.1f, \"open_ns\": %.1f"
           ", \"seal_and_open_core_s_per_gb\": %.4f}\n",
           esp ? esp : "aes256gcm16", mtu, inner, tcp_payload, cost.seal_ns, cost.open_ns, per_gb);
    cg_esp_xform_clear(&seal);
    cg_esp_xform_clear(&open);
    return 0;
}
