# benches/pinned.sh: shared by benches/ab.sh and benches/floor.sh (sourced, not run).

# pinned_run CORPUS TOOL MIB CMD: runs CMD (a whole pipeline) pinned to core 0 and prints
# "CORPUS TOOL MiB/s".
pinned_run() {
    local s e
    s=$(date +%s%N)
    taskset -c 0 bash -c "$4"
    e=$(date +%s%N)
    echo "$1 $2 $(( $3 * 1000000000 / (e - s) ))"
}

# pinned_table TOOL...: reads pinned_run lines on stdin and prints, per corpus and for each TOOL
# in that order, the median MiB/s, the range and the ratio to the `pipe` row's median.
pinned_table() {
    python3 -c '
import collections, statistics, sys
d = collections.defaultdict(list)
for line in sys.stdin:
    c, t, v = line.split()
    d[c, t].append(int(v))
print("| corpus | command | median MiB/s | min–max | ratio to pipe |")
print("| --- | --- | ---: | ---: | ---: |")
for c in sorted({c for c, _ in d}):
    pipe = statistics.median(d[c, "pipe"])
    for t in sys.argv[1:]:
        v = d[c, t]
        print(f"| {c} | {t} | {statistics.median(v):.0f} | {min(v)}–{max(v)} | {statistics.median(v) / pipe:.2f} |")
' "$@"
}
