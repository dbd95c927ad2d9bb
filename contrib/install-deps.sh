#!/bin/sh
# Install what gravity needs to build and test on Debian 12 (apt-get).
# Usage: contrib/install-deps.sh [--test|--bench]   (--test adds the test
# servers; --bench adds those and mbsync, which make bench runs beside gravity)
set -e
pkgs="build-essential autoconf automake pkg-config
libcurl4-gnutls-dev libetpan-dev libical-dev libcjson-dev libsqlite3-dev
libpcre2-dev libgnutls28-dev libcmocka-dev tzdata ca-certificates"
if [ "${1:-}" = "--test" ] || [ "${1:-}" = "--bench" ]; then
	pkgs="$pkgs dovecot-imapd openssl sqlite3 python3 clang valgrind time e2fsprogs"
	pkgs="$pkgs python3-icalendar mutt radicale python3-caldav systemd"
fi
[ "${1:-}" = "--bench" ] && pkgs="$pkgs isync"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "install-deps: need root (or sudo) to install:$missing" >&2
	exit 77
fi
echo "install-deps: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
