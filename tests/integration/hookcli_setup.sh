#!/bin/sh
# hookcli_setup.sh: "hookcli setup FRAMEWORK" prints valid settings (JSON,
# or TOML for Codex) naming only hooks of that framework's table, each
# running a command that really delivers; etc/hooks/ holds the same.
. "$top_srcdir/tests/integration/hookcli_common.sh"

PY=$(command -v python3) || fail "python3 not installed (TOML check)"
ts_start ack "s p"		# a socket path with a space: quoting

# The hook names of a framework's table, from its source.
table() {
	sed -n 's/^[[:space:]]*{ "\([A-Za-z-]*\)", EVT_.*/\1/p' \
	    "$top_srcdir/hookcli/fw_$1.c" | sort -u
}
# Hook names from settings on stdin: JSON (.hooks keys) or TOML.
json_hooks() { jq -r '.hooks | keys[]' | sort; }
toml_hooks() {
	"$PY" -c 'import sys, tomllib; [print(k) for k in tomllib.loads(sys.stdin.read())["hooks"]]' | sort
}
# Every command in the settings, one per line.
json_cmds() { jq -r '.. | objects | select(has("command")) | .command' | sort -u; }
toml_cmds() {
	"$PY" -c 'import sys, tomllib
for ev in tomllib.loads(sys.stdin.read())["hooks"].values():
    for g in ev:
        for h in g["hooks"]: print(h["command"])' | sort -u
}

for spec in claude-code:claude:json:claude-code-settings.json \
	    gemini-cli:gemini:json:gemini-cli-settings.json \
	    cursor:cursor:json:cursor-hooks.json \
	    codex:codex:toml:codex-config.toml; do
	IFS=: read -r fw src fmt example <<EOS
$spec
EOS
	hk_out -s "$SOCK" setup "$fw"
	expect_rc "setup $fw" 0
	expect_quiet "setup $fw"
	cp "$T/out" "$T/$fw.settings"
	"${fmt}_hooks" <"$T/$fw.settings" >"$T/hooks" 2>"$T/perr" ||
		fail "setup $fw: not valid $fmt: $(cat "$T/perr")"
	[ -s "$T/hooks" ] || fail "setup $fw: no hooks"
	table "$src" >"$T/table"
	extra=$(comm -23 "$T/hooks" "$T/table")
	[ -z "$extra" ] || fail "setup $fw names hooks not in its table: $extra"
	note "$fw: $(wc -l <"$T/hooks") of $(wc -l <"$T/table") hooks wired"
	# One command everywhere: this hookcli, by its full path, this socket.
	"${fmt}_cmds" <"$T/$fw.settings" >"$T/cmds"
	assert_eq "setup $fw: commands" "$HOOKCLI -s '$SOCK' $fw" "$(cat "$T/cmds")"
	# The example shipped in etc/hooks is what setup prints for "hookcli".
	hk_out setup "$fw"
	sed "s|$HOOKCLI|hookcli|g" "$T/out" >"$T/example"
	cmp -s "$T/example" "$top_srcdir/etc/hooks/$example" ||
		fail "etc/hooks/$example differs from 'hookcli setup $fw': $(diff "$T/example" "$top_srcdir/etc/hooks/$example" | head -20)"
done

note "the command as written runs and delivers, as a framework's shell runs it"
cmd=$(jq -r '.hooks.Stop[0].hooks[0].command' "$T/claude-code.settings")
before=$(rec_count)
printf '{"session_id":"s-setup","hook_event_name":"Stop"}' | sh -c "$cmd" >"$T/out" 2>"$T/err" ||
	fail "the Stop command failed: $(cat "$T/err")"
[ ! -s "$T/out" ] || fail "the Stop command wrote on stdout"
assert_eq "delivered" $((before + 1)) "$(rec_count)"
rec_is "delivered" '.agent_id == "s-setup" and .operation == "stop"'

note "what each framework's settings say"
jq -e '([.hooks[][] | .hooks[]] | all(.type == "command" and .timeout == 5))
    and ([.hooks | to_entries[] | select(.key != "SessionEnd") | .value[].hooks[].async] | all)
    and (.hooks.SessionEnd[0].hooks[0] | has("async") | not)
    and .hooks.PreToolUse[0].matcher == "*" and (.hooks.Stop[0] | has("matcher") | not)
    and (.hooks | has("WorktreeCreate") | not)' "$T/claude-code.settings" >/dev/null ||
	fail "claude-code settings: $(cat "$T/claude-code.settings")"
jq -e '([.hooks[][] | .hooks[]] | all(.type == "command" and .timeout == 2000
    and .name == "agentvis" and (has("async") | not)))
    and (.hooks | has("AfterModel") | not)' "$T/gemini-cli.settings" >/dev/null ||
	fail "gemini-cli settings: $(cat "$T/gemini-cli.settings")"
jq -e '.version == 1 and ([.hooks[][] | .timeout] | all(. == 5))
    and (.hooks | (has("preToolUse") or has("beforeShellExecution")) | not)
    and (.hooks | has("postToolUse") and has("beforeSubmitPrompt"))' \
    "$T/cursor.settings" >/dev/null || fail "cursor settings: $(cat "$T/cursor.settings")"
"$PY" -c 'import sys, tomllib
h = tomllib.load(open(sys.argv[1], "rb"))["hooks"]
assert h["SessionEnd"][0]["hooks"][0]["timeout"] == 3, "SessionEnd at most 3 s"
assert "async" not in h["SessionEnd"][0]["hooks"][0]
assert h["PreToolUse"][0]["matcher"] == "*"
assert all(g["hooks"][0]["async"] for k, v in h.items() if k != "SessionEnd" for g in v)
assert "StopFailure" not in h' "$T/codex.settings" || fail "codex settings"
grep -q "^# notify = \[\"$HOOKCLI\", \"-s\", \"$SOCK\", \"codex\"\]" "$T/codex.settings" ||
	fail "codex notify line: $(grep notify "$T/codex.settings")"

note "bad setup requests are usage errors"
hk_out setup
expect_rc "setup without a framework" 64
expect_err "setup without a framework" "FRAMEWORK required"
hk_out setup vim
expect_rc "setup vim" 64
expect_err "setup vim" "unknown framework: vim"
hk_out setup claude-code extra
expect_rc "setup with two" 64
exit 0
