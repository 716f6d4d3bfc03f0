#!/bin/sh
# Install the Debian packages named in $PKGS that are missing (as root), or name them.
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends $missing >/dev/null
else
	echo "Please install these system packages (e.g. sudo apt-get install$missing):" >&2
	echo "  $missing" >&2
fi
