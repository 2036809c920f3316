#!/bin/sh
# pipeline_hooks.sh: every documented hook of every framework, end to end.
# Each payload in tests/data/hooks/FRAMEWORK/ goes through the real hookcli
# (FRAMEWORK mode), collectord and gatewayd; the event gatewayd stores must
# equal its .expect.json field by field (all but event_id, timestamp, seq,
# received_at and the origin collectord stamps).
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/pipeline_common.sh"

DATA=$top_srcdir/tests/data/hooks
gw_up
cd_up

n=0
: >"$T/order"
for fw in claude-code gemini-cli cursor codex; do
	[ -d "$DATA/$fw" ] || fail "no corpus for $fw in $DATA"
	count=0
	for f in "$DATA/$fw"/*.json; do
		case $f in *.expect.json) continue ;; esac
		want=${f%.json}
		want=${want%.arg}.expect.json
		[ -f "$want" ] || fail "$f: no ${want##*/}"
		# A state dir per payload: a PermissionRequest in the corpus must
		# not make a later prompt report a denial (pipeline_prompts.sh).
		mkdir "$T/state.$n"
		rc=0
		case $f in
		*.arg.json)
			AGENTVIS_STATE_DIR=$T/state.$n "$HOOKCLI" --strict -t 5000 \
			    "$fw" "$(cat "$f")" >"$T/out" 2>"$T/err" || rc=$?
			;;
		*)
			AGENTVIS_STATE_DIR=$T/state.$n "$HOOKCLI" --strict -t 5000 \
			    "$fw" <"$f" >"$T/out" 2>"$T/err" || rc=$?
			;;
		esac
		[ "$rc" -eq 0 ] || fail "$fw ${f##*/}: exit $rc: $(cat "$T/err")"
		[ ! -s "$T/err" ] || fail "$fw ${f##*/}: stderr: $(cat "$T/err")"
		# Nothing on stdout but the framework's documented neutral answer.
		if [ -s "$T/out" ]; then
			jq -e . "$T/out" >/dev/null 2>&1 ||
			    fail "$fw ${f##*/}: stdout not JSON: $(head -c 200 "$T/out")"
		fi
		echo "$f $want" >>"$T/order"
		n=$((n + 1))
		count=$((count + 1))
	done
	note "$fw: $count payloads"
done
wait_stored "$n" 30 || fail "stored $(stored 'SELECT count(*) FROM events') of $n"

# Read them back in seq order: the order they were reported in.
"$CURL" -s "$URL/api/v1/events?limit=1000" >"$T/events"
assert_eq "events read back" "$n" "$(jq '.events | length' "$T/events")"
i=0
while read -r f want; do
	jq -S ".events[$i] | del(.event_id, .timestamp, .seq, .received_at,
	    .metadata.origin)" "$T/events" >"$T/got"
	jq -S . "$want" >"$T/want"
	diff -u "$T/want" "$T/got" >"$T/diff" ||
	    fail "${f#"$DATA"/}: stored event differs (- expected, + stored):
$(cat "$T/diff")"
	# The id and the time are hookcli's own, and the origin collectord's.
	jq -e ".events[$i] | (.event_id | test(\"^[0-9a-f-]{36}\$\"))
	    and (.timestamp | endswith(\"Z\")) and .metadata.origin.via == \"socket\"" \
	    "$T/events" >/dev/null || fail "${f#"$DATA"/}: id, time or origin"
	i=$((i + 1))
done <"$T/order"
note "$i stored events equal their expectations"

# Payloads no framework mode can read: exit 0 (the agent goes on), the
# reason on stderr (none under Gemini CLI, which would read it as an
# answer), and nothing stored.
printf 'SessionStart\n' >"$T/notjson"
printf '{"hook_event_name":"Stop","session_id":"\377\376"}' >"$T/badutf8"
for fw in claude-code gemini-cli cursor codex; do
	for bad in notjson badutf8; do
		rc=0
		"$HOOKCLI" -t 5000 "$fw" <"$T/$bad" >"$T/out" 2>"$T/err" || rc=$?
		assert_eq "$fw $bad: exit" 0 "$rc"
		[ ! -s "$T/out" ] || fail "$fw $bad: stdout: $(cat "$T/out")"
		if [ "$fw" = gemini-cli ]; then
			[ ! -s "$T/err" ] || fail "$fw $bad: stderr: $(cat "$T/err")"
		else
			assert_contains "$fw $bad: stderr" "$(cat "$T/err")" "invalid JSON"
		fi
	done
done
sleep 0.5
assert_eq "nothing more stored" "$n" "$(stored 'SELECT count(*) FROM events')"
exit 0
