#!/usr/bin/env bash
# Instructions per tick of each scenario of benches/ticks.rs, counted by
# callgrind: a stable second opinion beside criterion's times (a count does
# not move with the machine's load). Needs valgrind.
#
#   benches/callgrind.sh            # every scenario
#   benches/callgrind.sh barge ramp # some
#   benches/callgrind.sh resample/8k_16k/i16 resample/48k_8k/f32
#                                   # one 10 ms conversion (see ticks.rs)
#
# Each scenario runs 1,000 and 2,000 ticks; the difference over 1,000 is the
# count per tick, with what is paid once (the first calls through the
# kernel's run-time dispatch) taken out.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p barge-benches --bin ticks
exe=target/release/ticks
scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(two_party monitor whisper whisper_signals barge four ramp mode_change pbx mixed one_rate)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
total() {
    valgrind --tool=callgrind --callgrind-out-file="$out/cg" \
        --toggle-collect='ticks::measured*' "$exe" "$1" "$2" >/dev/null 2>"$out/log"
    callgrind_annotate "$out/cg" | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }'
}
printf '%-12s %s\n' scenario instructions/tick
for s in "${scenarios[@]}"; do
    a=$(total "$s" 1000)
    b=$(total "$s" 2000)
    printf '%-12s %s\n' "$s" $(( (b - a) / 1000 ))
done
