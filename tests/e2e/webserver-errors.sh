#!/bin/bash
# Every error in Bedrock's shape, whoever raises it (issue 15): through the
# shipped lighttpd and Apache configurations, over HTTP/1.1 and h2c, the
# errors the web server answers itself and those it lets tiergate answer
# all come as {"message": ...} with Content-Type application/json and
# x-amzn-ErrorType, promptly (a body over 32 MiB over HTTP/2 included);
# then the AWS SDK sends what it can of the same and must report Bedrock's
# error type.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
tg_need jq lighttpd apache2
[ -d "$top_srcdir/tests/node_modules/@aws-sdk/client-bedrock-runtime" ] ||
	tg_skip "@aws-sdk/client-bedrock-runtime missing (cd tests && npm ci)"
tg_init weberr
tg_start_emulator
tg_copy_for_web_user	# Apache serves the console as its own user: not from a clone in /root (0700)
tg_write_config
tg_start_lighttpd
LIGHTTPD_URL=$TG_URL
tg_start_apache
APACHE_URL=$TG_URL

head -c $((33 << 20)) /dev/zero | tr '\0' a >"$TG_RUN/33m"
printf '{"messages":[{"role":"user","content":[{"text":"' >"$TG_RUN/33m.json"
cat "$TG_RUN/33m" >>"$TG_RUN/33m.json"
printf '"}]}]}' >>"$TG_RUN/33m.json"
BIGHDR=$(head -c 40000 /dev/zero | tr '\0' b)
LONGID=$(head -c 40000 /dev/zero | tr '\0' a)
FLOOD=()
for ((i = 0; i < 150; i++)); do FLOOD+=(-H "X-Flood-$i: $i"); done
CT='Content-Type: application/json'

