#!/usr/bin/env bash
# bash_complete.sh SCRIPT WORD...: what the bash completion SCRIPT offers for
# the command line WORD... (the last word is the one being typed; '' for a
# new one), sorted, on one line. Runs the function SCRIPT registers for
# WORD[0] with `complete -F`, as bash does on TAB.
set -u
script=$1
shift
# shellcheck source=/dev/null
source "$script" || exit 1
spec=$(complete -p "$1" 2>/dev/null) || { echo "no completion registered for $1" >&2; exit 1; }
func=$(sed -E 's/.*-F ([^ ]+).*/\1/' <<<"$spec")
COMP_WORDS=("$@")
COMP_CWORD=$(($# - 1))
COMP_LINE="$*"
COMP_POINT=${#COMP_LINE}
COMPREPLY=()
"$func" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]:-}" || exit 1
((${#COMPREPLY[@]})) && printf '%s\n' "${COMPREPLY[@]}" | sort | paste -sd ' '
exit 0
