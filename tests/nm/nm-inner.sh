#!/bin/bash
# Runs NetworkManager for the nm tests, INSIDE the test's network
# namespace, a private mount namespace and a private UTS namespace:
#
#   ip netns exec NS unshare -m -u --propagation private nm-inner.sh DIR
#
# DIR (the test's NM directory, made by lib-nm.sh) holds: NetworkManager.conf,
# etc-nm/ (bind-mounted over /etc/NetworkManager: VPN/*.name), dbus.conf
# (the private system bus), an optional strongswan.conf for charon-nm, an
# optional resolved/ (NetworkManager's dns=systemd-resolved: the binary's
# path, the user to run it as, its resolved.conf), whose systemd-resolved
# then runs here too, on the private bus, before NetworkManager starts.
# Nothing here touches the host: every write lands on tmpfs or in DIR.
set -euo pipefail
DIR="$1"

# Shield host files NetworkManager (and the services it starts) write.
mount -t tmpfs cg-nm-run /run
mkdir -p /run/NetworkManager /run/dbus
mount -t tmpfs cg-nm-varlib /var/lib/NetworkManager
mount --bind "$DIR/etc-nm" /etc/NetworkManager
if [ -d "$DIR/resolved" ]; then
    # as on a host with systemd-resolved: programs ask its stub listener
    # (resolved ignores its own stub address when it reads this file)
    printf 'nameserver 127.0.0.53\noptions edns0 trust-ad\n' >"$DIR/resolv.conf"
else
    cp /etc/resolv.conf "$DIR/resolv.conf"
fi
mount --bind "$DIR/resolv.conf" /etc/resolv.conf
if [ -f "$DIR/strongswan.conf" ]; then
    # charon-nm (NetworkManager-strongswan, for the bench) reads this
    mount --bind "$DIR/strongswan.conf" /etc/strongswan.conf
fi
hostname cg-nm-test
# NetworkManager uses udev when /sys is writable; with no udev running
# here its devices would stay unmanaged forever. Read-only /sys: no udev.
mount -o remount,ro /sys

# The private system bus, inside the namespace, so everything it starts
# runs here too.
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$DIR/system_bus_socket"
dbus-daemon --config-file="$DIR/dbus.conf" --fork --print-pid=3 3>"$DIR/dbus.pid"

if [ -d "$DIR/resolved" ]; then
    # systemd-resolved as its unit runs it: an unprivileged user with the
    # ambient capabilities CAP_NET_RAW, CAP_NET_BIND_SERVICE (the stub
    # listener on 127.0.0.53:53) and CAP_SETPCAP. Started as root it would
    # drop to the user systemd-resolve, which only its package creates.
    # Its runtime directory and configuration live on our tmpfs /run; a
    # host's /etc/systemd/resolved.conf(.d) is hidden.
    resolved_user="$(cat "$DIR/resolved/user")"
    mkdir -p /run/systemd/resolve /run/systemd/resolved.conf.d
    chown "$resolved_user" /run/systemd/resolve
    cp "$DIR/resolved/resolved.conf" /run/systemd/resolved.conf.d/cg-test.conf
    if [ -e /etc/systemd/resolved.conf ]; then
        mount --bind "$DIR/resolved/resolved.conf" /etc/systemd/resolved.conf
    fi
    if [ -d /etc/systemd/resolved.conf.d ]; then
        mount -t tmpfs cg-nm-resolved-conf /etc/systemd/resolved.conf.d
    fi
    caps=+net_raw,+net_bind_service,+setpcap
    SYSTEMD_LOG_LEVEL=debug SYSTEMD_LOG_TARGET=console SYSTEMD_COLORS=0 \
        setpriv --reuid="$resolved_user" --regid="$(id -g "$resolved_user")" --clear-groups \
        --inh-caps="$caps" --ambient-caps="$caps" \
        "$(cat "$DIR/resolved/binary")" >"$DIR/resolved.log" 2>&1 </dev/null &
    echo $! >"$DIR/resolved.pid"
    # as on a host, resolved is on the bus before NetworkManager starts
    # (up to 20 s); NetworkManager then hands it each link's DNS at once
    for _ in $(seq 1 200); do
        if dbus-send --system --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
            org.freedesktop.DBus.NameHasOwner string:org.freedesktop.resolve1 2>/dev/null |
            grep -q 'boolean true'; then
            break
        fi
        kill -0 "$(cat "$DIR/resolved.pid")" 2>/dev/null || break
        sleep 0.1
    done
    if ! kill -0 "$(cat "$DIR/resolved.pid")" 2>/dev/null; then
        echo "nm-inner: systemd-resolved exited, see $DIR/resolved.log" >&2
        exit 1
    fi
fi

echo $$ >"$DIR/nm.pid"
# --debug: stay in the foreground and log to stderr (there is no syslog)
exec NetworkManager --debug --config="$DIR/NetworkManager.conf" \
    --config-dir="$DIR/conf.d" --system-config-dir="$DIR/sysconf.d" \
    --intern-config="$DIR/NetworkManager-intern.conf" \
    --state-file="$DIR/NetworkManager.state" --pid-file="$DIR/NetworkManager.pid"
