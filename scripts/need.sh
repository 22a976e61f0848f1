#!/bin/sh
# need.sh "PKG..." FILE...: make sure FILEs exist, installing Debian PKGs when
# we are root; otherwise say exactly what to install and fail.
pkgs=$1; shift
missing=
for f in "$@"; do [ -e "$f" ] || missing="$missing $f"; done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "need.sh: installing $pkgs (missing:$missing)"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null && apt-get install -y -qq $pkgs >/dev/null || {
		echo "need.sh: apt-get install $pkgs failed" >&2; exit 1; }
	exit 0
fi
echo "need.sh: missing$missing. Install Debian's $pkgs (as root: apt-get install $pkgs)." >&2
exit 1
