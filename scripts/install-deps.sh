#!/bin/sh
# Installs what building and testing sandbox needs on Debian 12. Idempotent; quiet when done.
set -e
PKGS="build-essential pkg-config libseccomp-dev libcap-dev libev-dev liburing-dev check \
libjansson-dev busybox-static python3 procps gnuplot-nox"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
echo "install-deps: installing$missing"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