# err_case URL PROTO STATUS TYPE DESCRIPTION curl-args...: the answer has
# STATUS, x-amzn-ErrorType TYPE, Content-Type application/json and a JSON
# body with a message, within 10 seconds.
err_case() {
	local url=$1 proto=$2 want=$3 type=$4 what=$5 got t ct et; shift 5
	local p=(); [ "$proto" = h2c ] && p=(--http2-prior-knowledge)
	got=$(curl -s -o "$TG_RUN/e.body" -D "$TG_RUN/e.h" -w '%{http_code} %{time_total}' \
	    --max-time 10 "${p[@]}" -H "Authorization: Bearer $TG_KEY" "$@" "$url")
	t=${got#* }; got=${got%% *}
	ct=$(grep -i '^content-type:' "$TG_RUN/e.h" | tail -1 | tr -d '\r' | cut -d' ' -f2-)
	et=$(grep -i '^x-amzn-errortype:' "$TG_RUN/e.h" | tail -1 | tr -d '\r' | cut -d' ' -f2-)
	what="$FRONT $proto: $what"
	tg_expect '[ "$got" = "$want" ]' "$what: want HTTP $want, got $got after ${t}s: $(head -c 200 "$TG_RUN/e.body")"
	tg_expect '[ "${ct%%;*}" = application/json ]' "$what: Content-Type $ct"
	tg_expect '[ "$et" = "$type" ]' "$what: x-amzn-ErrorType '$et', want $type"
	tg_expect 'jq -e ".message | length > 0" "$TG_RUN/e.body" >/dev/null' "$what: not {\"message\": ...}: $(head -c 200 "$TG_RUN/e.body")"
	tg_ok
}

# oa_case URL PROTO STATUS TYPE DESCRIPTION curl-args...: under /v1/ the
# answer is OpenAI-shaped: STATUS, Content-Type application/json, a body
# {"error": {"message": ..., "type": TYPE, "param", "code"}} and no
# x-amzn-ErrorType.
oa_case() {
	local url=$1 proto=$2 want=$3 type=$4 what=$5 got t ct et; shift 5
	local p=(); [ "$proto" = h2c ] && p=(--http2-prior-knowledge)
	got=$(curl -s -o "$TG_RUN/e.body" -D "$TG_RUN/e.h" -w '%{http_code} %{time_total}' \
	    --max-time 10 "${p[@]}" -H "Authorization: Bearer $TG_KEY" "$@" "$url")
	t=${got#* }; got=${got%% *}
	ct=$(grep -i '^content-type:' "$TG_RUN/e.h" | tail -1 | tr -d '\r' | cut -d' ' -f2-)
	et=$(grep -i '^x-amzn-errortype:' "$TG_RUN/e.h" | tail -1 | tr -d '\r' | cut -d' ' -f2-)
	what="$FRONT $proto /v1/: $what"
	tg_expect '[ "$got" = "$want" ]' "$what: want HTTP $want, got $got after ${t}s: $(head -c 200 "$TG_RUN/e.body")"
	tg_expect '[ "${ct%%;*}" = application/json ]' "$what: Content-Type $ct"
	tg_expect '[ -z "$et" ]' "$what: x-amzn-ErrorType '$et' on an OpenAI-shaped answer"
	tg_expect 'jq -e --arg t "$type" ".error.message | length > 0" "$TG_RUN/e.body" >/dev/null &&
	    jq -e --arg t "$type" ".error.type == \$t and (.error | has(\"param\") and has(\"code\"))" \
	    "$TG_RUN/e.body" >/dev/null' "$what: not OpenAI's {\"error\": ...} of type $type: $(head -c 200 "$TG_RUN/e.body")"
	tg_ok
}

# openai_front URL: the web server's own errors under /v1/ (OpenAI's shape
# where the server knows the path).  OA_METHOD, OA_HDR and OA_LONG hold what
# it answers for an unknown method, a 40 kB header and a 40 kB path
# (STATUS:openai, or STATUS:bedrock where the server refuses the request
# before it has a path; H1/H2 where they differ: lighttpd has the path of an
# HTTP/2 request whose header block it refuses, not of an HTTP/1.1 one).
openai_front() {
	local url=$1 proto c="$1/v1/chat/completions" body
	for proto in http1.1 h2c; do
		body=(--data '{}'); [ $proto = h2c ] && body=(-X POST -H 'Content-Length: 0')
		oa_case "$c" $proto 413 invalid_request_error "body over 32 MiB" \
		    -H "$CT" --data-binary @"$TG_RUN/33m.json"
		shaped_case "$OA_METHOD" "$c" $proto "an unknown method" -X FOO
		shaped_case "$OA_HDR" "$c" $proto "a 40 kB header" -H "$CT" -H "X-Big: $BIGHDR" "${body[@]}"
		shaped_case "$OA_LONG" "$url/v1/$LONGID" $proto "a 40 kB path" -H "$CT" "${body[@]}"
	done
}

# shaped_case STATUS:SHAPE[/H2STATUS:H2SHAPE] URL PROTO DESCRIPTION curl-args...
shaped_case() {
	local spec url=$2 proto=$3 what=$4 st
	spec=$(pick "$1" $proto); shift 4
	st=${spec%:*}
	if [ "${spec##*:}" = openai ]; then
		oa_case "$url" $proto "$st" invalid_request_error "$what" "$@"
	else
		err_case "$url" $proto "$st" ValidationException "$what (no path known: Bedrock's shape)" "$@"
	fi
}

# front URL NAME: the cases on one web server.  NUL, HDR, LONG, METHOD and
# NOLEN hold what it answers (STATUS or STATUS:TYPE; h1/h2 where they differ).
# The requests the web server refuses before tiergate reads them carry no
# body over h2c: a server may answer before the body arrives and then reset
# the stream (RFC 9113 8.1 allows it), and curl 7.88 drops such an answer
# (the AWS SDK does not: see the SDK cases).  Bodies tiergate refuses are
# read (and a body over its cap drained) before the answer, so they get it.
front() {
	local url=$1 proto m="$1/model/support/converse" body st
	FRONT=$2
	for proto in http1.1 h2c; do
		body=(--data '{}'); [ $proto = h2c ] && body=(-X POST -H 'Content-Length: 0')
		err_case "$url/model/support/converse" $proto 413 ValidationException "body over 32 MiB" \
		    -H "$CT" --data-binary @"$TG_RUN/33m.json"
		err_case "$url/model/a%0D%0Ab/converse" $proto 400 ValidationException "CR LF in the path" \
		    -H "$CT" --data '{}'
		err_case "$url/model/a%00b/converse" $proto "${NUL%:*}" "${NUL#*:}" "NUL in the path" -H "$CT" "${body[@]}"
		err_case "$m" $proto "$(pick "$HDR" $proto)" ValidationException "a 40 kB header" -H "$CT" \
		    -H "X-Big: $BIGHDR" "${body[@]}"
		# (tiergate counts headers before it reads the body: no body over h2c)
		err_case "$m" $proto 431 ValidationException "150 headers (tiergate's cap, not the server's)" \
		    -H "$CT" "${FLOOD[@]}" "${body[@]}"
		err_case "$url/model/$LONGID/converse" $proto "$(pick "$LONG" $proto)" ValidationException \
		    "a 40 kB path" -H "$CT" "${body[@]}"
		err_case "$url/admin/no-such-file.html" $proto 404 ResourceNotFoundException "a static file that is not there"
		err_case "$m" $proto "$METHOD" ValidationException "an unknown method" -X FOO
	done
	# tiergate's OpenAI-shaped errors (/v1/) pass the web server untouched
	st=$(curl -s -o "$TG_RUN/oa.body" -w '%{http_code}' -H 'Authorization: Bearer tg-wrong' \
	    -H "$CT" --data '{"model":"support","messages":[{"role":"user","content":"hi"}]}' \
	    "$url/v1/chat/completions")
	tg_expect '[ "$st" = 401 ] && jq -e ".error.message | length > 0" "$TG_RUN/oa.body" >/dev/null' \
	    "$FRONT: an OpenAI-shaped error was rewritten: HTTP $st $(head -c 200 "$TG_RUN/oa.body")"
	tg_ok
	err_case "$m" http1.1 "$NOLEN" ValidationException "HTTP/1.0 POST without Content-Length" \
	    --http1.0 -H "$CT" -H 'Content-Length:' -X POST
	NUL_STATUS=${NUL%:*} NUL_TYPE=${NUL#*:} LONG_STATUS=$(pick "$LONG" h2c) TG_URL=$url \
	    TG_AKID=$TG_AKID TG_SECRET=$TG_SECRET \
	    "$NODE" --no-warnings "$top_srcdir/tests/e2e/webserver-errors.mjs" >"$TG_RUN/sdk-$FRONT.out" 2>&1
	local rc=$?
	sed "s/^/$FRONT SDK /" "$TG_RUN/sdk-$FRONT.out"
	tg_expect '[ $rc = 0 ]' "$FRONT: the AWS SDK did not get Bedrock's error types"
	tg_ok
}

# pick "H1/H2" PROTO: the status for PROTO from "431" or "400/431".
pick() { case $1 in */*) [ $2 = h2c ] && echo "${1#*/}" || echo "${1%/*}";; *) echo "$1";; esac; }

# lighttpd answers 431 for header and path sizes, lets tiergate see NUL,
# CR and LF (url-ctrls-reject off) and answers an unknown method (501) and
# a POST without a length (411) itself.  Apache refuses a NUL in the path
# with 404, a header over its field limit with 400 (mod_http2: 431) and a
# long path with 414; tiergate answers the unknown method and the
# empty body.
NUL=400:ValidationException HDR=431 LONG=431 METHOD=501 NOLEN=411 front "$LIGHTTPD_URL" lighttpd
NUL=404:ResourceNotFoundException HDR=400/431 LONG=414 METHOD=405 NOLEN=400 front "$APACHE_URL" apache
FRONT=lighttpd OA_METHOD=501:bedrock OA_HDR=431:bedrock/431:openai OA_LONG=431:bedrock \
    openai_front "$LIGHTTPD_URL"
FRONT=apache OA_METHOD=405:openai OA_HDR=400:bedrock/431:bedrock OA_LONG=414:bedrock \
    openai_front "$APACHE_URL"

# tiergate not answering: the web server's own 503, in Bedrock's shape.
kill "$TG_TIERGATE_PID"
sleep 0.3
FRONT=apache err_case "$APACHE_URL/model/support/converse" http1.1 503 ServiceUnavailableException \
    "tiergate is down" -H "$CT" --data "$(tg_converse_body hi)"
FRONT=apache oa_case "$APACHE_URL/v1/chat/completions" http1.1 503 server_error "tiergate is down" \
    -H "$CT" --data '{"model":"support","messages":[{"role":"user","content":"hi"}]}'
FRONT=apache oa_case "$APACHE_URL/v1/models" h2c 503 server_error "tiergate is down"
echo "$TG_CHECKS passed, 0 failed"
