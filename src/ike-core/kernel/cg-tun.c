/* cg-tun.c: opening and configuring the TUN device. */
#include "kernel/cg-tun.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_tun.h>

#include "kernel/cg-kernel.h"

/* newer than the uapi headers of older distributions (Linux 6.2) */
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#define TUN_F_USO6 0x40
#endif

static gboolean
fail_errno(GError **error, const char *what, const char *name)
{
    int e = errno;
    g_set_error(error, CG_KERNEL_ERROR,
                e == EPERM || e == EACCES ? CG_KERNEL_ERROR_UNSUPPORTED : CG_KERNEL_ERROR_FAILED,
                "%s %s: %s", what, name, g_strerror(e));
    return FALSE;
}

gboolean
cg_tun_open(CgTun *tun, const char *name, GError **error)
{
    memset(tun, 0, sizeof(*tun));
    tun->fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
    if (tun->fd < 0)
        return fail_errno(error, "opening", "/dev/net/tun");

    struct ifreq ifr = { 0 };
    g_strlcpy(ifr.ifr_name, name, IFNAMSIZ);
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_VNET_HDR;
    if (ioctl(tun->fd, TUNSETIFF, &ifr) < 0) {
        /* a kernel without virtio headers on TUN: packets one by one */
        ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
        if (ioctl(tun->fd, TUNSETIFF, &ifr) < 0) {
            fail_errno(error, "creating TUN device", name);
            cg_tun_close(tun);
            return FALSE;
        }
    } else
        tun->vnet_hdr = TRUE;
    g_strlcpy(tun->name, ifr.ifr_name, IFNAMSIZ);
    tun->ifindex = (int)if_nametoindex(tun->name);

    if (tun->vnet_hdr) {
        int hdr_len = CG_VNET_HDR_LEN;
        if (ioctl(tun->fd, TUNSETVNETHDRSZ, &hdr_len) < 0) {
            fail_errno(error, "setting the virtio header size of", tun->name);
            cg_tun_close(tun);
            return FALSE;
        }
        /* TSO always, USO where the kernel has it (6.2+) */
        unsigned int base = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;
        if (ioctl(tun->fd, TUNSETOFFLOAD, base | TUN_F_USO4 | TUN_F_USO6) == 0)
            tun->uso = TRUE;
        else if (ioctl(tun->fd, TUNSETOFFLOAD, base) < 0) {
            fail_errno(error, "enabling offloads on", tun->name);
            cg_tun_close(tun);
            return FALSE;
        }
    }
    return TRUE;
}

void
cg_tun_close(CgTun *tun)
{
    if (tun->fd > 0)
        close(tun->fd);
    tun->fd = -1;
}

static gboolean
with_ioctl_socket(CgTun *tun, unsigned long request, struct ifreq *ifr, const char *what,
                  GError **error)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return fail_errno(error, what, tun->name);
    g_strlcpy(ifr->ifr_name, tun->name, IFNAMSIZ);
    gboolean ok = ioctl(s, request, ifr) == 0;
    if (!ok)
        fail_errno(error, what, tun->name);
    close(s);
    return ok;
}

gboolean
cg_tun_set_mtu(CgTun *tun, guint mtu, GError **error)
{
    struct ifreq ifr = { 0 };
    ifr.ifr_mtu = (int)mtu;
    return with_ioctl_socket(tun, SIOCSIFMTU, &ifr, "setting the MTU of", error);
}

gboolean
cg_tun_set_up(CgTun *tun, GError **error)
{
    struct ifreq ifr = { 0 };
    if (!with_ioctl_socket(tun, SIOCGIFFLAGS, &ifr, "reading the flags of", error))
        return FALSE;
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    return with_ioctl_socket(tun, SIOCSIFFLAGS, &ifr, "bringing up", error);
}

void
cg_vnet_hdr_read(const guint8 *p, CgVnetHdr *out)
{
    out->flags = p[0];
    out->gso_type = p[1];
    memcpy(&out->hdr_len, p + 2, 2);
    memcpy(&out->gso_size, p + 4, 2);
    memcpy(&out->csum_start, p + 6, 2);
    memcpy(&out->csum_offset, p + 8, 2);
}

void
cg_vnet_hdr_write(guint8 *p, const CgVnetHdr *h)
{
    p[0] = h->flags;
    p[1] = h->gso_type;
    memcpy(p + 2, &h->hdr_len, 2);
    memcpy(p + 4, &h->gso_size, 2);
    memcpy(p + 6, &h->csum_start, 2);
    memcpy(p + 8, &h->csum_offset, 2);
}
