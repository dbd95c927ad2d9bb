#!/bin/sh
# The drafts gravity writes for the labelled example owners of ../shared
# (each with its persona's profile, services and partners from
# tests/personas), checked for what every draft must do, whatever its
# words (tests/cli/draftprops.py): each question of an inquiry quoted
# back with a "[...]" gap for the owner; a draft to the sender in the
# message's language; no "moved you to Bcc" without a Bcc header; no run
# of the requester's words, address or phone in a note to a partner.
# And no two inquiry replies of all owners are the same letter: the share
# of body lines two of them have in common (of the shorter one's lines:
# the draft's own lines with the questions it quotes back and the notes of
# their gaps; blank lines excluded, and so are the quoted original and the
# signature, with the valediction above it: "Best regards," and the
# owner's name) is at most 60%.  The share counting the valediction is
# reported too.
. "${top_srcdir:-.}/tests/cli/lib.sh"
owners="maya ana kofi jonas"
plan 9
if [ ! -d "$GR_SHARED/examples/maya" ]; then
	for o in $owners; do
		skip "$o: drafts written" "no $GR_SHARED/examples (../shared is absent)"
		skip "$o: every draft keeps its promises" "no $GR_SHARED/examples"
	done
	skip "inquiry replies compared" "no $GR_SHARED/examples"
	exit 0
fi
if ! command -v python3 >/dev/null 2>&1; then
	for o in $owners; do
		skip "$o: drafts written" "python3 is needed"
		skip "$o: every draft keeps its promises" "python3 is needed"
	done
	skip "no two inquiry replies are the same letter" "python3 is needed"
	exit 0
fi
mktmp
for o in $owners; do
	box="$T/$o/box"
	mkdir -p "$box/new" "$box/cur" "$box/tmp"
	i=0
	for e in "$GR_SHARED/examples/$o"/*.eml; do
		i=$((i + 1))
		cp "$e" "$box/new/$((1700000000 + i)).M1P1.$(basename "$e" .eml)"
	done
	"$GRAVITY" poll --source "maildir:$box" --rules "$top_srcdir/tests/personas/$o" \
		--out "$T/$o/out" --state "$T/$o/state.db" -q >"$T/$o/poll.txt" 2>&1
	n=$(ls "$T/$o/out/drafts" 2>/dev/null | wc -l)
	ok "$o: drafts written ($n)" test "$n" -ge 10
	python3 "$top_srcdir/tests/cli/draftprops.py" "$T/$o/out" "$box" "$o" >"$T/$o/props.txt"
	sed 's/^/# /' "$T/$o/props.txt"
	bad=$(grep -vc '^checked ' "$T/$o/props.txt")
	checked=$(sed -n 's/^checked \([0-9]*\) drafts$/\1/p' "$T/$o/props.txt")
	ok "$o: every draft keeps its promises ($checked checked, $bad not)" \
		test "$bad" -eq 0 -a "${checked:-0}" -eq "$n"
done
cat "$T"/*/out/bodies.tsv >"$T/bodies.tsv"
python3 - "$T/bodies.tsv" >"$T/sim.txt" <<'EOF'
import collections, itertools, sys
docs = collections.defaultdict(list)
full = collections.defaultdict(list)
for l in open(sys.argv[1], encoding="utf-8"):
    name, cls, part, line = l.rstrip("\n").split("\t", 3)
    full[name].append(line)
    if part == "body":
        docs[name].append(line)


def share(d):
    pairs = []
    for a, b in itertools.combinations(sorted(d), 2):
        c = sum((collections.Counter(d[a]) & collections.Counter(d[b])).values())
        pairs.append((c / max(1, min(len(d[a]), len(d[b]))), a, b))
    pairs.sort(reverse=True)
    return pairs


pairs, pfull = share(docs), share(full)
over = sum(1 for p in pairs if p[0] > 0.6)
print(f"{len(docs)} inquiry replies, {len(pairs)} pairs, {over} share more than 60% of their lines")
for p in pairs[:5]:
    print("%.2f %s %s" % p)
print("with the valediction: most alike %.2f, %d pairs over 60%%" %
      (pfull[0][0] if pfull else 0, sum(1 for p in pfull if p[0] > 0.6)))
print("max %d" % round(100 * pairs[0][0]) if pairs else "max 100")
EOF
sed 's/^/# /' "$T/sim.txt"
max=$(sed -n 's/^max //p' "$T/sim.txt")
ok "no two inquiry replies are the same letter (most alike: ${max:-?}% of lines)" \
	test "${max:-100}" -le 60
