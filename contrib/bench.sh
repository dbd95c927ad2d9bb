#!/bin/bash
# SPDX-License-Identifier: MIT
# contrib/bench.sh - "make bench": gravity's IMAP poll against mbsync(1)
# pulling the same folder into a Maildir, on a private Dovecot on 127.0.0.1
# (tests/servers/dovecot.sh), for N generated messages (mixed sizes; 5% carry a
# 2-5 MB attachment).  Measures wall time and peak RSS (GNU time %M) of:
#   gravity first poll, gravity no-news poll, mbsync first pull, mbsync
#   no-news pull.
# Usage: contrib/bench.sh [N...]          (default: 1000 10000)
# A throw-away run of each tool warms the server first; no-news polls run
# five times (the median is the figure, the first is printed too).
# Needs: dovecot-imapd, openssl, isync (mbsync), time (GNU), python3.
# Env: GRAVITY (the binary), top_srcdir, BENCH_DIR (default: a temp dir,
#      removed at exit; needs about 0.2 GB per 1,000 messages).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${GRAVITY:=gravity}"
: "${GRAVITY_DEFAULT_RULES:=$top_srcdir/rules}"
export GRAVITY_DEFAULT_RULES
. "$top_srcdir/tests/servers/dovecot.sh"
TIME=/usr/bin/time
for t in dovecot openssl mbsync python3 "$TIME"; do
	command -v "$t" >/dev/null 2>&1 || {
		echo "bench: $t not found (apt-get install dovecot-imapd openssl isync time python3)" >&2
		exit 77
	}
