#!/usr/bin/env bash
# Times commands side by side in interleaved rounds: each round runs every command once, in turn,
# with its standard output to /dev/null, so that a machine whose speed drifts slows all of them
# alike. Prints per command the median and the fastest CPU seconds (user + sys) and the median wall
# seconds over the rounds. This is how docs/PERFORMANCE.md and docs/perf-log.md compare builds
# and peers on a shared, noisy machine.
#
#   ROUNDS=7 scripts/rounds.sh "target/release/sigma encode -l3 -T2 -c FILE" "pzstd -1 -p2 -c FILE"
#
# Needs GNU time (/usr/bin/time; Debian package `time`).
set -euo pipefail
rounds=${ROUNDS:-5}
case $rounds in
  '' | *[!0-9]* | 0) echo "rounds.sh: ROUNDS must be a whole number of 1 or more, not '$rounds'" >&2; exit 2 ;;
esac
if [ $# -eq 0 ]; then
  echo "usage: ROUNDS=N $0 COMMAND..." >&2
  exit 2
fi
if [ ! -x /usr/bin/time ]; then
  echo "rounds.sh: needs GNU time at /usr/bin/time (apt-get install time)" >&2
  exit 2
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for ((r = 1; r <= rounds; r++)); do
  for ((i = 1; i <= $#; i++)); do
    if ! /usr/bin/time -f "%U %S %e" -o "$dir/t" bash -c "${!i}" > /dev/null 2> "$dir/err"; then
      echo "rounds.sh: command $i failed: ${!i}" >&2
      cat "$dir/err" >&2
      exit 1
    fi
    echo "$i $(tail -n 1 "$dir/t")" >> "$dir/all"
  done
done
printf '%-10s %-10s %-10s %s\n' "CPU-s med" "CPU-s min" "wall med" "command ($rounds rounds)"
for ((i = 1; i <= $#; i++)); do
  awk -v i="$i" '$1 == i { print $2 + $3, $4 }' "$dir/all" | sort -n -k1,1 > "$dir/cpu"
  cpu_med=$(awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }' "$dir/cpu")
  cpu_min=$(head -n 1 "$dir/cpu" | awk '{ print $1 }')
  wall_med=$(sort -n -k2,2 "$dir/cpu" | awk '{ a[NR] = $2 } END { print a[int((NR + 1) / 2)] }')
  printf '%-10s %-10s %-10s %s\n' "$cpu_med" "$cpu_min" "$wall_med" "${!i}"
done
