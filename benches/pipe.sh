#!/usr/bin/env bash
# benches/pipe.sh: whole-process throughput benchmark for logscrub, in the spirit of
# ripgrep's benchsuite (warm-up, repeated samples, medians, peak RSS, outputs checked).
#
# Every tool runs as a real process at the end of a pipe, the way logscrub runs in production:
#
#     cat FILE | TOOL > /dev/null
#
# and is compared with the limit of the pipe itself (`cat FILE | cat > /dev/null`) and with
# line-oriented regex rewriters as yardsticks (sed -E, perl -pe, rg --passthru -r), all
# given one equivalent JWT/Bearer regex (see RE below and BENCHMARKS.md).
#
# Usage (from anywhere; paths are resolved from this script's location):
#
#     bash benches/pipe.sh [OPTIONS] > report.md     # the report is Markdown on stdout
#
# Options:
#   --quick          16 MiB corpora and a 64 MiB single-line file: a smoke run of a minute or two
#   --runs N         timed runs per command, after one warm-up (default 5); medians are reported
#   --no-huge        skip the single-huge-line memory test (default: run it, ~1 GiB line)
#   --huge-mib N     size of the single-line file in MiB (default 1024, 64 with --quick)
#   --no-build       do not run `cargo build --release`; use the binary if it exists
#   --no-install     do not apt-get install missing tools (rows for missing tools say so)
#   --tools LIST     comma-separated subset of: pipe,logscrub,logscrub-t1,logscrub-t2,sed,perl,rg
#   --idle-wait S    before each round, wait up to S seconds (default 60; 0: never) for other
#                    processes to leave the CPUs idle (under 15% busy over half a second), at most
#                    IDLE_BUDGET seconds of waiting in all; the busy share seen is recorded
#   --out DIR        where raw samples and a copy of the report go
#                    (default /tmp/logscrub-bench/<date-time>)
#   -h, --help       this text
#
# Environment:
#   LOGSCRUB_BIN     logscrub binary to measure; when set, nothing is built
#   CORPUS_DIR       where corpora are generated (default /tmp/corpus); existing files of the
#                    right size are reused
#   SHARED_DIR       the shared/ folder (default: shared/ beside the project root)
#   IDLE_BUDGET      total seconds --idle-wait may spend waiting in one run (default 300)
#   BENCH_LC_ALL     locale every tool runs under (default C: byte semantics, the fastest
#                    setting for sed/perl, so the yardsticks are at their best)
#
# What it does:
#   1. Generates corpora with ../shared/bench/gen_corpus.py (run from the project root):
#      256 MiB at density 0.02, 64 MiB at density 0, 64 MiB at density 0.5 (16 MiB each with
#      --quick), and checks them against the reference SHA-256 sums when known.
#   2. Installs ripgrep and GNU time from Debian if missing (one `apt-get update`), builds
#      logscrub with `cargo build --release` unless LOGSCRUB_BIN is set. If logscrub cannot be
#      built (yet), the yardsticks still run and the table says "logscrub: not built".
#   3. For each corpus: one warm-up round, then N rounds; in each round every tool runs once
#      pinned to one core (`taskset -c 0 bash -c '<whole pipeline>'`) and once unpinned, in turn
#      (interleaved, so a burst of background load hits all tools alike). Wall time of the
#      whole pipeline is measured; peak RSS of the tool alone comes from `/usr/bin/time -f %M`
#      wrapped around it inside the pipeline (the `cat` yardstick is wrapped the same way).
#      Before each round the script waits (--idle-wait) for other load to pass, and it records
#      how much CPU other processes took during each run (/proc/stat minus its own children).
#   4. Checks every tool's output once: same line count as the input, and no JWT signature left
#      (`grep -cE 'eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{20,}'` must be 0).
#   5. Single huge line: one ~1 GiB JSON-ish line with a few JWTs and bearer tokens in it;
#      time and peak RSS of logscrub (and, for reference, of the yardsticks) on it, once each.
#   6. Prints machine, tool versions, exact commands, a Markdown table and the SHA-256 of each
#      tool's output (sed, perl and rg must agree byte for byte) on stdout; progress on stderr.
#
# Not run in CI. A default run takes 10-15 minutes on a 2-core machine once the corpora exist
# (plus up to IDLE_BUDGET seconds of waiting for a quiet machine).
set -euo pipefail

# ---------------------------------------------------------------------------------------------
# arguments and paths

usage() { sed -n '2,/^set -euo pipefail$/{/^#/{s/^# \{0,1\}//;p}}' "${BASH_SOURCE[0]}"; }

