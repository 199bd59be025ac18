#!/usr/bin/env bash
# benches/floor.sh: the floor under any filter at the end of a pipe, beside logscrub.
#
#     bash benches/floor.sh [LOGSCRUB_BIN] [ROUNDS]
#
# Builds `examples/floor.rs` (a filter that only copies stdin to stdout, optionally finding
# line ends and the literal `eyJ`; see its docs) and, for each corpus (CORPUS_DIR, default
# /tmp/corpus: corpus-64M-d0, corpus-256M-d0.02, corpus-64M-d0.5, as made by benches/pipe.sh),
# ROUNDS times (default 5) runs in turn, each pinned to one core with the whole pipeline:
#     cat FILE | cat > /dev/null                 (the pipe)
#     cat FILE | floor copy|lines|eyj > /dev/null
#     cat FILE | logscrub > /dev/null
# and prints the median MiB/s (and the range) of each and its ratio to the pipe's median.
# Interleaved like benches/ab.sh, so all rows see the same machine state. Not run in CI.
set -euo pipefail
# shellcheck source=benches/pinned.sh
source "$(dirname "$0")/pinned.sh"
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/target/release/logscrub}
rounds=${2:-5}
dir=${CORPUS_DIR:-/tmp/corpus}
(cd "$root" && cargo build --release --quiet --example floor)
floor=${CARGO_TARGET_DIR:-$root/target}/release/examples/floor
for c in corpus-64M-d0 corpus-256M-d0.02 corpus-64M-d0.5; do
    f=$dir/$c.log
    [ -f "$f" ] || { echo "$f missing: run benches/pipe.sh first" >&2; exit 2; }
    mib=$(( $(stat -c %s "$f") / 1048576 ))
    for _ in $(seq "$rounds"); do
        for t in pipe floor-copy floor-lines floor-eyj logscrub; do
            case $t in
                pipe) cmd="cat '$f' | cat > /dev/null" ;;
                floor-*) cmd="cat '$f' | '$floor' ${t#floor-} > /dev/null 2>&1" ;;
                logscrub) cmd="cat '$f' | '$bin' > /dev/null" ;;
            esac
            pinned_run "$c" "$t" "$mib" "$cmd"
        done
    done
done | pinned_table pipe floor-copy floor-lines floor-eyj logscrub
