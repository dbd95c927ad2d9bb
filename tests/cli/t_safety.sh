#!/bin/sh
# Safety above accuracy (RFC 3834): every machine-generated message
# of ../shared/corpus (INDEX.tsv auto_hints other than "-": list, bulk,
# bounce, auto-submitted, robot sender, report) and every SpamAssassin spam
# and welcomelist message goes through `gravity poll` from one Maildir, with
# the default rules and the test owner Alex Rivera (tests/personas/alex),
# and once more with the webdev persona, whose services match much of that
# mail; none may get a draft.
. "${top_srcdir:-.}/tests/cli/lib.sh"
plan 8
c="$GR_SHARED/corpus"
if [ ! -f "$c/INDEX.tsv" ]; then
	for i in 1 2 3 4 5 6 7 8; do
		skip "machine mail never gets a draft" "no $c (../shared is absent)"
	done
	exit 0
fi
mktmp
md="$T/md"
mkdir -p "$md/new" "$md/cur" "$md/tmp"
tab=$(printf '\t')
n=0
tail -n +2 "$c/INDEX.tsv" | while IFS="$tab" read -r path kind bytes eol enc hints; do
	case $kind in message|from_line+message|body-only) ;; *) continue ;; esac
	case $path in
	spamassassin/spam__*|spamassassin/welcomelists__*) ;;
	*) [ "$hints" = "-" ] && continue ;;
	esac
	n=$((n + 1))
	f=$(printf '%04d' $n)
	# A Maildir file holds no mbox "From " separator line.
	if [ "$kind" = from_line+message ]; then
		sed '1{/^From /d;}' "$c/$path" >"$md/new/$f.corpus"
	else
		cp "$c/$path" "$md/new/$f.corpus"
	fi
	printf '%s\t%s\n' "$f" "$path" >>"$T/map.tsv"
done
total=$(wc -l <"$T/map.tsv")
diag "$total machine-generated or spam messages"

# poll NAME [--rules DIR]: poll the Maildir into $T/NAME.
poll() {
	name=$1; shift
	"$GRAVITY" poll "$@" --source "maildir:$md" --out "$T/$name" \
		--state "$T/$name.db" >"$T/$name.txt" 2>&1
	check "$name: poll exits 0" 0 $?
	diag "$(tail -n 1 "$T/$name.txt")"
	seen=$(sed -n 's/^gravity: \([0-9]*\) new messages.*; \([0-9]*\) already seen.*/\1+\2/p' "$T/$name.txt")
	check "$name: every message was read" "$total" "$((${seen:-0}))"
	ndraft=$(find "$T/$name/drafts" -type f 2>/dev/null | wc -l)
	check "$name: no draft written" 0 "$ndraft"
	# The log must not name a draft output either; say which message got one.
	grep '"drafts/' "$T/$name/log.jsonl" >"$T/$name.bad" 2>/dev/null
	while IFS= read -r line; do
		f=$(echo "$line" | sed -n 's/.*md\/\([0-9]*\)\.corpus.*/\1/p')
		diag "draft for $(grep "^$f$tab" "$T/map.tsv" | cut -f2): $(echo "$line" | cut -c1-300)"
	done <"$T/$name.bad"
	ok "$name: log.jsonl shows no draft output" test ! -s "$T/$name.bad"
}
poll defaults --rules "$top_srcdir/tests/personas/alex"
poll webdev --rules "$top_srcdir/tests/personas/webdev"
