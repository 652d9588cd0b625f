#!/bin/sh
# Installs every Debian 12 package that the build, the tests, the benches
# and the demo need. Idempotent; safe to run again.
set -eu

PACKAGES="
  meson ninja-build pkg-config gcc clang libclang-rt-14-dev clang-format
  libglib2.0-dev libglib2.0-bin libnss3-dev libnss3-tools libjson-glib-dev libmnl-dev
  libnm-dev network-manager network-manager-strongswan libsecret-1-dev
  strongswan-charon strongswan-swanctl strongswan-pki libcharon-extra-plugins libcharon-extauth-plugins
  libstrongswan-standard-plugins libstrongswan-extra-plugins
  iproute2 nftables iputils-ping iperf3 procps psmisc util-linux dbus python3
  dnsmasq-base bind9-dnsutils
  softhsm2 opensc openssl
  libgtk-3-dev libgtk-4-dev libgtk-4-bin libnma-dev libnma-gtk4-dev gnome-keyring libsecret-tools
  xvfb xauth x11-utils xdotool dbus-x11 appstream gettext imagemagick fonts-dejavu-core
"

missing=""
for p in $PACKAGES; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done

if [ -n "$missing" ]; then
  echo "install-deps: installing:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  # --no-install-recommends keeps the machine small; charon must not be
  # started as a system service by the package scripts (no systemd here).
  apt-get install -y -q --no-install-recommends $missing
else
  echo "install-deps: all packages present"
fi

# systemd-resolved for tests/nm/test-nm-split-dns-resolved: downloaded and
# unpacked into a cache directory, never installed (its postinst would
# replace /etc/resolv.conf); see scripts/fetch-resolved.sh
resolved="$(sh "$(dirname "$0")/fetch-resolved.sh")"
echo "install-deps: systemd-resolved for the tests: $resolved"
