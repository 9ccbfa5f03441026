#!/usr/bin/env bash
# Run `make <stage>` for each stage given, print each one's duration, then a summary table.
# Stops at the first failing stage.
set -uo pipefail
declare -a names=() seconds=() results=()
overall=0
start_all=$(date +%s)
for stage in "$@"; do
  echo
  echo "==> stage $stage"
  start=$(date +%s)
  make --no-print-directory "$stage"
  rc=$?
  took=$(( $(date +%s) - start ))
  names+=("$stage"); seconds+=("$took")
  if [ "$rc" -eq 0 ]; then results+=("ok"); else results+=("FAILED ($rc)"); fi
  echo "<== stage $stage: ${took}s, ${results[-1]}"
  if [ "$rc" -ne 0 ]; then overall=$rc; break; fi
done
echo
echo "stage durations:"
for i in "${!names[@]}"; do
  printf '  %-12s %6ss  %s\n' "${names[$i]}" "${seconds[$i]}" "${results[$i]}"
done
printf '  %-12s %6ss\n' total "$(( $(date +%s) - start_all ))"
exit "$overall"
