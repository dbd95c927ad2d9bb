#!/bin/bash
# Folders found, not guessed: against a real Dovecot whose special-use
# folders are "Sent Items" / "Drafts", then "Gesendete Objekte" /
# "Entwürfe", then none at all.  The poll reads the \Sent folder (the
# owner's answer there closes the inquiry's reminder) and appends drafts to
# the \Drafts one with no folder named in the config; 'gravity folders'
# lists them; a configured folder that is not there is one warning and the
# rest of the poll (INBOX, the feed) completes; --append-drafts without a
# Drafts folder does not stop the poll; the source's own folder missing is
# one line and exit 78.  'gravity explain --uid' reads one message of the
# account's folder.
. "${top_srcdir:-.}/tests/cli/lib.sh"
. "$top_srcdir/tests/servers/dovecot.sh"
if ! dv_have || ! command -v sqlite3 >/dev/null 2>&1; then
	echo "1..0 # SKIP dovecot, openssl or sqlite3 not installed"; exit 0
fi
mktmp
chmod 755 "$T"          # Dovecot runs as nobody when the tests run as root
D=""
trap '[ -n "$D" ] && dv_stop "$D"; rm -rf "$T"' EXIT
plan 44
data="$top_srcdir/tests/data/lifecycle"
rules="$top_srcdir/contrib/demo/rules"

# server NAME MAILBOXES: a fresh Dovecot in $T/NAME with an inquiry in
# INBOX; sets D, SPORT, IN.
server() {
	[ -n "$D" ] && dv_stop "$D"
	D="$T/$1"
	dv_setup "$D" || { echo "Bail out! dv_setup failed"; exit 1; }
	dv_msg "$D" 1763395000.M9P1.test "" "$data/answered-inquiry.eml"
	read -r _p SPORT < <(DV_MAILBOXES=$2 dv_start "$D") ||
		{ echo "Bail out! dovecot did not start"; exit 1; }
	IN="imaps://test@127.0.0.1:$SPORT/INBOX"
}
# conf NAME [ACCOUNT-LINES...]
conf() {
	_n=$1; shift
	{
		echo "rules-dir $rules"
		echo "out-dir $T/out-$_n"
		echo "state $T/state-$_n.db"
		echo "account $_n"
		echo "	source $IN"
		echo "	cafile $D/ca.crt"
		echo "	passcmd \"printf 'test-pass-123\\\\n'\""
		echo "	timeout 10"
		for _l in "$@"; do echo "	$_l"; done
	} > "$T/$_n.conf"
}
gpoll() {  # gpoll NAME [OPTIONS]: RC, out.txt, err.txt
	_n=$1; shift
	"$GRAVITY" poll --config "$T/$_n.conf" "$@" >"$T/out.txt" 2>"$T/err.txt"
	RC=$?
}
save() { dv_doveadm "$D" save -u test -m "$1" < "$2"; }
count() { dv_doveadm "$D" search -u test mailbox "$1" 2>/dev/null | wc -l; }

# --- 1. "Sent Items" and "Drafts" -------------------------------------------
server en "$(printf 'Sent Items=\\Sent\nDrafts=\\Drafts\nArchive=\\Archive')"
conf en
"$GRAVITY" folders --config "$T/en.conf" >"$T/f.txt" 2>&1
check "gravity folders exits 0" 0 $?
diag "$(cat "$T/f.txt")"
ok "it shows 'Sent Items' as \\Sent, found and read" \
	grep -q "Sent Items *\\\\Sent *read: your sent mail (found by \\\\Sent)" "$T/f.txt"
ok "... and Drafts as \\Drafts" grep -q "Drafts *\\\\Drafts *drafts go here" "$T/f.txt"
ok "... and INBOX as the source's folder" grep -q "INBOX .*read (the source's folder)" "$T/f.txt"
save "Sent Items" "$data/sent-answer.eml"
gpoll en
check "poll exits 0 with no folder named in the config" 0 "$RC"
diag "$(cat "$T/out.txt" "$T/err.txt")"
ok "the answer in 'Sent Items' closed the inquiry's reminder" grep -q "1 answered" "$T/out.txt"
check "the state follows 'Sent Items'" 1 \
	"$(sqlite3 "$T/state-en.db" "SELECT count(*) FROM folders WHERE folder LIKE '%/Sent Items'")"
