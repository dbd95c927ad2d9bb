#!/bin/sh
# The classes must not hinge on how narrowly the owner words their
# services: for each example owner, a services file whose
# offers are written broadly, with the generic words of the trade
# (tests/personas/broad/NAME.offers, plus the owner's referred-out
# services as the careful file words them), gives the same classes as the
# careful services file (tests/personas/NAME/services) on at least 95% of
# the owner's messages, with the shipped rules and weights.  And no message
# labelled automated gets a reply draft from a poll of the owner's mail,
# whichever services file, and no draft goes to a no-reply or notice
# address (a platform's).
. "${top_srcdir:-.}/tests/cli/lib.sh"
plan 24
ex="$GR_SHARED/examples"
if [ ! -f "$ex/kofi/labels.tsv" ]; then
	for i in $(seq 1 24); do
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
	n=$(wc -l <"$ex/$o/labels.tsv")
	same=$(paste -d' ' "$T/$o.narrow" "$T/$o.broad" | awk '$1 == $3 && $2 == $4' | wc -l)
	paste -d' ' "$T/$o.narrow" "$T/$o.broad" | awk '$2 != $4 { print "# " $1 ": " $2 " -> " $4 " (broad)" }'
	# every labelled message classified both ways, each once
	ok "$o: every labelled message classified with either services file" sh -c \
		"cut -f1 '$ex/$o/labels.tsv' | sort >'$T/$o.want' &&
		 cut -d' ' -f1 '$T/$o.narrow' | sort | cmp -s - '$T/$o.want' &&
		 cut -d' ' -f1 '$T/$o.broad' | sort | cmp -s - '$T/$o.want'"
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
		# the log must show every message (else no draft is no proof)
		logged=$(grep -c '"source_id"' "$T/$o-$v-out/log.jsonl" 2>/dev/null)
		if [ "${logged:-0}" -ne "$n" ]; then
			diag "$o ($v): ${logged:-0} of $n messages in the log"
			bad=$((bad + 1))
		fi
		while IFS="$tab" read -r file cls why; do
			[ "$cls" = automated ] || continue
			if grep "\"source_id\":\"[^\"]*/$file\"" "$T/$o-$v-out/log.jsonl" 2>/dev/null | grep -q '"drafts/'; then
				diag "$o/$file (automated) got a draft"
				bad=$((bad + 1))
			fi
		done <"$ex/$o/labels.tsv"
		# nor to a machine's or a platform's address, whatever the label
		for f in "$T/$o-$v-out/drafts"/*.eml; do
			[ -f "$f" ] || continue
			if sed -n '/^$/q;/^To:/p' "$f" | grep -qiE '[<: ](no-?reply|do-?not-?reply|notifications?|notify|mailer-daemon|postmaster|bounces?)[-+._@]'; then
				diag "$o: a draft to a machine: $(grep -m1 '^To:' "$f")"
				bad=$((bad + 1))
			fi
		done
		check "$o ($v services): no draft to a message labelled automated, nor to a machine" 0 $bad
	done
done
