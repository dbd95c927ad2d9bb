# SPDX-License-Identifier: MIT
# tests/servers/dovecot.sh - start and stop a private Dovecot on 127.0.0.1 for the
# IMAP tests.  A bash library: source it, then
#   dv_setup DIR         make DIR/{ca,server,wrong}.{crt,key}, passwd, Maildir
#   dv_msg DIR NAME FLAGS FILE   put FILE into the Maildir before start
#                        (FLAGS: "S" for \Seen, "" for new)
#   dv_start DIR [CERT]  start Dovecot (CERT: server or wrong); prints
#                        "IMAPPORT IMAPSPORT" and writes DIR/ports
#                        (DV_MAILBOXES: its special-use folders, below)
#   dv_stop DIR          stop the Dovecot started in DIR, by its PID
#   dv_doveadm DIR ARGS  run doveadm against that instance (user "test")
# DV_EXTRA_CONF, when set, is added to the configuration as it is (e.g. a
# rawlog_dir that records each session's commands).
# Dovecot listens on 127.0.0.1 only; nothing ever talks to another address.
# User "test", password "test-pass-123"; user "hannah@example.com", password
# "hannah-pass-456".  Runs as root or as a normal user.

dv_have() {
	command -v dovecot >/dev/null 2>&1 && command -v openssl >/dev/null 2>&1
}

dv_setup() {
	_d=$1
	mkdir -p "$_d/run" "$_d/state" "$_d/home/test/Maildir/cur" \
		"$_d/home/test/Maildir/new" "$_d/home/test/Maildir/tmp" || return 1
	(
		cd "$_d" || exit 1
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
			-nodes -keyout ca.key -out ca.crt -days 30 \
			-subj "/CN=gravity test CA" >/dev/null 2>&1 || exit 1
		for n in server wrong; do
			if [ $n = server ]; then
				cn=localhost; san="DNS:localhost,IP:127.0.0.1"
			else
				cn=other.example; san="DNS:other.example"
			fi
			openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
				-nodes -keyout $n.key -out $n.csr -subj "/CN=$cn" \
				>/dev/null 2>&1 || exit 1
			printf 'subjectAltName=%s\n' "$san" > $n.ext
			openssl x509 -req -in $n.csr -CA ca.crt -CAkey ca.key \
				-CAcreateserial -out $n.crt -days 30 -extfile $n.ext \
				>/dev/null 2>&1 || exit 1
		done
		# a second user whose login is a whole address, as most
		# providers have it
		printf '%s\n' 'test:{PLAIN}test-pass-123' \
			'hannah@example.com:{PLAIN}hannah-pass-456' > passwd
	)
}

dv_msg() {  # DIR NAME FLAGS FILE
	if [ -n "$3" ]; then
		cp "$4" "$1/home/test/Maildir/cur/$2:2,$3"
	else
		cp "$4" "$1/home/test/Maildir/new/$2"
	fi
}

_dv_conf() {  # DIR PORT SPORT CERT
	_d=$1
	if [ "$(id -u)" = 0 ]; then
		_uid=nobody; _gid=$(id -g nobody); _login=dovenull; _int=dovecot
		chown -R nobody:"$_gid" "$_d/home"
		chmod 755 "$_d"
	else
		_uid=$(id -un); _gid=$(id -g); _login=$_uid; _int=$_uid
	fi
	_dh=
	[ -f /usr/share/dovecot/dh.pem ] && _dh="ssl_dh = </usr/share/dovecot/dh.pem"
	# DV_OAUTH2_INTROSPECT=URL: bearer tokens (XOAUTH2, OAUTHBEARER) are
	# checked at that RFC 7662 introspection endpoint, before passwords.
	_mechs="plain login" _oauth=
	if [ -n "${DV_OAUTH2_INTROSPECT:-}" ]; then
		_mechs="plain login xoauth2 oauthbearer"
		_oauth="passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = $_d/oauth2.conf.ext
}"
		cat > "$_d/oauth2.conf.ext" <<EOC
introspection_mode = post
introspection_url = $DV_OAUTH2_INTROSPECT
username_attribute = username
active_attribute = active
active_value = true
EOC
	fi
	# DV_MAILBOXES: special-use folders, one "NAME=USE" per line (USE
	# \\Sent, \\Drafts ...), created on login; a blank value: none at
	# all.  Unset: "Sent" and "Drafts" marked, created only if they exist.
	_boxes=
	if [ -n "${DV_MAILBOXES+set}" ]; then
		_boxes=$(printf '%s\n' "$DV_MAILBOXES" | while IFS='=' read -r _n _u; do
			case $_n in *[![:space:]]*) ;; *) continue ;; esac
			printf '  mailbox "%s" {\n    special_use = %s\n    auto = create\n  }\n' "$_n" "$_u"
		done)
	else
		_boxes='  mailbox Sent {
    special_use = \Sent
  }
  mailbox Drafts {
    special_use = \Drafts
  }'
	fi
	cat > "$_d/dovecot.conf" <<EOC
base_dir = $_d/run
state_dir = $_d/state
log_path = $_d/dovecot.log
info_log_path = $_d/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <$_d/$4.crt
ssl_key = <$_d/$4.key
$_dh
disable_plaintext_auth = yes
auth_mechanisms = $_mechs
auth_failure_delay = 0
default_login_user = $_login
default_internal_user = $_int
first_valid_uid = 0
$_oauth
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $_d/passwd
}
userdb {
  driver = static
  args = uid=$_uid gid=$_gid home=$_d/home/%u
}
mail_location = maildir:~/Maildir
namespace inbox {
  inbox = yes
  separator = /
$_boxes
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $2
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $3
    ssl = yes
  }
}
service anvil {
  chroot =
}
${DV_EXTRA_CONF:-}
service imap-login {
  chroot =
}
EOC
}

_dv_port() {
	echo $(( 20000 + ($$ * 7 + RANDOM) % 40000 ))
}

_dv_listening() {  # PORT
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

dv_start() {  # DIR [CERT]
	_d=$1; _cert=${2:-server}
	for _try in 1 2 3 4 5; do
		_p=$(_dv_port); _ps=$((_p + 1))
		_dv_listening $_p && continue
		_dv_listening $_ps && continue
		_dv_conf "$_d" $_p $_ps "$_cert"
		dovecot -F -c "$_d/dovecot.conf" </dev/null >>"$_d/dovecot.out" 2>&1 &
		echo $! > "$_d/dovecot.pid"
		for _i in $(seq 1 50); do
			if _dv_listening $_p && _dv_listening $_ps; then
				echo "$_p $_ps" > "$_d/ports"
				echo "$_p $_ps"
				return 0
			fi
			kill -0 "$(cat "$_d/dovecot.pid")" 2>/dev/null || break
			sleep 0.1
		done
		dv_stop "$_d"
	done
	echo "dovecot did not start; see $_d/dovecot.log" >&2
	return 1
}

dv_stop() {
	_d=$1
	[ -f "$_d/dovecot.pid" ] || return 0
	_pid=$(cat "$_d/dovecot.pid")
	kill "$_pid" 2>/dev/null
	for _i in $(seq 1 50); do
		kill -0 "$_pid" 2>/dev/null || break
		sleep 0.1
	done
	rm -f "$_d/dovecot.pid"
}

dv_doveadm() {
	_d=$1; shift
	doveadm -c "$_d/dovecot.conf" "$@"
}
