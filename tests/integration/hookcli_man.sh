#!/bin/sh
# hookcli_man.sh: hookcli.1 is lint-clean and documents exactly the options,
# commands and environment variables that hookcli --help lists.
. "$top_srcdir/tests/integration/hookcli_common.sh"

PAGE=$top_srcdir/man/hookcli.1

hk_out --help
expect_rc "--help" 0
HELP=$T/out

if [ -n "${MANDOC:-}" ]; then
	"$MANDOC" -Tlint -W warning "$PAGE" >"$T/lint" 2>&1 ||
		fail "mandoc -Tlint: $(cat "$T/lint")"
	[ ! -s "$T/lint" ] || fail "mandoc -Tlint: $(cat "$T/lint")"
else
	note "mandoc not found: lint skipped"
fi

# Long options: "Fl -agent-id" in mdoc, "--agent-id" in the help.
grep -o 'Fl -[a-z][a-z-]*' "$PAGE" | sed 's/^Fl -/--/' | sort -u >"$T/man-long"
grep -o -- '--[a-z][a-z-]*' "$HELP" | sort -u >"$T/help-long"
diff "$T/man-long" "$T/help-long" >"$T/diff" ||
	fail "long options differ (< man, > help): $(cat "$T/diff")"
# Short options.
grep -o 'Fl [a-zA-Z]\b' "$PAGE" | sed 's/^Fl /-/' | sort -u >"$T/man-short"
grep -o -- '^ *-[a-zA-Z]\b' "$HELP" | tr -d ' ' | sort -u >"$T/help-short"
diff "$T/man-short" "$T/help-short" >"$T/diff" ||
	fail "short options differ (< man, > help): $(cat "$T/diff")"
# Environment variables.
grep -o 'AGENTVIS_[A-Z_]*' "$PAGE" | sort -u >"$T/man-env"
grep -o 'AGENTVIS_[A-Z_]*' "$HELP" | sort -u >"$T/help-env"
diff "$T/man-env" "$T/help-env" >"$T/diff" ||
	fail "environment differs (< man, > help): $(cat "$T/diff")"
# Commands: every one in the help has its own entry in the page.
for cmd in $(sed -n '/^commands:/,/^$/p' "$HELP" | awk '/^  [^ ]/ { print $1 }'); do
	grep -q "^\.It Cm $cmd\b" "$PAGE" || fail "command $cmd not in hookcli.1"
done
# Every hook in the four frameworks' tables has its entry in the page, in
# that framework's subsection of AGENT FRAMEWORKS.
for fw in "claude:Claude Code" "gemini:Gemini CLI" "cursor:Cursor" "codex:Codex CLI"; do
	src=$top_srcdir/hookcli/fw_${fw%%:*}.c
	title=${fw#*:}
	sed -n "/^\.Ss $title\$/,/^\.S[sh] /p" "$PAGE" >"$T/section"
	[ -s "$T/section" ] || fail "no subsection \"$title\" in hookcli.1"
	sed -n 's/^[[:space:]]*{ "\([A-Za-z-]*\)", EVT_.*/\1/p' "$src" >"$T/hooks"
	[ -s "$T/hooks" ] || fail "no hooks found in $src"
	while read -r hook; do
		grep -q "^\.It Li $hook\$" "$T/section" ||
			fail "$title hook $hook not in hookcli.1"
	done <"$T/hooks"
	# And no entry for a hook the table does not have.
	sed -n 's/^\.It Li \([A-Za-z-]*\)$/\1/p' "$T/section" | sort >"$T/man-hooks"
	sort "$T/hooks" >"$T/src-hooks"
	diff "$T/man-hooks" "$T/src-hooks" >"$T/diff" ||
		fail "$title hooks differ (< man, > $src): $(cat "$T/diff")"
done
exit 0
