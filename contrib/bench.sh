#!/bin/bash
# SPDX-License-Identifier: MIT
# contrib/bench.sh - "make bench": gravity's IMAP poll against mbsync(1)
# pulling the same folder into a Maildir, on a private Dovecot on 127.0.0.1
# (tests/servers/dovecot.sh), for N generated messages in two mixes:
#   work  95% of the messages 2-20 KB, 5% with a 0.2-2 MB attachment (the
#         headline: closest to a work inbox)
#   big   small messages, 5% with a 2-5 MB attachment
# Measured in the same run: wall time, user CPU (gravity with its parser
# worker) and peak RSS summed over gravity's process tree
# (tests/servers/treerss.py)
# of gravity's first and no-news polls (INBOX and an empty Sent folder), and
# wall time of mbsync's first and no-news pulls of INBOX; then the ratios
# against the targets.
# Usage: contrib/bench.sh [N...]          (default: 1000 10000)
#        contrib/bench.sh classify [N]    ("make bench-classify") Maildir
#            classify throughput against cat(1) of the same files, N
#            messages of the work mix (default 10000)
# A throw-away run of each tool warms the server first; no-news polls run
# five times (the median is the figure, the first is printed too).
# Needs: dovecot-imapd, openssl, isync (mbsync), python3.
# Env: GRAVITY (the binary), top_srcdir, BENCH_MIX (default "work big"),
#      BENCH_DIR (default: a temp dir, removed at exit; about 0.15 GB per
#      1,000 messages of the work mix, 0.4 GB of the big one, twice over).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${GRAVITY:=gravity}"
: "${GRAVITY_DEFAULT_RULES:=$top_srcdir/rules}"
: "${BENCH_MIX:=work big}"
export GRAVITY_DEFAULT_RULES
. "$top_srcdir/tests/servers/dovecot.sh"
TREE="$top_srcdir/tests/servers/treerss.py"
MODE=imap
if [ "${1:-}" = classify ]; then
	MODE=classify
	shift
	[ $# -gt 0 ] || set -- 10000
fi
need=python3
[ $MODE = imap ] && need="dovecot openssl mbsync python3"
for t in $need; do
	command -v "$t" >/dev/null 2>&1 || {
		echo "bench: $t not found (sh contrib/install-deps.sh --bench installs it)" >&2
		exit 77
	}
done
[ $# -gt 0 ] || set -- 1000 10000
if [ -n "${BENCH_DIR:-}" ]; then
	B=$BENCH_DIR
	mkdir -p "$B"
else
	B=$(mktemp -d "${TMPDIR:-/tmp}/gravity-bench.XXXXXX")
	trap 'dv_stop "$B/dv" 2>/dev/null; rm -rf "$B"' EXIT
fi
chmod 755 "$B"

# gen DIR N MIX: N messages of MIX straight into DIR/cur.
gen() {
	python3 - "$1" "$2" "$3" <<'EOF'
import base64, os, random, sys
d, n, mix = sys.argv[1], int(sys.argv[2]), sys.argv[3]
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

def filler(lo, hi):
    """Lines of about 72 characters, lo to hi bytes in all."""
    want, lines, line, size = rnd.randint(lo, hi), [], [], 0
    while size < want:
        w = rnd.choice(words)
        line.append(w)
        size += len(w) + 1
        if size % 73 < len(w) + 1:
            lines.append(" ".join(line))
            line = []
    lines.append(" ".join(line))
    return "\r\n".join(lines) + "\r\n"

os.makedirs(os.path.join(d, "cur"), exist_ok=True)
for i in range(1, n + 1):
    subj, body = kinds[i % len(kinds)]
    text = body % rnd.choice(words) if "%s" in body else body
    h = ("From: Person %d <p%d@clients%d.example>\r\nTo: Sam <sam@studio.example>\r\n"
         "Subject: %s %d\r\nDate: Mon, 16 Nov 2026 09:00:00 +0000\r\n"
         "Message-ID: <bench-%d@clients.example>\r\nMIME-Version: 1.0\r\n"
         % (i, i, i % 97, subj, i, i))
    if mix == "work":
        text += filler(1700, 19000)
        lo, hi = 200 * 1024, 2 * 1024 * 1024
    else:
        text += " ".join(rnd.choice(words) for _ in range(rnd.randint(20, 600))) + "\r\n"
        lo, hi = 2 * 1024 * 1024, 5 * 1024 * 1024
    if i % 20 == 0:     # 5%: an attachment
        size = rnd.randint(lo, hi)
        off = rnd.randint(0, 1000)
        att = blob[off:off + size * 4 // 3]
        att = att[:att.rfind(b"\r\n") + 2]
        m = (h + "Content-Type: multipart/mixed; boundary=BB\r\n\r\n--BB\r\n"
             "Content-Type: text/plain; charset=utf-8\r\n\r\n" + text +
             "--BB\r\nContent-Type: application/pdf\r\n"
             "Content-Disposition: attachment; filename=brief.pdf\r\n"
             "Content-Transfer-Encoding: base64\r\n\r\n").encode() + att + b"--BB--\r\n"
    elif i % 7 == 0:    # multipart/alternative with HTML
        html = text if mix == "work" else text * 3
        m = (h + "Content-Type: multipart/alternative; boundary=AA\r\n\r\n--AA\r\n"
             "Content-Type: text/plain; charset=utf-8\r\n\r\n" + text +
             "--AA\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>" +
             html + "</p></body></html>\r\n--AA--\r\n").encode()
    else:
        m = (h + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + text).encode()
    fl = "S" if i % 3 else ""
    with open(os.path.join(d, "cur", "%d.b%d.bench:2,%s" % (1700000000 + i, i, fl)), "wb") as f:
        f.write(m)
EOF
}

# run LABEL CMD...: one measured run; prints "LABEL wall_s user_s rss_kib"
# (user CPU and RSS summed over the process tree).
run() {
	_l=$1
	shift
	_t0=$(date +%s%N)
	python3 "$TREE" "$B/tree.txt" "$@" >"$B/run.out" 2>"$B/run.err"
	_rc=$?
	_t1=$(date +%s%N)
	[ $_rc -eq 0 ] || { echo "bench: $_l failed (exit $_rc):" >&2; tail -n 3 "$B/run.err" >&2; }
	read -r _m _n _u _s < "$B/tree.txt"
	printf '%s %s %s %s\n' "$_l" \
		"$(awk -v a="$_t0" -v b="$_t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')" "$_u" "$_m"
}

# run5 LABEL CMD...: five runs; prints "LABEL-1st" (the first, which may
# still pay for the server's bookkeeping after a big first pull) and
# "LABEL" (the median of the five: the steady state a timer sees).
run5() {
	_l=$1
	shift
	_a=$(run "$_l" "$@")
	echo "$_a" | sed "s/^$_l /$_l-1st /"
	{ echo "$_a"; for _i in 2 3 4 5; do run "$_l" "$@"; done; } |
		sort -k2,2n | sed -n 3p
}

mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

# --- bench-classify -----------------------------------------------------------
if [ $MODE = classify ]; then
	N=$1
	M="$B/md-$N"
	echo "bench: generating $N messages (work mix)" >&2
	mkdir -p "$M/new" "$M/tmp"
	gen "$M" "$N" work || exit 1
	bytes=$(du -sb "$M/cur" | cut -f1)
	# warm the page cache, then three runs of each; the median counts
	find "$M/cur" -type f -print0 | xargs -0 cat >/dev/null
	c=$( { for i in 1 2 3; do run cat sh -c "find '$M/cur' -type f -print0 | xargs -0 cat >/dev/null"; done; } |
		sort -k2,2n | sed -n 2p)
	g=$( { for i in 1 2 3; do run gravity "$GRAVITY" classify --json --rules "$top_srcdir/contrib/demo/rules" "maildir:$M" ; done; } |
		sort -k2,2n | sed -n 2p)
	lines=$(wc -l < "$B/run.out")
	read -r _ cw _ _ <<<"$c"
	read -r _ gw gu gm <<<"$g"
	echo
	printf '%-8s %-10s %10s %10s %12s\n' N run wall_s MB/s peak_rss_MB
	printf '%-8s %-10s %10s %10s %12s\n' "$N" cat "$cw" "$(awk -v b="$bytes" -v t="$cw" 'BEGIN { printf "%.0f", b / 1e6 / t }')" -
	printf '%-8s %-10s %10s %10s %12s\n' "$N" gravity "$gw" "$(awk -v b="$bytes" -v t="$gw" 'BEGIN { printf "%.0f", b / 1e6 / t }')" "$(mb "$gm")"
	echo
	echo "$N messages, $(awk -v b="$bytes" 'BEGIN { printf "%.0f", b / 1e6 }') MB, $lines classified"
	echo "gravity classify / cat throughput = $(ratio "$cw" "$gw") (target >= 0.33)"
	echo "gravity CPU per message: $(awk -v u="$gu" -v n="$N" 'BEGIN { printf "%.3f", u * 1000 / n }') ms user"
	exit 0
fi

# gconf DIR: a gravity config polling the bench INBOX and Sent into DIR.
gconf() {
	mkdir -p "$1"
	cat > "$1/config" <<EOC
rules-dir $top_srcdir/contrib/demo/rules
out-dir $1/out
state $1/state.db
account bench
	source imaps://test@127.0.0.1:$SPORT/INBOX
	sent-folder Sent
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
for MIX in $BENCH_MIX; do
	for N in "$@"; do
		D="$B/dv"
		dv_stop "$D" 2>/dev/null
		rm -rf "$D" "$B/g-$N" "$B/mb-$N"
		dv_setup "$D" || exit 1
		echo "bench: generating $N messages ($MIX mix)" >&2
		gen "$D/home/test/Maildir" "$N" "$MIX" || exit 1
		mkdir -p "$D/home/test/Maildir/.Sent/cur" "$D/home/test/Maildir/.Sent/new" \
			"$D/home/test/Maildir/.Sent/tmp"
		read -r PORT SPORT < <(dv_start "$D") || exit 1
		# Warm Dovecot's index and cache and the page cache, so neither
		# tool pays for the server's first look at the mailbox: one
		# throw-away run of each (each asks for different things:
		# gravity for structure and text parts, mbsync for whole
		# messages).
		dv_doveadm "$D" fetch -u test "uid imap.bodystructure" mailbox INBOX >/dev/null 2>&1
		for w in warm ""; do
			gconf "$B/g$w-$N"
			mbconf "$B/mb$w-$N"
		done
		echo "bench: $MIX N=$N: warm-up runs" >&2
		"$GRAVITY" poll --config "$B/gwarm-$N/config" -q >/dev/null 2>&1
		mbsync -q -c "$B/mbwarm-$N/mbsyncrc" bench >/dev/null 2>&1
		rm -rf "$B/gwarm-$N" "$B/mbwarm-$N"
		echo "bench: $MIX N=$N" >&2
		r1=$(run "gravity-first" "$GRAVITY" poll --config "$B/g-$N/config" -q)
		r2=$(run5 "gravity-nonews" "$GRAVITY" poll --config "$B/g-$N/config" -q)
		r3=$(run "mbsync-first" mbsync -q -c "$B/mb-$N/mbsyncrc" bench)
		r4=$(run5 "mbsync-nonews" mbsync -q -c "$B/mb-$N/mbsyncrc" bench)
		got=$(find "$B/mb-$N/INBOX" -type f | wc -l)
		logged=$(wc -l < "$B/g-$N/out/log.jsonl" 2>/dev/null || echo 0)
		while read -r r; do results+=("$MIX $N $r"); done <<<"$r1
$r2
$r3
$r4"
		echo "bench: $MIX N=$N: gravity logged $logged messages, mbsync pulled $got" >&2
		dv_stop "$D"
		rm -rf "$D" "$B/g-$N" "$B/mb-$N"
	done
done

echo
printf '%-6s %-8s %-20s %10s %10s %12s\n' mix N run wall_s user_s peak_rss_MB
for r in "${results[@]}"; do
	read -r x n l w u m <<<"$r"
	case $l in mbsync*) m=- ;; *) m=$(mb "$m") ;; esac
	printf '%-6s %-8s %-20s %10s %10s %12s\n' "$x" "$n" "$l" "$w" "$u" "$m"
done
# val MIX N LABEL FIELD: W wall, U user, M rss
val() {
	for r in "${results[@]}"; do
		read -r x n l w u m <<<"$r"
		[ "$x" = "$1" ] && [ "$n" = "$2" ] && [ "$l" = "$3" ] &&
			case $4 in W) echo "$w" ;; U) echo "$u" ;; M) echo "$m" ;; esac
	done
}
for MIX in $BENCH_MIX; do
	echo
	echo "$MIX mix:"
	for N in "$@"; do
		g=$(val "$MIX" "$N" gravity-first W); b=$(val "$MIX" "$N" mbsync-first W)
		u=$(val "$MIX" "$N" gravity-first U); m=$(val "$MIX" "$N" gravity-first M)
		echo "  N=$N: first poll / mbsync = $(ratio "$g" "$b") (target <= 0.35; ${g}s vs ${b}s);" \
			"CPU per message $(awk -v u="$u" -v n="$N" 'BEGIN { printf "%.3f", u * 1000 / n }') ms" \
			"(target <= 0.15); peak RSS $(mb "$m") MB (target <= 32)"
	done
	if [ $# -ge 2 ]; then
		lo=$(val "$MIX" "$1" gravity-nonews W); hi=$(val "$MIX" "${!#}" gravity-nonews W)
		echo "  no-news N=${!#} / N=$1 = $(ratio "$hi" "$lo") (target <= 1.20; ${hi}s vs ${lo}s, medians of 5)"
		lo=$(val "$MIX" "$1" gravity-nonews-1st W); hi=$(val "$MIX" "${!#}" gravity-nonews-1st W)
		echo "  the first no-news poll after the first poll: ${hi}s vs ${lo}s"
	fi
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
