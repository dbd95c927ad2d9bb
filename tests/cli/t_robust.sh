#!/bin/sh
# The classes must not hinge on how narrowly the owner words their
# services: for each example owner, a services file whose
# offers are written broadly, with the generic words of the trade
# (tests/personas/broad/NAME.offers, plus the owner's referred-out
# services as the careful file words them), gives the same classes as the
# careful services file (tests/personas/NAME/services) on at least 95% of
# the owner's messages, with the shipped rules and weights.  And no message
# labelled automated gets a reply draft from a poll of the owner's mail,
# whichever services file.
. "${top_srcdir:-.}/tests/cli/lib.sh"
plan 20
ex="$GR_SHARED/examples"
if [ ! -f "$ex/kofi/labels.tsv" ]; then
	for i in $(seq 1 20); do
		skip "broad and careful services agree" "no $ex (../shared is absent)"
	done
	exit 0
fi
mktmp
tab=$(printf '\t')

# classes DIR OWNER: "file class" per message, classified with DIR.
classes() {
	"$GRAVITY" classify --json --rules "$1" "$ex/$2"/*.eml |
		sed -n 's/.*"path":"[^"]*\/\([^"/]*\)".*"class":"\([a-z_]*\)".*/\1 \2/p'
}

for o in maya ana kofi jonas; do
	p="$top_srcdir/tests/personas/$o"
	b="$T/$o-broad"
	mkdir "$b"
	cp "$p/profile" "$p/partners" "$b/"
	{ cat "$top_srcdir/tests/personas/broad/$o.offers"; echo
	  awk '/^(offer|refer) /{ keep = ($1 == "refer") } keep' "$p/services"; } >"$b/services"
	classes "$p" "$o" >"$T/$o.narrow"
	classes "$b" "$o" >"$T/$o.broad"
	n=$(wc -l <"$T/$o.narrow")
	same=$(paste -d' ' "$T/$o.narrow" "$T/$o.broad" | awk '$1 == $3 && $2 == $4' | wc -l)
	paste -d' ' "$T/$o.narrow" "$T/$o.broad" | awk '$2 != $4 { print "# " $1 ": " $2 " -> " $4 " (broad)" }'
	ok "$o: broad and careful services give the same class on >= 95% ($same/$n)" \
		test $((same * 100)) -ge $((n * 95))

	# poll each owner's mail with either services file: no draft for a
	# message labelled automated
	for v in careful broad; do
		dir=$p; [ $v = broad ] && dir=$b
		md="$T/$o-$v-md"
		mkdir -p "$md/new" "$md/cur" "$md/tmp"
		while IFS="$tab" read -r file cls why; do
			cp "$ex/$o/$file" "$md/new/$file"
		done <"$ex/$o/labels.tsv"
		GRAVITY_NOW=1900000000 "$GRAVITY" poll --rules "$dir" --source "maildir:$md" \
			--out "$T/$o-$v-out" --state "$T/$o-$v.db" >"$T/$o-$v.txt" 2>&1
		check "$o ($v services): poll exits 0" 0 $?
		bad=0
		while IFS="$tab" read -r file cls why; do
			[ "$cls" = automated ] || continue
			if grep "\"source_id\":\"[^\"]*/$file\"" "$T/$o-$v-out/log.jsonl" 2>/dev/null | grep -q '"drafts/'; then
				diag "$o/$file (automated) got a draft"
				bad=$((bad + 1))
			fi
		done <"$ex/$o/labels.tsv"
		check "$o ($v services): no draft to a message labelled automated" 0 $bad
	done
done
