#!/bin/bash
# Runs NetworkManager for the nm tests, INSIDE the test's network
# namespace, a private mount namespace and a private UTS namespace:
#
#   ip netns exec NS unshare -m -u --propagation private nm-inner.sh DIR
#
# DIR (the test's NM directory, made by lib-nm.sh) holds: NetworkManager.conf,
# etc-nm/ (bind-mounted over /etc/NetworkManager: VPN/*.name), dbus.conf
# (the private system bus), an optional strongswan.conf for charon-nm.
# Nothing here touches the host: every write lands on tmpfs or in DIR.
set -euo pipefail
DIR="$1"

# Shield host files NetworkManager (and the services it starts) write.
mount -t tmpfs cg-nm-run /run
mkdir -p /run/NetworkManager /run/dbus
mount -t tmpfs cg-nm-varlib /var/lib/NetworkManager
mount --bind "$DIR/etc-nm" /etc/NetworkManager
cp /etc/resolv.conf "$DIR/resolv.conf"
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

echo $$ >"$DIR/nm.pid"
# --debug: stay in the foreground and log to stderr (there is no syslog)
exec NetworkManager --debug --config="$DIR/NetworkManager.conf" \
    --config-dir="$DIR/conf.d" --system-config-dir="$DIR/sysconf.d" \
    --intern-config="$DIR/NetworkManager-intern.conf" \
    --state-file="$DIR/NetworkManager.state" --pid-file="$DIR/NetworkManager.pid"