check "no warning" "" "$(cat "$T/err.txt")"

# explain --uid: one message over IMAP, with the account's TLS and login
flags0=$(dv_doveadm "$D" fetch -u test flags mailbox INBOX 2>/dev/null)
"$GRAVITY" explain --config "$T/en.conf" --uid 1 >"$T/x.txt" 2>&1
check "explain --uid exits 0" 0 $?
ok "... explains that IMAP message" grep -q "^message:  imaps://test@127.0.0.1:$SPORT/INBOX;UIDVALIDITY=[0-9]*;UID=1$" "$T/x.txt"
ok "... its class, and the overrides line to add if it is wrong" sh -c \
	"grep -q '^decision: inquiry' '$T/x.txt' && grep -q '^      sender maria@gomezcafe.example always CLASS' '$T/x.txt'"
check "... and changes no flag" "$flags0" "$(dv_doveadm "$D" fetch -u test flags mailbox INBOX 2>/dev/null)"
"$GRAVITY" explain --config "$T/en.conf" --folder "Sent Items" --uid 1 >"$T/x.txt" 2>&1
ok "--folder picks another folder" grep -q "^message:  .*/Sent Items;UIDVALIDITY=[0-9]*;UID=1$" "$T/x.txt"
"$GRAVITY" explain --config "$T/en.conf" --uid 99 >"$T/x.txt" 2>&1
check "a UID that is not there: EX_NOINPUT, one line" "66 1" "$? $(wc -l < "$T/x.txt")"

# a sent-folder or drafts-folder that is not there gives way to the marked one
conf enx "sent-folder Sent" "append-drafts yes" "drafts-folder Brouillons"
"$GRAVITY" folders --config "$T/enx.conf" >"$T/f.txt" 2>&1
ok "folders: a sent-folder not on the server, and the \\Sent one read instead" \
	grep -q "^missing: 'Sent' (sent-folder) is not on the server; 'Sent Items' (.Sent) is read instead$" "$T/f.txt"
ok "... which is marked read" grep -q "Sent Items *\\\\Sent *read: your sent mail (found by \\\\Sent)" "$T/f.txt"
gpoll enx
check "a missing sent-folder and drafts-folder: exit 0" 0 "$RC"
diag "$(cat "$T/out.txt" "$T/err.txt")"
check "... one warning each" 2 "$(grep -c '^gravity: warning: ' "$T/err.txt")"
ok "... saying what is read instead and what to fix" \
	grep -q "sent-folder 'Sent' cannot be opened (.*); read 'Sent Items' instead, which the server marks .Sent (correct or remove the sent-folder line" "$T/err.txt"
ok "the owner's answer in 'Sent Items' was still read" grep -q "1 answered" "$T/out.txt"
ok "... and the drafts went to the \\Drafts folder ($(count Drafts) there)" sh -c \
	"grep -q \"drafts-folder 'Brouillons' cannot be opened (.*); drafts go to 'Drafts' instead\" '$T/err.txt' && [ $(count Drafts) -ge 1 ]"

# --- 2. "Gesendete Objekte" and "Entwürfe" ---------------------------------
server de "$(printf 'Gesendete Objekte=\\Sent\nEntwürfe=\\Drafts')"
conf de "append-drafts yes"
"$GRAVITY" folders --config "$T/de.conf" >"$T/f.txt" 2>&1
ok "folders: 'Gesendete Objekte' is the sent folder" \
	grep -q "Gesendete Objekte *\\\\Sent *read: your sent mail" "$T/f.txt"
ok "folders: 'Entwürfe' takes the drafts (append-drafts yes)" \
	grep -q "Entwürfe *\\\\Drafts *drafts go here (append-drafts yes)" "$T/f.txt"
