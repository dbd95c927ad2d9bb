#!/bin/sh
# Set up gravity on a fresh Debian 12 machine and run its main job on the
# bundled demo inbox (contrib/demo/inbox, a Maildir), then show the results.
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
sh contrib/install-deps.sh
[ -x configure ] || ./autogen.sh >/dev/null
mkdir -p _build
cd _build
[ -f Makefile ] || ../configure -q
make -s -j"$(nproc)" gravity
out="$top/demo-out"
rm -rf "$out"
GRAVITY_DEFAULT_RULES="$top/rules" ./gravity poll \
	--source "maildir:$top/contrib/demo/inbox" \
	--rules "$top/contrib/demo/rules" \
	--out "$out" --state "$out/state.db" --verbose
echo
echo "== what gravity wrote in $out"
(cd "$out" && find . -type f ! -name 'state.db*' | sort)
first_ics=$(ls "$out"/reminders/*.ics 2>/dev/null | head -n 1)
first_eml=$(ls "$out"/drafts/*.eml 2>/dev/null | head -n 1)
if [ -n "$first_ics" ]; then echo; echo "== $first_ics"; cat "$first_ics"; fi
if [ -n "$first_eml" ]; then echo; echo "== $first_eml"; cat "$first_eml"; fi
echo
echo "== a second poll finds nothing new"
GRAVITY_DEFAULT_RULES="$top/rules" ./gravity poll \
	--source "maildir:$top/contrib/demo/inbox" \
	--rules "$top/contrib/demo/rules" \
	--out "$out" --state "$out/state.db"
