#!/usr/bin/env bash
# benches/ab.sh: A/B of two logscrub binaries through a pipe, pinned to one core, interleaved.
#
#     bash benches/ab.sh OLD_BIN NEW_BIN [ROUNDS]
#
# For each corpus (CORPUS_DIR, default /tmp/corpus: corpus-64M-d0, corpus-256M-d0.02,
# corpus-64M-d0.5, as made by benches/pipe.sh), ROUNDS times (default 9) runs, in turn,
#     taskset -c 0 bash -c 'cat FILE | cat > /dev/null'       (the pipe)
#     taskset -c 0 bash -c 'cat FILE | OLD_BIN > /dev/null'
#     taskset -c 0 bash -c 'cat FILE | NEW_BIN > /dev/null'
# and prints the median MiB/s (and the range) of each. Interleaving puts the two binaries in
# the same machine state, so their ratio holds even when the shared machine's speed drifts
# from one run of benches/pipe.sh to the next. Outputs are compared once per corpus (the two
# binaries must write the same bytes, or the script says so). Not run in CI.
set -euo pipefail
# shellcheck source=benches/pinned.sh
source "$(dirname "$0")/pinned.sh"
old=${1:?usage: ab.sh OLD_BIN NEW_BIN [ROUNDS]} new=${2:?usage: ab.sh OLD_BIN NEW_BIN [ROUNDS]}
rounds=${3:-9}
dir=${CORPUS_DIR:-/tmp/corpus}
for c in corpus-64M-d0 corpus-256M-d0.02 corpus-64M-d0.5; do
    f=$dir/$c.log
    [ -f "$f" ] || { echo "$f missing: run benches/pipe.sh first" >&2; exit 2; }
    if ! cmp -s <("$old" < "$f") <("$new" < "$f"); then
        echo "$c: the two binaries' outputs differ" >&2
    fi
    mib=$(( $(stat -c %s "$f") / 1048576 ))
    for _ in $(seq "$rounds"); do
        for t in pipe old new; do
            case $t in
                pipe) cmd="cat '$f' | cat > /dev/null" ;;
                old) cmd="cat '$f' | '$old' > /dev/null" ;;
                new) cmd="cat '$f' | '$new' > /dev/null" ;;
            esac
            pinned_run "$c" "$t" "$mib" "$cmd"
        done
    done
done | pinned_table pipe old new