# The columns line up in characters, not bytes ("Entwürfe" has an ü).
cols=$(LC_ALL=C.UTF-8; sed -n 's/^  //p' "$T/f.txt" | grep '\\' | while IFS= read -r l; do
	pre=${l%%\\*}; printf '%s\n' "${#pre}"; done | sort -u | tr '\n' ' ')
check "folders: the special-use column lines up" 1 "$(echo $cols | wc -w)"
save "Gesendete Objekte" "$data/sent-answer.eml"
gpoll de
check "poll exits 0" 0 "$RC"
diag "$(cat "$T/out.txt" "$T/err.txt")"
ok "the answer in 'Gesendete Objekte' was read" grep -q "1 answered" "$T/out.txt"
nd=$(ls "$T"/out-de/drafts/*.eml 2>/dev/null | wc -l)
ok "drafts were written ($nd)" test "$nd" -ge 1
check "the poll's draft is in 'Entwürfe', found by \\Drafts" 1 "$(count Entwürfe)"

# --- 3. no special-use folders at all ---------------------------------------
server none " "
mkdir -p "$D/home/test/Maildir/.Sent/cur" "$D/home/test/Maildir/.Sent/new" \
	"$D/home/test/Maildir/.Sent/tmp"
conf none
gpoll none
check "no \\Sent folder: the poll exits 0" 0 "$RC"
ok "... and reads INBOX" grep -q "gravity: 1 new message" "$T/out.txt"
ok "... without guessing 'Sent'" sh -c "! grep -q answered '$T/out.txt'"
"$GRAVITY" folders --config "$T/none.conf" >"$T/f.txt" 2>&1
ok "folders says no folder is marked \\Sent, and what to add" \
	grep -q "no sent folder: the server marks none .Sent.*sent-folder NAME" "$T/f.txt"
# a configured folder that is not there: one warning, the rest completes
conf miss "sent-folder \"Sent Messages\"" "folders Archive"
gpoll miss
check "missing sent-folder and folders: exit 0" 0 "$RC"
check "one warning line each" 2 "$(grep -c '^gravity: warning: .*cannot be opened' "$T/err.txt")"
ok "... naming the key and the folder" grep -q "sent-folder 'Sent Messages' cannot be opened" "$T/err.txt"
ok "INBOX was still read" grep -q "gravity: 1 new message" "$T/out.txt"
ok "and the feed was written" test -s "$T/out-miss/gravity.ics"
"$GRAVITY" status --config "$T/miss.conf" >"$T/s.txt" 2>&1
ok "gravity status shows the poll ok, with its warnings" \
	grep -q "^  miss: .*, ok: 1 new message; 2 warnings: [a-z-]* '[A-Za-z ]*' cannot be opened" "$T/s.txt"
diag "$(grep '^  miss' "$T/s.txt")"
# --append-drafts with no Drafts folder: one warning, the poll completes
conf nodr
gpoll nodr --append-drafts
check "--append-drafts without a Drafts folder: exit 0" 0 "$RC"
check "... one warning" 1 "$(grep -c 'warning: append-drafts: the server marks no folder' "$T/err.txt")"
ok "... the drafts are in the output directory" sh -c "ls '$T'/out-nodr/drafts/*.eml >/dev/null"
conf nodr2 "append-drafts yes" "drafts-folder Brouillons"
gpoll nodr2
check "a drafts-folder that is not there: exit 0, one warning" "0 1" \
	"$RC $(grep -c "drafts folder 'Brouillons' cannot be opened" "$T/err.txt")"
# the source's own folder missing: stop, one line, exit 78
IN="imaps://test@127.0.0.1:$SPORT/Inbx"
conf typo
gpoll typo
check "the source's folder missing: EX_CONFIG, one line" "78 1" "$RC $(wc -l < "$T/err.txt")"
ok "... naming it and where the folders are listed" \
	grep -q "^gravity: folder 'Inbx' cannot be opened (.*); 'gravity folders' lists the account's folders$" "$T/err.txt"
diag "$(cat "$T/err.txt")"
done_testing
