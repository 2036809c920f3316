#!/bin/sh
# agent-hook.sh: a generic shell hook reporting an agent's work with hookcli(1).
#
# A multi-agent framework (or any script) calls it around each task:
#
#   agent-hook.sh spawned
#   agent-hook.sh run  TASK_ID OPERATION COMMAND [ARGS...]
#   agent-hook.sh spend REMAINING TOTAL DELTA
#
# Identity comes from the environment, so every hookcli call below is short:
#   AGENTVIS_AGENT_ID   AGENTVIS_AGENT_NAME   AGENTVIS_AGENT_ROLE
#   AGENTVIS_SESSION_ID AGENTVIS_PROJECT      AGENTVIS_USER_ID
#
# hookcli never writes on stdout, never takes longer than -t (500 ms by
# default) and exits 0 when collectord is down (the event is parked in the
# fallback directory), so it is safe to call from any hook unguarded.

: "${AGENTVIS_AGENT_ID:=${USER:-agent}@$(hostname)}"
: "${AGENTVIS_AGENT_NAME:=shell}"
: "${AGENTVIS_AGENT_ROLE:=worker}"
export AGENTVIS_AGENT_ID AGENTVIS_AGENT_NAME AGENTVIS_AGENT_ROLE

HOOKCLI=${HOOKCLI:-hookcli}

# Milliseconds since the epoch (GNU date).
now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

case "${1:-}" in
spawned)
	"$HOOKCLI" agent-spawned pid=$$
	;;
run)
	[ $# -ge 4 ] || { echo "usage: $0 run TASK_ID OPERATION COMMAND..." >&2; exit 64; }
	task=$2 op=$3
	shift 3
	"$HOOKCLI" task-started --task-id "$task" --operation "$op"
	start=$(now_ms)
	rc=0
	"$@" || rc=$?
	elapsed=$(($(now_ms) - start))
	if [ "$rc" -eq 0 ]; then
		"$HOOKCLI" task-completed --task-id "$task" --operation "$op" \
		    --duration-ms "$elapsed"
	else
		"$HOOKCLI" task-failed --task-id "$task" --operation "$op" \
		    --error "exit status $rc" --duration-ms "$elapsed" exit_status=$rc
	fi
	exit "$rc"
	;;
spend)
	[ $# -eq 4 ] || { echo "usage: $0 spend REMAINING TOTAL DELTA" >&2; exit 64; }
	"$HOOKCLI" budget-updated --remaining "$2" --total "$3" --delta "$4"
	;;
*)
	echo "usage: $0 spawned | run TASK_ID OPERATION COMMAND... | spend REMAINING TOTAL DELTA" >&2
	exit 64
	;;
esac