done
"$TIME" -f %M true >/dev/null 2>&1 || { echo "bench: $TIME is not GNU time" >&2; exit 77; }
[ $# -gt 0 ] || set -- 1000 10000
if [ -n "${BENCH_DIR:-}" ]; then
	B=$BENCH_DIR; mkdir -p "$B"
else
	B=$(mktemp -d "${TMPDIR:-/tmp}/gravity-bench.XXXXXX")
	trap 'dv_stop "$B/dv" 2>/dev/null; rm -rf "$B"' EXIT
fi
chmod 755 "$B"

# gen DIR N: N messages straight into DIR/cur (before Dovecot starts).
gen() {
	python3 - "$1" "$2" <<'EOF'
import base64, os, random, sys
d, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(42)
blob = base64.encodebytes(rnd.randbytes(4 * 1024 * 1024)).replace(b"\n", b"\r\n")
words = ("website project budget quote design logo launch shop booking "
         "timeline meeting invoice newsletter update offer partner").split()
kinds = [
    ("Could you quote a new website for us?", "Hi,\r\nwe need a new website for our %s. What would it cost and when could you start?\r\n"),
    ("Weekly digest", "Your weekly digest. Unsubscribe at https://news.example/u\r\n"),
    ("Quick question about SEO services", "Hello, we help agencies like yours get more leads with our %s service.\r\n"),
    ("Re: project timeline", "Thanks, the %s timeline works for us.\r\n"),
]
for i in range(1, n + 1):
    subj, body = kinds[i % len(kinds)]
    text = body % rnd.choice(words) if "%s" in body else body
    text += " ".join(rnd.choice(words) for _ in range(rnd.randint(20, 600))) + "\r\n"
    h = ("From: Person %d <p%d@clients%d.example>\r\nTo: Sam <sam@studio.example>\r\n"
         "Subject: %s %d\r\nDate: Mon, 16 Nov 2026 09:00:00 +0000\r\n"
         "Message-ID: <bench-%d@clients.example>\r\nMIME-Version: 1.0\r\n"
         % (i, i, i % 97, subj, i, i))
    if i % 20 == 0:     # 5%: a 2-5 MB attachment
        size = rnd.randint(2 * 1024 * 1024, 5 * 1024 * 1024)
        off = rnd.randint(0, 1000)
        att = blob[off:off + size * 4 // 3]
        att = att[:att.rfind(b"\r\n") + 2]
        m = (h + "Content-Type: multipart/mixed; boundary=BB\r\n\r\n--BB\r\n"
             "Content-Type: text/plain; charset=utf-8\r\n\r\n" + text +
             "--BB\r\nContent-Type: application/pdf\r\n"
             "Content-Disposition: attachment; filename=brief.pdf\r\n"
             "Content-Transfer-Encoding: base64\r\n\r\n").encode() + att + b"--BB--\r\n"
    elif i % 7 == 0:    # multipart/alternative with HTML
        m = (h + "Content-Type: multipart/alternative; boundary=AA\r\n\r\n--AA\r\n"
             "Content-Type: text/plain; charset=utf-8\r\n\r\n" + text +
             "--AA\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>" +
             text * 3 + "</p></body></html>\r\n--AA--\r\n").encode()
    else:
        m = (h + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + text).encode()
    fl = "S" if i % 3 else ""
    with open(os.path.join(d, "cur", "%d.b%d.bench:2,%s" % (1700000000 + i, i, fl)), "wb") as f:
        f.write(m)
EOF
}

# run LABEL CMD...: one measured run; prints "LABEL wall_s rss_kb".
run() {
	_l=$1; shift
	# Wall time to the millisecond (GNU time's %e has 10 ms steps, a
	# tenth of a no-news poll); peak RSS from GNU time.
	_t0=$(date +%s%N)
	"$TIME" -f "%M" -o "$B/time.txt" "$@" >"$B/run.out" 2>"$B/run.err"
	_rc=$?
	_t1=$(date +%s%N)
	[ $_rc -eq 0 ] || { echo "bench: $_l failed (exit $_rc):" >&2; tail -n 3 "$B/run.err" >&2; }
	read -r _m < <(tail -n 1 "$B/time.txt")
	printf '%s %s %s\n' "$_l" "$(awk -v a="$_t0" -v b="$_t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')" "$_m"
}

# run5 LABEL CMD...: five runs; prints "LABEL-1st" (the first, which may
# still pay for the server's bookkeeping after a big first pull) and
# "LABEL" (the median of the five: the steady state a timer sees).
run5() {
	_l=$1; shift
	_a=$(run "$_l" "$@")
	echo "$_a" | sed "s/^$_l /$_l-1st /"
	{ echo "$_a"; for _i in 2 3 4 5; do run "$_l" "$@"; done; } |
		sort -k2,2n | sed -n 3p
}

# gconf DIR: a gravity config polling the bench INBOX into DIR.
gconf() {
	mkdir -p "$1"
	cat > "$1/config" <<EOC
rules-dir $top_srcdir/contrib/demo/rules
out-dir $1/out
state $1/state.db
account bench
	source imaps://test@127.0.0.1:$SPORT/INBOX
	passcmd "printf 'test-pass-123\\\\n'"
	cafile $D/ca.crt
EOC
}

# mbconf DIR: an mbsync config pulling the bench INBOX into DIR/INBOX.
mbconf() {
	mkdir -p "$1/INBOX"
	cat > "$1/mbsyncrc" <<EOC
IMAPAccount bench
Host localhost
Port $SPORT
User test
PassCmd "printf test-pass-123"
SSLType IMAPS
CertificateFile $D/ca.crt

IMAPStore remote
Account bench

MaildirStore local
Path $1/
Inbox $1/INBOX

Channel bench
Far :remote:
Near :local:
Patterns INBOX
Create Near
Sync Pull
SyncState *
EOC
}

results=()
for N in "$@"; do
	D="$B/dv"
	dv_stop "$D" 2>/dev/null
	rm -rf "$D" "$B/g-$N" "$B/mb-$N"
	dv_setup "$D" || exit 1
	echo "bench: generating $N messages" >&2
	gen "$D/home/test/Maildir" "$N" || exit 1
	read -r PORT SPORT < <(dv_start "$D") || exit 1
	# Warm Dovecot's index and cache and the page cache, so neither tool
	# pays for the server's first look at the mailbox: one throw-away run
	# of each (each asks for different things: gravity for structure and
	# text parts, mbsync for whole messages).
	dv_doveadm "$D" fetch -u test "uid imap.bodystructure" mailbox INBOX >/dev/null 2>&1
	for w in warm ""; do
		gconf "$B/g$w-$N"
		mbconf "$B/mb$w-$N"
	done
	echo "bench: N=$N: warm-up runs" >&2
	"$GRAVITY" poll --config "$B/gwarm-$N/config" -q >/dev/null 2>&1
	mbsync -q -c "$B/mbwarm-$N/mbsyncrc" bench >/dev/null 2>&1
	rm -rf "$B/gwarm-$N" "$B/mbwarm-$N"
	echo "bench: N=$N" >&2
	r1=$(run "gravity-first" "$GRAVITY" poll --config "$B/g-$N/config" -q)
	r2=$(run5 "gravity-nonews" "$GRAVITY" poll --config "$B/g-$N/config" -q)
	r3=$(run "mbsync-first" mbsync -q -c "$B/mb-$N/mbsyncrc" bench)
	r4=$(run5 "mbsync-nonews" mbsync -q -c "$B/mb-$N/mbsyncrc" bench)
	got=$(find "$B/mb-$N/INBOX" -type f | wc -l)
	logged=$(wc -l < "$B/g-$N/out/log.jsonl" 2>/dev/null || echo 0)
	while read -r r; do results+=("$N $r"); done <<<"$r1
$r2
$r3
$r4"
	echo "bench: N=$N: gravity logged $logged messages, mbsync pulled $got" >&2
	dv_stop "$D"
	rm -rf "$D" "$B/g-$N" "$B/mb-$N"
done

echo
printf '%-8s %-20s %10s %12s\n' N run wall_s peak_rss_MB
for r in "${results[@]}"; do
	read -r n l w m <<<"$r"
	printf '%-8s %-20s %10s %12.1f\n' "$n" "$l" "$w" "$(echo "$m / 1024" | bc -l 2>/dev/null || echo 0)"
done
# Targets: first poll <= 0.5x mbsync's; no-news at the largest N
# within 1.2x of the smallest; peak RSS < 32 MB.
val() { for r in "${results[@]}"; do read -r n l w m <<<"$r"; [ "$n" = "$1" ] && [ "$l" = "$2" ] && echo "$3" | sed "s/W/$w/; s/M/$m/"; done; }
echo
for N in "$@"; do
	g=$(val "$N" gravity-first W); mb=$(val "$N" mbsync-first W)
	echo "N=$N: gravity first poll / mbsync = $(awk -v a="$g" -v b="$mb" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }') (target <= 0.50)"
done
if [ $# -ge 2 ]; then
	lo=$(val "$1" gravity-nonews W); hi=$(val "${!#}" gravity-nonews W)
	echo "no-news N=${!#} / N=$1 = $(awk -v a="$hi" -v b="$lo" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }') (target <= 1.20; ${hi}s vs ${lo}s, medians of 5)"
	lo=$(val "$1" gravity-nonews-1st W); hi=$(val "${!#}" gravity-nonews-1st W)
	echo "  the first no-news poll after the first poll: ${hi}s vs ${lo}s (Dovecot still catching up on its own bookkeeping)"
fi
echo "gravity peak RSS at N=${!#}: $(awk -v m="$(val "${!#}" gravity-first M)" 'BEGIN { printf "%.1f", m / 1024 }') MB (target < 32)"
