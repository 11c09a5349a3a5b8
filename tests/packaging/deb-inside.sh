#!/bin/bash
# tests/packaging/deb-inside.sh DEB - run by packaging/test-deb.sh inside a
# fresh Debian 12 chroot: install the package and the three web servers
# from Debian, configure them the Debian way with the package's snippets,
# and serve a Converse request (and the console) through each.  Only the
# Bedrock emulator (/opt/emulator) comes from the source tree.
set -euo pipefail
deb=$1
say() { printf '==> deb-inside: %s\n' "$*"; }
fail() { echo "FAIL: $*" >&2; for f in /var/log/tiergate/*.log /tmp/tg-*.log /var/log/apache2/error.log /var/log/nginx/error.log; do
	[ -f "$f" ] && { echo "---- $f"; tail -20 "$f"; }; done >&2; exit 1; }
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT

# No service may start on install (there is no init here, and port 80 is
# the host's): the web servers are started by hand on free ports below.
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
export DEBIAN_FRONTEND=noninteractive
say "apt-get install $deb lighttpd apache2 nginx curl jq nodejs"
apt-get update -qq
apt-get install -y -qq --no-install-recommends "$deb" lighttpd apache2 nginx curl jq \
    nodejs ca-certificates >/tmp/tg-apt.log 2>&1 || { tail -30 /tmp/tg-apt.log; exit 1; }

say "what the package installed"
id tiergate
stat -c '%U:%G %a %n' /var/lib/tiergate /var/log/tiergate /etc/tiergate/keys /etc/tiergate/environment
[ "$(stat -c %U:%a /var/lib/tiergate)" = tiergate:750 ] || fail "/var/lib/tiergate"
[ "$(stat -c %U:%G:%a /etc/tiergate/keys)" = root:tiergate:640 ] || fail "/etc/tiergate/keys"
grep -qx /etc/tiergate/tiergate.json /var/lib/dpkg/info/tiergate.conffiles || fail "config not a conffile"
for f in /lib/systemd/system/tiergate.service /etc/logrotate.d/tiergate \
    /etc/lighttpd/conf-available/50-tiergate.conf /etc/apache2/conf-available/tiergate.conf \
    /etc/nginx/snippets/tiergate.conf /usr/share/tiergate/admin-web/index.html \
    /usr/share/tiergate/policies/default.lua /usr/share/man/man8/tiergate.8.gz; do
	[ -f "$f" ] || fail "missing $f"
done

free_port() {
	local p
	for p in $(shuf -i 20000-60000 -n 50); do
		grep -qi ":$(printf %04X "$p") " /proc/net/tcp || { echo "$p"; return; }
	done
}

say "the Bedrock emulator"
emu_port=$(free_port)
node /opt/emulator/tests/bedrock-emulator/server.js --port "$emu_port" --quiet >/tmp/tg-emulator.log 2>&1 &
pids+=($!)

say "configure tiergate as an operator would: endpoint, credentials, a key"
jq --arg e "http://127.0.0.1:$emu_port" '. + {endpoint: $e}' /etc/tiergate/tiergate.json >/tmp/tg.json
cat /tmp/tg.json >/etc/tiergate/tiergate.json
printf 'AWS_ACCESS_KEY_ID=AKIATIERGATETEST0001\nAWS_SECRET_ACCESS_KEY=tiergate+test/secret/key/0000000000000000000\n' \
    >/etc/tiergate/environment
key=$(tiergate keygen acme | tee /tmp/tg-key.out | sed -n 's/^# api key[^:]*: //p')
grep '^apikey' /tmp/tg-key.out >>/etc/tiergate/keys
rm -f /tmp/tg-key.out
tiergate check-config /etc/tiergate/tiergate.json

say "tiergate with the unit's ExecStart, as its user"
exec_start=$(sed -n 's/^ExecStart=//p' /lib/systemd/system/tiergate.service)
(set -a; . /etc/tiergate/environment; export TIERGATE_CONFIG=/etc/tiergate/tiergate.json
 exec $exec_start --user tiergate) >/tmp/tg-serve.log 2>&1 &
tg=$!
pids+=($tg)
for _ in $(seq 50); do grep -q ":2328 .* 0A " /proc/net/tcp && break; sleep 0.1; done
[ "$(awk '/^Uid:/ { print $2 }' /proc/$tg/status)" = "$(id -u tiergate)" ] || fail "tiergate is not running as tiergate"

converse() {	# NAME URL: one routed Converse through a web server, and the console
	local out st
	for _ in $(seq 50); do curl -s -o /dev/null "$2/healthz" && break; sleep 0.1; done
	out=$(curl -s -w '\n%{http_code}' -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
	    --data '{"messages":[{"role":"user","content":[{"text":"Hello from the package"}]}]}' \
	    "$2/model/claude/converse") || true
	st=${out##*$'\n'}
	[ "$st" = 200 ] || fail "$1: HTTP $st: ${out%$'\n'*}"
	printf %s "${out%$'\n'*}" | jq -e '.trace.promptRouter.invokedModelId | startswith("anthropic.claude-3")' >/dev/null ||
		fail "$1: no invokedModelId"
	st=$(curl -s -o /dev/null -w '%{http_code}' "$2/admin/") || true
	[ "$st" = 200 ] || fail "$1: console /admin/: HTTP $st"
	st=$(curl -s -o /dev/null -w '%{http_code}' \
	    "$2/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aprompt-router%2Fnope/converse" \
	    -H "Authorization: Bearer $key" -H 'Content-Type: application/json' --data '{}') || true
	[ "$st" = 404 ] || [ "$st" = 400 ] || fail "$1: encoded router ARN: HTTP $st"
	say "PASS $1: Converse routed to $(printf %s "${out%$'\n'*}" | jq -r .trace.promptRouter.invokedModelId), console served"
}

say "lighttpd: lighty-enable-mod tiergate"
port=$(free_port)
lighty-enable-mod tiergate >/dev/null
sed -i "s/^server.port *=.*/server.port = $port/" /etc/lighttpd/lighttpd.conf
lighttpd -tt -f /etc/lighttpd/lighttpd.conf || fail "lighttpd config"
lighttpd -D -f /etc/lighttpd/lighttpd.conf >/tmp/tg-lighttpd.log 2>&1 &
pids+=($!)
converse lighttpd "http://127.0.0.1:$port"

say "Apache: a2enmod proxy_fcgi; a2enconf tiergate"
port=$(free_port)
a2enmod -q proxy_fcgi >/dev/null
a2enconf -q tiergate >/dev/null
sed -i "s/^Listen 80$/Listen 127.0.0.1:$port/" /etc/apache2/ports.conf
sed -i '/Listen 443/d' /etc/apache2/ports.conf
(set +u; . /etc/apache2/envvars; mkdir -p "$APACHE_RUN_DIR" "$APACHE_LOCK_DIR" "$APACHE_LOG_DIR"
 apache2 -t && exec apache2 -DFOREGROUND) >/tmp/tg-apache.log 2>&1 &
pids+=($!)
converse apache "http://127.0.0.1:$port"

say "nginx: a server block including snippets/tiergate.conf"
port=$(free_port)
rm -f /etc/nginx/sites-enabled/default
printf 'server {\n\tlisten 127.0.0.1:%s;\n\tinclude snippets/tiergate.conf;\n}\n' "$port" \
    >/etc/nginx/sites-enabled/tiergate
nginx -t 2>/tmp/tg-nginx-t.log || { cat /tmp/tg-nginx-t.log; fail "nginx config"; }
nginx -g 'daemon off;' >/tmp/tg-nginx.log 2>&1 &
pids+=($!)
converse nginx "http://127.0.0.1:$port"

say "logrotate's reload: SIGHUP reopens the logs"
mv /var/log/tiergate/tiergate.log /var/log/tiergate/tiergate.log.1
kill -HUP "$tg"
for _ in $(seq 30); do [ -s /var/log/tiergate/tiergate.log ] && break; sleep 0.1; done
[ -s /var/log/tiergate/tiergate.log ] || fail "no new log after SIGHUP"
[ "$(stat -c %U /var/log/tiergate/tiergate.log)" = tiergate ] || fail "the reopened log is not tiergate's"
grep -rqF "tiergate+test/secret" /var/log/tiergate/ && fail "a secret in the logs"
say "PASS: the installed package served through lighttpd, Apache and nginx"