QUICK=0 RUNS=5 HUGE=1 HUGE_MIB="" BUILD=1 INSTALL=1 TOOLS_ARG="" OUT="" IDLE_WAIT=60
while (($#)); do
    case $1 in
        --quick) QUICK=1 ;;
        --runs) RUNS=${2:?--runs needs a number}; shift ;;
        --runs=*) RUNS=${1#*=} ;;
        --no-huge) HUGE=0 ;;
        --huge-mib) HUGE_MIB=${2:?--huge-mib needs a number}; shift ;;
        --huge-mib=*) HUGE_MIB=${1#*=} ;;
        --no-build) BUILD=0 ;;
        --no-install) INSTALL=0 ;;
        --tools) TOOLS_ARG=${2:?--tools needs a list}; shift ;;
        --tools=*) TOOLS_ARG=${1#*=} ;;
        --idle-wait) IDLE_WAIT=${2:?--idle-wait needs seconds}; shift ;;
        --idle-wait=*) IDLE_WAIT=${1#*=} ;;
        --out) OUT=${2:?--out needs a directory}; shift ;;
        --out=*) OUT=${1#*=} ;;
        -h | --help) usage; exit 0 ;;
        *) echo "pipe.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "pipe.sh: --runs must be a positive integer" >&2; exit 2; }
[[ $IDLE_WAIT =~ ^[0-9]+$ ]] || { echo "pipe.sh: --idle-wait must be a whole number of seconds" >&2; exit 2; }
if [[ -z $HUGE_MIB ]]; then
    if ((QUICK)); then HUGE_MIB=64; else HUGE_MIB=1024; fi
fi
[[ $HUGE_MIB =~ ^[1-9][0-9]*$ ]] || { echo "pipe.sh: --huge-mib must be a positive integer" >&2; exit 2; }

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd -- "$SCRIPT_DIR/.." && pwd)
SHARED_DIR=${SHARED_DIR:-$ROOT/../shared}
CORPUS_DIR=${CORPUS_DIR:-/tmp/corpus}
OUT=${OUT:-/tmp/logscrub-bench/$(date +%Y%m%d-%H%M%S)}
MIB=1048576

# All tools, and this script's own arithmetic, run under one fixed locale.
export LC_ALL=${BENCH_LC_ALL:-C}

ALL_TOOLS=(pipe logscrub logscrub-t1 logscrub-t2 sed perl rg)
if [[ -n $TOOLS_ARG ]]; then
    IFS=, read -r -a TOOLS <<<"$TOOLS_ARG"
    for t in "${TOOLS[@]}"; do
        [[ " ${ALL_TOOLS[*]} " == *" $t "* ]] || { echo "pipe.sh: unknown tool: $t" >&2; exit 2; }
    done
else
    TOOLS=("${ALL_TOOLS[@]}")
fi

log() { printf '[pipe.sh %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
# q ARG...: shell-quote argv so it survives `bash -c` and still reads well in the report
q() {
    local a sq="'"
    for a in "$@"; do
        if [[ $a =~ ^[A-Za-z0-9_./=:,+%@-]+$ ]]; then printf '%s ' "$a"
        else printf "'%s' " "${a//$sq/$sq\\$sq$sq}"; fi
    done
}
has_tool() { [[ " ${TOOLS[*]} " == *" $1 "* ]]; }

mkdir -p "$OUT" "$CORPUS_DIR"
WORK=$(mktemp -d /tmp/pipe-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# ---------------------------------------------------------------------------------------------
# tools: install what is missing, build logscrub (step 2 above)

is_gnu_time() { [[ -x /usr/bin/time ]] && /usr/bin/time --version 2>&1 | grep -q GNU; }

need=()
command -v rg >/dev/null || ! has_tool rg || need+=(ripgrep)
is_gnu_time || need+=(time)
command -v taskset >/dev/null || need+=(util-linux)
command -v python3 >/dev/null || need+=(python3)
if ((${#need[@]})); then
    if ((INSTALL)) && [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
        log "installing from Debian: ${need[*]}"
        apt-get update -qq >&2 || log "apt-get update failed"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >&2 ||
            log "apt-get install ${need[*]} failed"
    else
        log "missing: ${need[*]} (not installing: --no-install, not root or no apt-get)"
    fi
fi
is_gnu_time || { echo "pipe.sh: GNU time (/usr/bin/time, Debian package 'time') is required" >&2; exit 1; }
command -v taskset >/dev/null || { echo "pipe.sh: taskset (util-linux) is required" >&2; exit 1; }
command -v python3 >/dev/null || { echo "pipe.sh: python3 is required" >&2; exit 1; }

declare -A MISSING=()  # tool -> why it has no figures
if ! command -v rg >/dev/null; then MISSING[rg]="rg: not installed"; fi

LOGSCRUB_NOTE=""
if [[ -n ${LOGSCRUB_BIN:-} ]]; then
    BIN=$LOGSCRUB_BIN
    LOGSCRUB_NOTE="LOGSCRUB_BIN=$BIN"
else
    BIN=$ROOT/target/release/logscrub
    if ! ((BUILD)); then
        LOGSCRUB_NOTE="existing binary, --no-build"
    elif has_tool logscrub || has_tool logscrub-t1 || has_tool logscrub-t2; then
        if ! command -v cargo >/dev/null; then
            LOGSCRUB_NOTE="cargo not found"
            BIN=""
        else
            log "cargo build --release (in $ROOT)"
            if (cd "$ROOT" && cargo build --release) >"$OUT/cargo-build.log" 2>&1; then
                LOGSCRUB_NOTE="built with cargo build --release"
            else
                log "cargo build --release failed (see $OUT/cargo-build.log)"
                LOGSCRUB_NOTE="cargo build --release failed"
                BIN=""  # never measure a stale binary by accident
            fi
        fi
    fi
fi
if [[ -z $BIN || ! -x $BIN ]]; then
    why="logscrub: not built${LOGSCRUB_NOTE:+ ($LOGSCRUB_NOTE)}"
    for t in logscrub logscrub-t1 logscrub-t2; do MISSING[$t]=$why; done
    log "$why; the yardsticks still run"
fi

# The regexes given to every competitor: a JWS compact token whose third (signature) segment
# is replaced, and a Bearer credential. sed and rg get them as one leftmost-first alternation
# (rg -r takes one pattern; several -e are joined into an alternation anyway); perl gets two
# substitutions, JWT first, because perl runs the alternation up to ~20x slower (no literal
# to anchor on). All three forms give byte-identical output on the corpora; each yardstick is
# measured in its fastest form.
RE_JWT='(eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.)[A-Za-z0-9_-]*'
RE_BEARER='([Bb]earer )[A-Za-z0-9._~+/=-]+'
RE="$RE_BEARER|$RE_JWT"
# What the output check counts: a JWT whose signature survived (REDACTED is too short to match).
SIG_RE='eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{20,}'

declare -A ARGV=()  # tool -> shell-quoted argv, reading stdin and writing stdout
ARGV[pipe]=$(q cat)
ARGV[sed]=$(q sed -E "s#${RE}#\\1\\2REDACTED#g")
ARGV[perl]=$(q perl -pe "s{${RE_JWT}}{\${1}REDACTED}g; s{${RE_BEARER}}{\${1}REDACTED}g")
ARGV[rg]=$(q rg --no-config --passthru -r '${1}${2}REDACTED' -e "$RE")
# rg exits 1 when nothing matched (the density-0 corpus); its --passthru output is still whole.
declare -A OK_RC=([rg]=1)
if [[ -z ${MISSING[logscrub]:-} ]]; then
    ARGV[logscrub]=$(q "$BIN")
    ARGV[logscrub-t1]=$(q "$BIN" --threads 1)
    ARGV[logscrub-t2]=$(q "$BIN" --threads 2)
fi

# ---------------------------------------------------------------------------------------------
# corpora (step 1 above)

if ((QUICK)); then
    SPECS=("16 0.02" "16 0" "16 0.5")
else
    SPECS=("256 0.02" "64 0" "64 0.5")
fi
declare -A REF_SHA=(
    [corpus-256M-d0.02.log]=b0679c318655a38c3ff10dcc77684893a3a1030fae2a83f86e47dcae4563b082
    [corpus-64M-d0.02.log]=5a09dca6a1b609214f5da2ad7a62659ed92e17a71477581418179012f8afeaa2
    [corpus-64M-d0.log]=dd42867e7fa42e2b4e5507bc7cc31b5ba4424248125a7f8b8b6a08494a5d4b90
    [corpus-64M-d0.5.log]=2663625a75b4a4093da44cf6f2ac768ae99503c5b00a060586b85c61d83d991b
)

GEN=$SHARED_DIR/bench/gen_corpus.py
CORPORA=()
declare -A C_BYTES=() C_LINES=() C_SIGS=() C_SHA=()
for spec in "${SPECS[@]}"; do
    read -r size density <<<"$spec"
    name=corpus-${size}M-d${density}.log
    file=$CORPUS_DIR/$name
    limit=$((size * MIB))
    # The generator stops at the last whole line that fits and lines are under 4 KiB,
    # so a complete file is within 4 KiB of the limit.
    have=$(stat -c %s "$file" 2>/dev/null || echo 0)
    if ((have <= limit && have > limit - 4096)); then
        log "reusing $file ($have bytes)"
    else
        [[ -f $GEN ]] || { echo "pipe.sh: corpus generator not found: $GEN (set SHARED_DIR)" >&2; exit 1; }
        log "generating $file (${size} MiB, density $density)"
        if [[ $(cd "$ROOT" && realpath -m ../shared) == "$(realpath -m "$SHARED_DIR")" ]]; then
            (cd "$ROOT" && python3 ../shared/bench/gen_corpus.py "$size" "$file.tmp" --density "$density")
        else
            python3 "$GEN" "$size" "$file.tmp" --density "$density"
        fi
        mv "$file.tmp" "$file"
    fi
    CORPORA+=("$file")
    C_BYTES[$file]=$(stat -c %s "$file")
    C_LINES[$file]=$(wc -l <"$file")
    C_SIGS[$file]=$(grep -cE "$SIG_RE" "$file" || true)
    sha=$(sha256sum "$file" | cut -d' ' -f1)
    if [[ -n ${REF_SHA[$name]:-} ]]; then
        if [[ $sha == "${REF_SHA[$name]}" ]]; then C_SHA[$file]="matches reference"
        else C_SHA[$file]="DIFFERS from reference ${REF_SHA[$name]:0:12}… (other Python?)"; fi
    else
        C_SHA[$file]="no reference sum"
    fi
    log "$name: ${C_BYTES[$file]} bytes, ${C_LINES[$file]} lines, ${C_SIGS[$file]} lines with a JWT signature, sha256 ${sha:0:12}… ${C_SHA[$file]}"
done

# ---------------------------------------------------------------------------------------------
# measuring

RAW=$OUT/raw.tsv
printf 'corpus\tpinning\ttool\trun\tmicros\trss_kb\texit\tbusy_before_run_pct\tother_during_run_pct\ttries\n' >"$RAW"

# cpu_busy_pct: share of all CPUs busy (user, system, steal, ...) over 0.3 s, while this
# script sleeps: that is, what other processes (or the hypervisor) take.
cpu_busy_pct() {
    local -a a b
    read -r -a a </proc/stat
    sleep 0.3
    read -r -a b </proc/stat
    local i total=0 idle
    for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
    idle=$((b[4] + b[5] - a[4] - a[5]))
    ((total > 0)) || total=1
    echo $((100 * (total - idle) / total))
}

# wait_idle: waits (within --idle-wait and IDLE_BUDGET) until other processes leave the CPUs
# idle; sets BUSY to the busy share seen last.
IDLE_BUDGET=${IDLE_BUDGET:-300}
[[ $IDLE_BUDGET =~ ^[0-9]+$ ]] || { echo "pipe.sh: IDLE_BUDGET must be a whole number of seconds" >&2; exit 2; }
wait_idle() {
    local start=$SECONDS waited=0
    BUSY=$(cpu_busy_pct)
    while ((BUSY >= 15 && waited < IDLE_WAIT && IDLE_BUDGET - waited > 0)); do
        ((waited == 0)) && log "  CPUs ${BUSY}% busy with other work; waiting (up to ${IDLE_WAIT}s)"
        sleep 2
        BUSY=$(cpu_busy_pct)
        waited=$((SECONDS - start))
    done
    IDLE_BUDGET=$((IDLE_BUDGET - waited))
    ((IDLE_BUDGET >= 0)) || IDLE_BUDGET=0
    if ((BUSY >= 15 && IDLE_WAIT > 0)); then
        if ((IDLE_BUDGET > 0)); then
            log "  starting anyway with the CPUs ${BUSY}% busy"
        elif ((!BUDGET_SPENT)); then
            log "  idle budget (IDLE_BUDGET) spent: measuring without waiting from now on"
            BUDGET_SPENT=1
        fi
    fi
}
BUDGET_SPENT=0

# busy_ms: CPU time all CPUs have spent busy since boot (from /proc/stat), in milliseconds.
HZ=$(getconf CLK_TCK)
NCPU=$(nproc)
busy_ms() {
    local -a a
    read -r -a a </proc/stat
    echo $(((a[1] + a[2] + a[3] + a[6] + a[7] + a[8]) * 1000 / HZ))
}
# children_ms FILE: CPU time of this shell's finished children, in milliseconds, from the
# output of bash's `times` saved in FILE. (`times` must run in this shell, not in a $(...)
# subshell: a fresh subshell has no finished children of its own.)
children_ms() {
    awk 'NR == 2 { for (i = 1; i <= NF; i++) { split($i, p, "m"); sub("s", "", p[2]); ms += (p[1] * 60 + p[2]) * 1000 } }
        END { printf "%d", ms }' "$1"
}

# run_once PINNING TOOL FILE [OUTPUT]: runs the pipeline once; sets LAST_US (wall time),
# LAST_RSS (peak RSS of the tool, KiB), LAST_RC and LAST_OTHER (share of all CPUs that other
# processes used meanwhile, in percent: busy CPU time minus the pipeline's own).
run_once() {
    local pin=$1 tool=$2 file=$3 dest=${4:-/dev/null} rssf=$WORK/rss t0 t1 b0 b1 c0 c1 cmd
    cmd="set -o pipefail; cat $(q "$file")| /usr/bin/time -f %M -o $(q "$rssf") ${ARGV[$tool]}> $(q "$dest")"
    : >"$rssf"
    LAST_RC=0
    times >"$WORK/times0"
    b0=$(busy_ms)
    t0=$EPOCHREALTIME
    if [[ $pin == pinned ]]; then
        taskset -c 0 bash -c "$cmd" || LAST_RC=$?
    else
        bash -c "$cmd" || LAST_RC=$?
    fi
    t1=$EPOCHREALTIME
    b1=$(busy_ms)
    times >"$WORK/times1"
    c0=$(children_ms "$WORK/times0") c1=$(children_ms "$WORK/times1")
    [[ $LAST_RC != "${OK_RC[$tool]:-0}" ]] || LAST_RC=0
    LAST_US=$((${t1/./} - ${t0/./}))
    LAST_OTHER=$(((b1 - b0 - (c1 - c0)) * 100000 / (LAST_US * NCPU + 1)))
    ((LAST_OTHER >= 0)) || LAST_OTHER=0
    ((LAST_OTHER <= 100)) || LAST_OTHER=100  # /proc/stat counts 10 ms ticks: coarse on short runs
    LAST_RSS=$(tail -n 1 "$rssf" 2>/dev/null)
    [[ $LAST_RSS =~ ^[0-9]+$ ]] || LAST_RSS=0
}

# measure PINNING TOOL FILE [OUTPUT]: run_once on a quiet machine. Waits for idle CPUs first,
# and repeats a run during which other processes took 20% or more of the CPUs (at most 3 tries,
# while the idle budget lasts), so one burst of someone's compiler does not become a sample.
# Sets LAST_TRIES besides what run_once sets.
DISTURBED=0
measure() {
    local try
    for try in 1 2 3; do
        wait_idle
        run_once "$@"
        LAST_TRIES=$try
        ((LAST_RC == 0 && LAST_OTHER >= 20 && try < 3 && IDLE_WAIT > 0 && IDLE_BUDGET > 0)) || break
        DISTURBED=$((DISTURBED + 1))
        log "  $2 ($1): other processes took ${LAST_OTHER}% of the CPUs during the run; running it again"
    done
}

declare -A FAILED=()  # "corpus|pin|tool" -> exit code of a failed run
for file in "${CORPORA[@]}"; do
    cname=$(basename "$file" .log)
    for round in $(seq 0 "$RUNS"); do
        label="run $round/$RUNS"; ((round)) || label="warm-up"
        log "$cname: $label"
        for pin in pinned unpinned; do
            for tool in "${TOOLS[@]}"; do
                [[ -z ${MISSING[$tool]:-} ]] || continue
                key="$cname|$pin|$tool"
                [[ -z ${FAILED[$key]:-} ]] || continue
                if ((round)); then measure "$pin" "$tool" "$file"; else run_once "$pin" "$tool" "$file"; fi
                if ((LAST_RC)); then
                    FAILED[$key]=$LAST_RC
                    log "  $tool failed (exit $LAST_RC); no more runs of it here"
                    continue
                fi
                ((round)) || continue
                printf '%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n' "$cname" "$pin" "$tool" "$round" \
                    "$LAST_US" "$LAST_RSS" "$LAST_RC" "$BUSY" "$LAST_OTHER" "$LAST_TRIES" >>"$RAW"
            done
        done
    done
done

# output checks: each tool once per corpus, unpinned, into a temporary file
declare -A CHECK=() OUT_SHA=()
for file in "${CORPORA[@]}"; do
    cname=$(basename "$file" .log)
    for tool in "${TOOLS[@]}"; do
        [[ -z ${MISSING[$tool]:-} ]] || continue
        log "$cname: checking $tool output"
        outf=$WORK/check.out
        run_once unpinned "$tool" "$file" "$outf"
        if ((LAST_RC)); then
            CHECK[$cname|$tool]="FAIL: exit $LAST_RC"
        else
            lines=$(wc -l <"$outf")
            sigs=$(grep -cE "$SIG_RE" "$outf" || true)
            OUT_SHA[$cname|$tool]=$(sha256sum "$outf" | cut -c1-12)
            if [[ $tool == pipe ]]; then
                CHECK[$cname|$tool]="n/a (pass-through: $sigs sigs)"
            elif [[ $lines != "${C_LINES[$file]}" ]]; then
                CHECK[$cname|$tool]="FAIL: $lines lines, input ${C_LINES[$file]}"
            elif ((sigs != 0)); then
                CHECK[$cname|$tool]="FAIL: $sigs/${C_SIGS[$file]} sigs left"
            else
                CHECK[$cname|$tool]="OK (0/${C_SIGS[$file]} sigs left)"
            fi
        fi
        rm -f "$outf"
    done
done

# ---------------------------------------------------------------------------------------------
# one huge line (step 5 above)

declare -A HUGE_RES=()
HUGE_FILE=$CORPUS_DIR/huge-line-${HUGE_MIB}M.log
HUGE_TOKENS=0
if ((HUGE)); then
    want=$((HUGE_MIB * MIB))
    if [[ $(stat -c %s "$HUGE_FILE" 2>/dev/null || echo 0) != "$want" ]]; then
        log "generating $HUGE_FILE (one line of $HUGE_MIB MiB)"
        python3 - "$HUGE_FILE.tmp" "$want" <<'PY'
import base64, json, random, sys
path, total = sys.argv[1], int(sys.argv[2])
r = random.Random(20240601)
b64u = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
def jwt():
    h = {"alg": "RS256", "typ": "JWT", "kid": "%016x" % r.getrandbits(64)}
    p = {"sub": "user-%d" % r.randrange(10**6), "iss": "https://auth.example.com/", "aud": "api://orders",
         "exp": 1741914000, "iat": 1741910400, "email": "jane.doe@example.com", "name": "Jane Doe"}
    enc = lambda o: b64u(json.dumps(o, separators=(",", ":")).encode())
    return enc(h) + "." + enc(p) + "." + b64u(r.getrandbits(2048).to_bytes(256, "little"))
# JSON-ish filler: words, numbers and punctuation, never a long run of token characters
filler = "".join('{"i":%d,"level":"info","msg":"request completed in %d ms","path":"/api/v1/orders/%d",'
                 '"user":"u_%d","status":200},' % (i, r.randrange(900), r.randrange(10**6), r.randrange(10**5))
                 for i in range(4096)).encode()
head = b'{"note":"one line of %d bytes","events":[' % total
tail = b'{"end":true}]}\n'
n_tok = 8  # tokens spread evenly; half as "authorization":"Bearer <jwt>", half as "id_token":"<jwt>"
tokens = []
for k in range(n_tok):
    t = jwt()
    tokens.append(('{"authorization":"Bearer %s"},' % t if k % 2 == 0 else '{"id_token":"%s"},' % t).encode())
body = total - len(head) - len(tail)
gap = (body - sum(map(len, tokens))) // n_tok
with open(path, "wb") as f:
    f.write(head)
    left = body
    for tok in tokens:
        n = gap
        while n > 0:
            chunk = filler[: min(n, len(filler))]
            f.write(chunk); n -= len(chunk)
        f.write(tok)
        left -= gap + len(tok)
    f.write(b" " * left)  # pad to the exact size (spaces are harmless inside JSON)
    f.write(tail)
PY
        mv "$HUGE_FILE.tmp" "$HUGE_FILE"
    fi
    HUGE_TOKENS=$({ grep -oE "$SIG_RE" "$HUGE_FILE" || true; } | wc -l)
    HUGE_TOOLS=()
    for t in logscrub pipe rg perl sed; do
        has_tool "$t" && [[ -z ${MISSING[$t]:-} ]] && HUGE_TOOLS+=("$t")
    done
    cat "$HUGE_FILE" >/dev/null  # into the page cache
    for tool in "${HUGE_TOOLS[@]}"; do
        log "huge line: $tool"
        outf=$WORK/huge.out
        measure unpinned "$tool" "$HUGE_FILE" "$outf"
        secs=$(awk -v us="$LAST_US" 'BEGIN { printf "%.2f", us / 1e6 }')
        mibs=$(awk -v us="$LAST_US" -v b="$want" 'BEGIN { printf "%.0f", b / 1048576 / (us / 1e6) }')
        rss=$(awk -v k="$LAST_RSS" 'BEGIN { printf "%.1f", k / 1024 }')
        if ((LAST_RC)); then
            check="FAIL: exit $LAST_RC"
        else
            lines=$(wc -l <"$outf")
            sigs=$({ grep -oE "$SIG_RE" "$outf" || true; } | wc -l)
            if [[ $tool == pipe ]]; then check="n/a (pass-through: $sigs sigs)"
            elif ((lines != 1)); then check="FAIL: $lines lines, input 1"
            elif ((sigs)); then check="FAIL: $sigs/$HUGE_TOKENS sigs left"
            else check="OK (0/$HUGE_TOKENS sigs left)"; fi
        fi
        rm -f "$outf"
        HUGE_RES[$tool]="| $tool | $secs | $mibs | $rss | $check |"
        printf 'huge-line-%sM\tunpinned\t%s\t1\t%d\t%d\t%d\t%d\t%d\t%d\n' "$HUGE_MIB" "$tool" "$LAST_US" \
            "$LAST_RSS" "$LAST_RC" "$BUSY" "$LAST_OTHER" "$LAST_TRIES" >>"$RAW"
    done
fi

# ---------------------------------------------------------------------------------------------
# report (step 6 above): stdout, and a copy in $OUT/report.md

tool_version() {
    case $1 in
        sed) sed --version | sed -n 1p ;;
        perl) perl -e 'printf "perl %vd\n", $^V' ;;
        rg) rg --version | sed -n 1p ;;
        logscrub) "$BIN" --version 2>/dev/null | sed -n 1p || echo "(--version failed)" ;;
        cat) cat --version | sed -n 1p ;;
    esac
}

# stats CORPUS PINNING TOOL BYTES -> "median_mibs min_mibs max_mibs max_rss_kb median_other_pct"
stats() {
    awk -F'\t' -v c="$1" -v p="$2" -v t="$3" -v bytes="$4" '
        function median(a, n,   i, j, x) {
            for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { x = a[i]; a[i] = a[j]; a[j] = x }
            return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
        }
        $1 == c && $2 == p && $3 == t { n++; s[n] = bytes / 1048576 / ($5 / 1e6); o[n] = $9; if ($6 > rss) rss = $6 }
        END {
            if (!n) exit
            med = median(s, n)
            printf "%.1f %.1f %.1f %d %d\n", med, s[1], s[n], rss, median(o, n)
        }' "$RAW"
}

report() {
    echo "# logscrub pipe benchmark, $(date -u +'%Y-%m-%d %H:%M UTC')"
    echo
    echo "## Machine"
    echo
    echo "- CPUs (nproc): $(nproc); model: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | sed -n 1p)"
    echo "- kernel: $(uname -srm); memory: $(free -g | awk '/^Mem:/ { print $2 " GiB" }')"
    echo "- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- other CPU load just before each timed run (percent of all CPUs over 0.3 s):" \
        "$(awk -F'\t' 'NR > 1 { n++; v[n] = $8; if ($8 >= 15) hi++ }
            END { if (!n) { print "none recorded"; exit }
                  for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { x = v[i]; v[i] = v[j]; v[j] = x }
                  printf "median %d%%, max %d%%, %d of %d runs started at 15%% or more\n", v[int((n + 1) / 2)], v[n], hi, n }' "$RAW")"
    echo "- other processes' CPU use during the timed runs (percent of all CPUs): $(awk -F'\t' '
            NR > 1 { n++; v[n] = $9; if ($9 >= 10) hi++ }
            END { if (!n) { print "none recorded"; exit }
                  for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { x = v[i]; v[i] = v[j]; v[j] = x }
                  printf "median %d%%, max %d%%, %d of %d runs at 10%% or more\n", v[int((n + 1) / 2)], v[n], hi, n }' "$RAW");" \
        "$DISTURBED runs were repeated because others took 20% or more (--idle-wait $IDLE_WAIT, idle budget left ${IDLE_BUDGET}s)"
    echo "- locale for all tools: LC_ALL=$LC_ALL"
    echo
    echo "## Tool versions"
    echo
    echo "- $(tool_version cat)"
    echo "- $(tool_version sed)"
    echo "- $(tool_version perl)"
    if [[ -z ${MISSING[rg]:-} ]]; then echo "- $(tool_version rg)"; else echo "- ${MISSING[rg]}"; fi
    if [[ -z ${MISSING[logscrub]:-} ]]; then
        echo "- $(tool_version logscrub) ($BIN; $LOGSCRUB_NOTE)"
    else
        echo "- ${MISSING[logscrub]}"
    fi
    echo
    echo "## Commands"
    echo
    echo "Each timed command is \`bash -c 'set -o pipefail; PIPELINE'\` (unpinned) or"
    echo "\`taskset -c 0 bash -c 'set -o pipefail; PIPELINE'\` (pinned: the whole pipeline on core 0),"
    echo "one warm-up and $RUNS timed runs, tools interleaved round by round. PIPELINE is:"
    echo
    echo '```'
    for tool in "${TOOLS[@]}"; do
        [[ -n ${ARGV[$tool]:-} ]] || continue
        printf '%-12s cat FILE | /usr/bin/time -f %%M -o RSS %s> /dev/null\n' "$tool:" "${ARGV[$tool]}"
    done
    echo '```'
    echo
    echo "## Corpora"
    echo
    echo "| corpus | bytes | lines | lines with a JWT signature | sha256 |"
    echo "| --- | ---: | ---: | ---: | --- |"
    for file in "${CORPORA[@]}"; do
        echo "| $(basename "$file" .log) | ${C_BYTES[$file]} | ${C_LINES[$file]} | ${C_SIGS[$file]} | ${C_SHA[$file]} |"
    done
    echo
    echo "## Throughput (median of $RUNS runs)"
    echo
    echo "ratio = median MiB/s of the tool / median MiB/s of \`cat | cat\` on the same corpus and pinning."
    echo "Peak RSS is the largest over the timed runs, of the tool process alone. \"other CPU\" is the"
    echo "median share of all CPUs that other processes used during this row's timed runs (coarse:"
    echo "/proc/stat counts 10 ms ticks); rows well above 0% were measured on a busy machine."
    echo
    echo "| tool | corpus | pinned | median MiB/s | min–max MiB/s | ratio to pipe | peak RSS MiB | output check | other CPU |"
    echo "| --- | --- | --- | ---: | ---: | ---: | ---: | --- | ---: |"
    for file in "${CORPORA[@]}"; do
        cname=$(basename "$file" .log)
        for pin in pinned unpinned; do
            pipe_med=$(stats "$cname" "$pin" pipe "${C_BYTES[$file]}" | cut -d' ' -f1)
            for tool in "${TOOLS[@]}"; do
                yn=yes; [[ $pin == pinned ]] || yn=no
                if [[ -n ${MISSING[$tool]:-} ]]; then
                    # one row per corpus and pinning for a missing logscrub, not three
                    [[ $tool == logscrub-t* && -n ${MISSING[logscrub]:-} ]] && has_tool logscrub && continue
                    echo "| $tool | $cname | $yn | — | — | — | — | ${MISSING[$tool]} | — |"
                    continue
                fi
                if [[ -n ${FAILED[$cname|$pin|$tool]:-} ]]; then
                    echo "| $tool | $cname | $yn | — | — | — | — | FAIL: exit ${FAILED[$cname|$pin|$tool]} | — |"
                    continue
                fi
                med=— lo=— hi=— rss=0 other=—
                read -r med lo hi rss other < <(stats "$cname" "$pin" "$tool" "${C_BYTES[$file]}") || true
                ratio=$(awk -v a="$med" -v b="${pipe_med:-0}" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "—" }')
                rssm=$(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }')
                echo "| $tool | $cname | $yn | $med | $lo–$hi | $ratio | $rssm | ${CHECK[$cname|$tool]:-} | $other% |"
            done
        done
    done
    if ((HUGE)); then
        echo
        echo "## One line of $HUGE_MIB MiB ($(basename "$HUGE_FILE"), $HUGE_TOKENS JWTs, unpinned, one run each)"
        echo
        echo "| tool | seconds | MiB/s | peak RSS MiB | output check |"
        echo "| --- | ---: | ---: | ---: | --- |"
        if [[ -n ${MISSING[logscrub]:-} ]] && has_tool logscrub; then
            echo "| logscrub | — | — | — | ${MISSING[logscrub]} |"
        fi
        for tool in "${HUGE_TOOLS[@]}"; do echo "${HUGE_RES[$tool]}"; done
    fi
    echo
    echo "## Output hashes"
    echo
    echo "First 12 hex digits of the SHA-256 of each tool's output (the checks above): the yardsticks"
    echo "should agree with each other; logscrub redacts more (and differently), so it differs."
    echo
    echo "| corpus | $(for t in "${TOOLS[@]}"; do [[ -n ${MISSING[$t]:-} ]] || printf '%s | ' "$t"; done)"
    echo "| --- | $(for t in "${TOOLS[@]}"; do [[ -n ${MISSING[$t]:-} ]] || printf -- '--- | '; done)"
    for file in "${CORPORA[@]}"; do
        cname=$(basename "$file" .log)
        echo "| $cname | $(for t in "${TOOLS[@]}"; do [[ -n ${MISSING[$t]:-} ]] || printf '%s | ' "${OUT_SHA[$cname|$t]:-—}"; done)"
    done
    echo
    echo "Raw samples (microseconds, RSS in KiB): \`$RAW\`"
}

report | tee "$OUT/report.md"
log "done; report also in $OUT/report.md"
