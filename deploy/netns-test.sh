#!/usr/bin/env bash
# Growda network-namespace federation test.
#
# One network namespace per host: the aggregator (10.77.0.1) and N hospitals (10.77.0.11, .12, …),
# each joined by a veth pair to the bridge gwbr0, which lives in its own namespace (growda-net).
# Nothing is created in the root namespace and no real interface is touched: every packet stays on
# the private bridge. The script provisions a federation, splits the data non-IID among the
# hospitals, starts the aggregator and one growda-node per hospital, and runs these scenarios,
# each checked against `growda status --json`, `growda history --json` and the nodes' state folders:
#   1. steady state     all hospitals train; versions advance; accuracy rises
#   2. late join        4 hospitals start 60 s after the others and catch up through snapshots
#   3. dropout          3 hospitals are killed with kill -9; the federation goes on; they resume
#   4. partition        2 hospitals' links go down for 30 s; their unacknowledged updates count once
#   5. aggregator crash kill -9 of the aggregator and a restart; nothing accepted is lost,
#                       versions never go backwards
#   6. slow link        tc netem 200 ms delay + 1% loss (each direction; tbf 8mbit when the kernel
#                       has no netem, said in the figures) on 3 hospitals; versions
#                       keep coming at least half as fast as in the steady state
#   7. compressed slow  every hospital's uplink shaped to 1 mbit (tbf): two fresh federations race
#      uplinks          from version 0 to the steady state's AUC, one sending F32 updates and one
#                       with wire.codec = topk-int8:0.03; the compressed one must get there sooner
# It ends with a table, removes every namespace and process it made (trap on EXIT/INT/TERM) and is
# bounded in time (--timeout).
#
# Usage: sudo bash deploy/netns-test.sh [--quick] [--data DIR] [--bin DIR] [--keep DIR] [--timeout SEC]
#                                       [--scenarios LIST]
#   --quick        CI size: 4 hospitals, ~300 synthetic images, shorter waits, scenarios 1, 3, 4, 5
#   --data DIR     labelled images DIR/<class>/*.png, or a folder holding train/ (and val/);
#                  default: ../shared/data/pneumoniamnist beside the repository when present
#                  (synthetic chest X-rays otherwise, and always with --quick unless --data is given)
#   --bin DIR      where growda and growda-node are (default: .build/release)
#   --keep DIR     keep the federation, node states and logs in DIR (must be new or empty)
#   --timeout SEC  overall bound (default 1200, quick 300); exceeding it fails the run
#   --scenarios L  run only these of 2-7, comma-separated (1, the steady state, always runs first)
# Exit status: 0 every scenario passed; 1 a scenario failed; 2 usage or setup error (e.g. binaries
# missing: run `swift build -c release`); 77 skipped: not root, no `ip`, or network namespaces
# cannot be created here (CI treats 77 as "not run", and says so).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PATH=$PATH:/usr/sbin:/sbin
QUICK=0 DATA="" BIN="" KEEP="" TIMEOUT="" ONLY=""
usage() { sed -n '/^# Usage:/,/^# cannot be created here/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while (($#)); do
    case $1 in
        --quick) QUICK=1 ;;
        --data) DATA=${2:?--data needs a folder}; shift ;;
        --bin) BIN=${2:?--bin needs a folder}; shift ;;
        --keep) KEEP=${2:?--keep needs a folder}; shift ;;
        --timeout) TIMEOUT=${2:?--timeout needs seconds}; shift ;;
        --scenarios) ONLY=${2:?--scenarios needs a list, e.g. 1,7}; shift ;;
        -h | --help) usage; exit 0 ;;
        *) echo "netns-test: unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done
BIN=${BIN:-$ROOT/.build/release}
BIN=$(cd "$BIN" 2>/dev/null && pwd || echo "$BIN")
if ((QUICK)); then
    HOSPITALS=4 TIMEOUT=${TIMEOUT:-300}
    STEADY=20 ABSENCE=13 PARTITION=15 CRASH_DOWN=4 AFTER_CRASH=8
    DROP=(1 2) PART=(3 4) SLOW=() LATE=() LATE_DELAY=0
    SCENARIOS=(1 3 4 5)
else
    HOSPITALS=12 TIMEOUT=${TIMEOUT:-1500}
    STEADY=30 ABSENCE=15 PARTITION=30 CRASH_DOWN=5 AFTER_CRASH=15 SLOW_WINDOW=30 RACE=150
    DROP=(1 2 3) PART=(4 5) SLOW=(6 7 8) LATE=(9 10 11 12) LATE_DELAY=60
    SCENARIOS=(1 2 3 4 5 6 7)
fi
if [[ -n $ONLY ]]; then
    [[ $ONLY =~ ^[1-7](,[1-7])*$ ]] || { echo "netns-test: --scenarios takes numbers 1-7 joined by commas" >&2; exit 2; }
    IFS=, read -r -a SCENARIOS <<<"1,$ONLY"
    [[ " ${SCENARIOS[*]} " == *" 2 "* ]] || LATE=()
    RACE=${RACE:-90}
fi
[[ $TIMEOUT =~ ^[0-9]+$ ]] || { echo "netns-test: --timeout needs whole seconds" >&2; exit 2; }

skip() { echo "netns-test: SKIPPED: $*" >&2; exit 77; }
die() { echo "netns-test: ERROR: $*" >&2; exit 2; }
say() { printf '[%4ds] %s\n' "$SECONDS" "$*"; }

# ---------------------------------------------------------------- prerequisites
((EUID == 0)) || skip "needs root (network namespaces, veth, tc); run it with sudo"
command -v ip >/dev/null || skip "the 'ip' tool (iproute2) is missing"
command -v jq >/dev/null || die "jq is missing (bash deploy/install-deps.sh installs it)"
for b in growda growda-node; do
    [[ -x $BIN/$b ]] || die "$BIN/$b is missing: run 'swift build -c release' first (or pass --bin DIR)"
done
HAVE_TC=1
command -v tc >/dev/null || HAVE_TC=0
command -v flock >/dev/null || die "flock (util-linux) is missing"
{ exec 9>/run/growda-netns-test.lock; } 2>/dev/null || skip "cannot write /run/growda-netns-test.lock (not really root here?)"
# Runs share the namespace names and addresses, so they take turns (two CI runs on one machine wait).
if ! flock -n 9; then
    echo "netns-test: another run holds /run/growda-netns-test.lock; waiting up to 900 s for it" >&2
    flock -w 900 9 || die "another netns-test run still holds /run/growda-netns-test.lock after 900 s"
fi

NS_NET=growda-net NS_AGG=growda-agg
hname() { printf 'h%02d' "$1"; }
hns() { echo "growda-$(hname "$1")"; }
hip() { echo "10.77.0.$((10 + $1))"; }
ours() { ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^growda-(net|agg|h[0-9]+)$'; }

# Removes this test's namespaces (from this run or a crashed earlier one) and whatever runs in them.
remove_namespaces() {
    local ns p
    for ns in $(ours); do
        for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
    done
    for ns in $(ours); do
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            [[ -z $(ip netns pids "$ns" 2>/dev/null) ]] && break
            sleep 0.2
        done
        ip netns del "$ns" 2>/dev/null
    done
}

# ---------------------------------------------------------------- work folder, cleanup, time bound
if [[ -n $KEEP ]]; then
    mkdir -p "$KEEP" || die "cannot make $KEEP"
    [[ -z $(ls -A "$KEEP") ]] || die "--keep $KEEP must be new or empty"
    WORK=$(cd "$KEEP" && pwd)
else
    WORK=$(mktemp -d /tmp/growda-netns.XXXXXX)
fi
mkdir -p "$WORK/logs" "$WORK/nodes" "$WORK/bundles" "$WORK/json"
AGG_PID="" NAP_PID=""
declare -A NODE_PID=()
CLEANED=0
cleanup() {
    local rc=$?
    ((CLEANED)) && return
    CLEANED=1
    trap '' INT TERM
    [[ -n $NAP_PID ]] && kill "$NAP_PID" 2>/dev/null
    local p
    for p in "${NODE_PID[@]}" $AGG_PID; do kill -9 "$p" 2>/dev/null; done
    wait 2>/dev/null
    remove_namespaces
    local left
    left=$(ours)
    [[ -n $left ]] && echo "netns-test: WARNING: could not remove namespaces: $left" >&2
    if [[ -n $KEEP ]]; then
        echo "netns-test: logs, federation and node states kept in $WORK"
    else
        rm -rf "$WORK"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'echo "netns-test: interrupted" >&2; exit 130' INT
trap 'echo "netns-test: terminated" >&2; exit 143' TERM
DEADLINE=$((SECONDS + TIMEOUT))
check_deadline() {
    if ((SECONDS > DEADLINE)); then
        echo "netns-test: FAIL: overall time bound of ${TIMEOUT}s exceeded" >&2
        exit 124
    fi
}
nap() { check_deadline; sleep "$1" & NAP_PID=$!; wait "$NAP_PID"; NAP_PID=""; check_deadline; }

# ---------------------------------------------------------------- JSON helpers (test only)
# Queries over the JSON that `growda status --json` and `growda history --json` print, and over the
# nodes' state folders (jq and the shell).
q() {
    local cmd=$1
    shift
    case $cmd in
    get) # FILE FILTER: a jq filter over the file; null when absent
        jq -r "($2) // \"null\"" "$1" 2>/dev/null || echo null ;;
    node) # STATUS NAME KEY: a field of one node's row
        jq -r --arg n "$2" --arg k "$3" '([.nodes[]? | select(.name == $n)][0] // {})[$k] // "null"' "$1" 2>/dev/null ||
            echo null ;;
    nodestate) # STATEDIR: next_seq model_version outbox_count outbox_min outbox_max
        local next mv seqs
        read -r next mv < <(jq -r '"\(.next_seq // 1) \(.model_version // -1)"' "$1/node.json" 2>/dev/null || echo "1 -1")
        mapfile -t seqs < <(find "$1/outbox" -maxdepth 1 -name '*.update' -printf '%f\n' 2>/dev/null | sed 's/\..*//' | sort -n)
        if ((${#seqs[@]})); then echo "$next $mv ${#seqs[@]} ${seqs[0]} ${seqs[${#seqs[@]} - 1]}"; else echo "$next $mv 0 0 0"; fi ;;
    exact) # STATUS NAME STATEDIR: exactly-once check of one frozen node
        local next count lo acc settled refused made ok=bad
        read -r next _ count lo _ < <(q nodestate "$3")
        acc=$(q node "$1" "$2" accepted) settled=$(q node "$1" "$2" settled_seq) refused=$(q node "$1" "$2" refused)
        made=$((next - 1))
        if [[ $acc =~ ^[0-9]+$ && $settled =~ ^[0-9]+$ ]] && ((acc == settled && made - count <= acc && acc <= made)) &&
            ((count == 0 || lo > made - count)); then ok=ok; fi
        echo "$ok $2:made=$made,outbox=$count,accepted=$acc,settled=$settled,refused=$refused" ;;
    ledger) # STATUS HISTORY: accepted by nodes == folded into versions + buffered
        local acc folded buf
        acc=$(jq '[.nodes[]?.accepted // 0] | add // 0' "$1") folded=$(jq '[.[].updates_folded // 0] | add // 0' "$2")
        buf=$(jq '.buffer_count // 0' "$1")
        if ((acc == folded + buf)); then echo "ok $acc $folded $buf"; else echo "bad $acc $folded $buf"; fi ;;
    contiguous) # HISTORY: versions 0..last without gaps or repeats
        jq -r '[.[].version] as $v | "\(if $v == [range(0; $v | length)] then "ok" else "bad" end) \($v[-1] // -1) \($v | length)"' "$1" ;;
    accuracy) # HISTORY [UPTO]: first evaluated accuracy/auc, mean of the last 5 up to UPTO
        jq -r --argjson upto "${2:-4611686018427387904}" '
            [.[] | select(.eval_accuracy != null and .version <= $upto)] as $ev
            | if ($ev | length) == 0 then "none 0 0 0 0 0" else
                ($ev[-5:]) as $l | ($ev[0]) as $f
                | ([$l[].eval_accuracy // 0] | add / length) as $acc | ([$l[].eval_auc // 0] | add / length) as $auc
                | "\(if $acc > $f.eval_accuracy then "ok" else "bad" end) \($f.version) \($f.eval_accuracy) \($acc) \($f.eval_auc // 0) \($auc)"
              end' "$1" | awk '{ if (NF == 6 && $1 != "none") printf "%s %s %.3f %.3f %.3f %.3f\n", $1, $2, $3, $4, $5, $6; else print }' ;;
    monotonic) # VERSIONS.TSV: versions seen by status never go down
        awk '{ v[NR] = $2 } END { bad = 0; for (i = 2; i <= NR; i++) if (v[i] < v[i-1]) bad++; print (bad ? "bad" : "ok"), NR, bad }' "$1" ;;
    *) die "q: unknown query $cmd" ;;
    esac
}
# Median tcp connect time to HOST:PORT over COUNT tries, in ms (one round trip), or "?": run inside a
# namespace with `ip netns exec NS bash "$WORK/rtt.sh" HOST PORT COUNT`.
cat >"$WORK/rtt.sh" <<'RTT'
host=$1 port=$2 count=$3 times=()
for ((i = 0; i < count; i++)); do
    t0=$(date +%s%N)
    if timeout 5 bash -c "exec 3<>/dev/tcp/$host/$port" 2>/dev/null; then times+=($((($(date +%s%N) - t0) / 1000000))); fi
done
if ((${#times[@]})); then printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; else echo "?"; fi
RTT

# ---------------------------------------------------------------- topology
say "removing leftovers of earlier runs, if any"
remove_namespaces
say "making namespaces: $NS_NET (bridge gwbr0), $NS_AGG (10.77.0.1), $HOSPITALS hospitals (10.77.0.11…)"
if ! ip netns add "$NS_NET" 2>"$WORK/logs/netns.err"; then
    skip "cannot create network namespaces here: $(cat "$WORK/logs/netns.err")"
fi
set -e
ip -n "$NS_NET" link set lo up
ip -n "$NS_NET" link add gwbr0 type bridge
ip -n "$NS_NET" link set gwbr0 up
add_host() { # NAMESPACE ADDRESS BRIDGE-SIDE-NAME
    ip netns add "$1"
    ip -n "$1" link set lo up
    ip -n "$NS_NET" link add "$3" type veth peer name eth0 netns "$1"
    ip -n "$NS_NET" link set "$3" master gwbr0 up
    ip -n "$1" addr add "$2/24" dev eth0
    ip -n "$1" link set eth0 up
}
add_host "$NS_AGG" 10.77.0.1 gw-agg
for i in $(seq 1 "$HOSPITALS"); do add_host "$(hns "$i")" "$(hip "$i")" "gw-$(hname "$i")"; done
set +e

# ---------------------------------------------------------------- data
G=$BIN/growda
if [[ -z $DATA && $QUICK == 0 && -d $ROOT/../shared/data/pneumoniamnist ]]; then
    DATA=$(cd "$ROOT/../shared/data/pneumoniamnist" && pwd)
fi
if [[ -n $DATA ]]; then
    [[ -d $DATA ]] || die "--data $DATA is not a folder"
    if [[ -d $DATA/train ]]; then TRAIN=$DATA/train; else TRAIN=$DATA; fi
    if [[ -d $DATA/val ]]; then
        EVAL=$DATA/val
    else
        say "no val/ beside the data: holding out 10% for the aggregator's evaluation"
        "$G" data holdout --from "$TRAIN" --out "$WORK/holdout" --fraction 0.1 >"$WORK/logs/holdout.log" 2>&1 ||
            die "growda data holdout failed: $(tail -3 "$WORK/logs/holdout.log")"
        TRAIN=$WORK/holdout/train EVAL=$WORK/holdout/holdout
    fi
    DATA_DESC="$TRAIN"
else
    PER_CLASS=$((QUICK ? 100 : 400))
    "$G" data synth --out "$WORK/synth-train" --per-class "$PER_CLASS" --seed 1 >"$WORK/logs/synth.log" 2>&1 &&
        "$G" data synth --out "$WORK/synth-val" --per-class 50 --seed 2 >>"$WORK/logs/synth.log" 2>&1 ||
        die "growda data synth failed: $(tail -3 "$WORK/logs/synth.log")"
    TRAIN=$WORK/synth-train EVAL=$WORK/synth-val DATA_DESC="synthetic, $((3 * PER_CLASS)) images"
fi
CLASSES=$(find "$TRAIN" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | LC_ALL=C sort | paste -sd, -)
[[ $CLASSES == *,* ]] || die "$TRAIN needs two or more class folders"
"$G" data split --from "$TRAIN" --out "$WORK/hospitals" --hospitals "$HOSPITALS" --alpha 0.5 --seed 1 --json \
    >"$WORK/json/split.json" 2>"$WORK/logs/split.log" || die "growda data split failed: $(tail -3 "$WORK/logs/split.log")"
SIZES=$(for i in $(seq 1 "$HOSPITALS"); do find "$WORK/hospitals/hospital-$(printf %02d "$i")" -name '*.png' | wc -l; done | paste -sd/ -)
say "data: $DATA_DESC; classes $CLASSES; non-IID split (alpha 0.5): $SIZES; evaluation on $EVAL"

# ---------------------------------------------------------------- federation
FED=$WORK/federation
"$G" federation init --dir "$FED" --endpoint-host 10.77.0.1 --bind-host 0.0.0.0 >"$WORK/logs/init.log" 2>&1 ||
    die "growda federation init failed: $(tail -3 "$WORK/logs/init.log")"
setconf() { # KEY VALUE: replace the key's line, or append it
    if grep -q "^$1 *=" "$FED/federation.conf"; then
        sed -i "s|^$1 *=.*|$1 = $2|" "$FED/federation.conf"
    else
        echo "$1 = $2" >>"$FED/federation.conf"
    fi
}
setconf bind.host 0.0.0.0
setconf model.name small28
setconf model.classes "$CLASSES"
setconf mode async
setconf fedbuff.k 4
# High on purpose: a stale refusal would also settle an update, hiding a loss or a double count.
setconf fedbuff.max_staleness 1000
setconf liveness.lost_after_seconds 10
setconf eval.dir "$EVAL"
"$G" serve --config "$FED/federation.conf" --check-config >"$WORK/logs/check-config.log" 2>&1 ||
    die "federation.conf does not check: $(cat "$WORK/logs/check-config.log")"
for i in $(seq 1 "$HOSPITALS"); do
    "$G" node add "$(hname "$i")" --federation "$FED" --out "$WORK/bundles/$(hname "$i").bundle" >>"$WORK/logs/init.log" 2>&1 ||
        die "growda node add $(hname "$i") failed"
done

# ---------------------------------------------------------------- processes and observations
start_aggregator() {
    ip netns exec "$NS_AGG" "$G" serve --config "$FED/federation.conf" --log-level notice >>"$WORK/logs/aggregator.log" 2>&1 &
    AGG_PID=$!
}
start_node() {
    local i=$1 n
    n=$(hname "$i")
    ip netns exec "$(hns "$i")" "$BIN/growda-node" run --bundle "$WORK/bundles/$n.bundle" \
        --data "$WORK/hospitals/hospital-$(printf %02d "$i")" --state "$WORK/nodes/$n" \
        --heartbeat 1 --resend-after 5 --seed "$i" --log-level notice >>"$WORK/logs/$n.log" 2>&1 &
    NODE_PID[$i]=$!
}
kill9() { { kill -9 "$1" && wait "$1"; } 2>/dev/null; }
# status OUT: the aggregator's status into OUT (retried); every version seen goes to versions.tsv.
status() {
    local t
    for t in 1 2 3; do
        if ip netns exec "$NS_AGG" "$G" status --federation "$FED" --json --timeout 4 >"$1.tmp" 2>>"$WORK/logs/status.err"; then
            mv "$1.tmp" "$1"
            echo "$SECONDS $(q get "$1" '.version')" >>"$WORK/versions.tsv"
            return 0
        fi
        check_deadline
    done
    return 1
}
history() { "$G" history --federation "$FED" --json >"$1" 2>>"$WORK/logs/history.err"; }
S=$WORK/json/status.json
version_now() { status "$S" && q get "$S" '.version'; }
accepted_of() { q node "$S" "$(hname "$1")" accepted; }
# wait_until SECONDS COMMAND…: polls COMMAND every second until it succeeds; fails after SECONDS.
wait_until() {
    local limit=$((SECONDS + $1))
    shift
    until "$@"; do
        ((SECONDS >= limit)) && return 1
        nap 1
    done
}
# exact_once N…: freezes the given hospitals (SIGSTOP), lets the aggregator drain its queue, then checks
# for each that the updates it made (next_seq-1), its outbox and the aggregator's accepted count and
# settled sequence agree: accepted == settled_seq, and every update not in the outbox is counted once.
EXACT_FIG="" LEDGER=0 LEDGER_FIG=""
exact_once() {
    local i ok=0 line
    for i in "$@"; do kill -STOP "${NODE_PID[$i]}" 2>/dev/null; done
    nap 1.5
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        status "$S" && [[ $(q get "$S" '.queue_waiting') == 0 ]] && break
        nap 0.5
    done
    nap 0.5
    status "$S"
    EXACT_FIG=""
    for i in "$@"; do
        line=$(q exact "$S" "$(hname "$i")" "$WORK/nodes/$(hname "$i")")
        [[ $line == ok* ]] || ok=1
        EXACT_FIG+="${line#* } "
    done
    echo "$EXACT_FIG" >>"$WORK/logs/exact.log"
    if ((LEDGER)); then
        history "$WORK/json/history-ledger.json"
        LEDGER_FIG=$(q ledger "$S" "$WORK/json/history-ledger.json")
    fi
    for i in "$@"; do kill -CONT "${NODE_PID[$i]}" 2>/dev/null; done
    return $ok
}

declare -A RESULT=() FIG=()
NAMES=([1]="steady state" [2]="late join" [3]="dropout" [4]="partition" [5]="aggregator crash" [6]="slow link"
    [7]="compressed uplinks")
record() { # N PASS|FAIL|SKIP FIGURES
    RESULT[$1]=$2 FIG[$1]=$(sed 's/ *$//; s/  */ /g' <<<"$3")
    printf '%-4s  %d. %-17s %s\n' "$2" "$1" "${NAMES[$1]}" "${FIG[$1]}"
}
ms() { awk "BEGIN { printf \"%.2f\", $1 }"; }

# ---------------------------------------------------------------- run
say "starting the aggregator and $((HOSPITALS - ${#LATE[@]})) hospitals"
start_aggregator
wait_until 20 status "$S" || die "the aggregator does not answer: $(tail -5 "$WORK/logs/aggregator.log")"
[[ $(ip netns exec "$(hns 1)" bash "$WORK/rtt.sh" 10.77.0.1 7703 1) != "?" ]] ||
    die "the bridge does not carry traffic: $(hns 1) cannot reach 10.77.0.1:7703"
T0=$SECONDS
for i in $(seq 1 "$HOSPITALS"); do
    [[ " ${LATE[*]} " == *" $i "* ]] || start_node "$i"
done

# 2. late join (full run): the others train for LATE_DELAY seconds first.
if ((${#LATE[@]})); then
    ((LATE_DELAY > SECONDS - T0)) && nap $((LATE_DELAY - (SECONDS - T0)))
    VJOIN=$(version_now)
    say "starting late hospitals ${LATE[*]} at version $VJOIN"
    for i in "${LATE[@]}"; do start_node "$i"; done
    TJ=$SECONDS
    declare -A FIRSTV=()
    while ((SECONDS - TJ < 30)); do
        for i in "${LATE[@]}"; do
            [[ -n ${FIRSTV[$i]:-} ]] && continue
            read -r _ mv _ _ _ < <(q nodestate "$WORK/nodes/$(hname "$i")")
            ((mv >= 0)) && FIRSTV[$i]=$mv
        done
        ((${#FIRSTV[@]} == ${#LATE[@]})) && break
        nap 0.2
    done
    late_ok() { status "$S" || return 1; local i; for i in "${LATE[@]}"; do (($(accepted_of "$i") > 0)) || return 1; done; }
    wait_until 60 late_ok
    CATCH=$((SECONDS - TJ))
    ok=PASS fv=""
    for i in "${LATE[@]}"; do
        f=${FIRSTV[$i]:--1} a=$(accepted_of "$i")
        fv+="$(hname "$i"):v$f/acc$a "
        ((f > 0 && f >= VJOIN && a > 0)) || ok=FAIL
    done
    record 2 $ok "joined at v$VJOIN; first model version/accepted: ${fv% }; all counted within ${CATCH}s"
fi

# 1. steady state: every hospital trains, versions advance, accuracy rises.
wait_until 30 status "$S"
V1A=$(q get "$S" '.version') T1A=$SECONDS
nap "$STEADY"
status "$S"
V1B=$(q get "$S" '.version') T1B=$SECONDS
RATE1=$(ms "($V1B - $V1A) / ($T1B - $T1A)")
zero=""
for i in $(seq 1 "$HOSPITALS"); do (($(accepted_of "$i") > 0)) || zero+="$(hname "$i") "; done
history "$WORK/json/history-1.json"
read -r acc_ok fver facc lacc fauc lauc < <(q accuracy "$WORK/json/history-1.json" "$V1B")
ok=PASS
[[ -z $zero && $V1B -gt $V1A && $acc_ok == ok ]] || ok=FAIL
record 1 $ok "v$V1A->v$V1B in $((T1B - T1A))s (${RATE1} versions/s); ${HOSPITALS}/${HOSPITALS} hospitals accepted${zero:+ except $zero}; accuracy v$fver $facc -> $lacc (last 5), AUC $fauc -> $lauc"

# 3. dropout: kill -9 of DROP, the rest goes on, they come back and resume.
if [[ " ${SCENARIOS[*]} " == *" 3 "* ]]; then
    status "$S"
    declare -A ACC3=() SEQ3=()
    for i in "${DROP[@]}"; do ACC3[$i]=$(accepted_of "$i"); done
    V3A=$(q get "$S" '.version')
    say "kill -9 of hospitals ${DROP[*]} for ${ABSENCE}s"
    for i in "${DROP[@]}"; do kill9 "${NODE_PID[$i]}"; done
    for i in "${DROP[@]}"; do read -r n _ _ _ _ < <(q nodestate "$WORK/nodes/$(hname "$i")"); SEQ3[$i]=$((n - 1)); done
    nap "$ABSENCE"
    status "$S"
    V3B=$(q get "$S" '.version')
    lost=0
    for i in "${DROP[@]}"; do [[ $(q node "$S" "$(hname "$i")" state) == lost ]] && lost=$((lost + 1)); done
    for i in "${DROP[@]}"; do start_node "$i"; done
    TR=$SECONDS
    resumed() { status "$S" || return 1; local i; for i in "${DROP[@]}"; do (($(accepted_of "$i") >= ${ACC3[$i]} + 2 && $(q node "$S" "$(hname "$i")" settled_seq) > ${SEQ3[$i]})) || return 1; done; }
    wait_until 60 resumed
    rs=$?
    TRES=$((SECONDS - TR))
    exact_once "${DROP[@]}"
    ex=$?
    ok=PASS
    ((V3B > V3A && lost == ${#DROP[@]} && rs == 0 && ex == 0)) || ok=FAIL
    record 3 $ok "v$V3A->v$V3B while ${#DROP[@]} down ${ABSENCE}s; $lost/${#DROP[@]} seen lost; resumed (+2 accepted each, seq continued) in ${TRES}s; exactly once: ${EXACT_FIG% }"
fi

# 4. partition: the bridge side of PART's links goes down for PARTITION seconds.
if [[ " ${SCENARIOS[*]} " == *" 4 "* ]]; then
    status "$S"
    declare -A ACC4=() REF4=()
    for i in "${PART[@]}"; do ACC4[$i]=$(accepted_of "$i") REF4[$i]=$(q node "$S" "$(hname "$i")" refused); done
    say "link down for hospitals ${PART[*]} for ${PARTITION}s"
    for i in "${PART[@]}"; do ip -n "$NS_NET" link set "gw-$(hname "$i")" down; done
    nap "$PARTITION"
    status "$S"
    lost=0 during=""
    for i in "${PART[@]}"; do
        [[ $(q node "$S" "$(hname "$i")" state) == lost ]] && lost=$((lost + 1))
    done
    declare -A SEND4=()
    for i in "${PART[@]}"; do
        read -r n _ _ _ _ < <(q nodestate "$WORK/nodes/$(hname "$i")")
        SEND4[$i]=$((n - 1))
        during+="$(hname "$i"):seq${SEND4[$i]} "
    done
    for i in "${PART[@]}"; do ip -n "$NS_NET" link set "gw-$(hname "$i")" up; done
    TU=$SECONDS
    delivered() {
        status "$S" || return 1
        local i n c lo
        for i in "${PART[@]}"; do
            (($(q node "$S" "$(hname "$i")" settled_seq) >= ${SEND4[$i]})) || return 1
            read -r n _ c lo _ < <(q nodestate "$WORK/nodes/$(hname "$i")")
            ((c == 0 || lo > ${SEND4[$i]})) || return 1
        done
    }
    wait_until 120 delivered
    rs=$?
    TREC=$((SECONDS - TU))
    exact_once "${PART[@]}"
    ex=$?
    status "$S"
    dup=0
    for i in "${PART[@]}"; do dup=$((dup + $(q node "$S" "$(hname "$i")" refused) - ${REF4[$i]})); done
    stale=$(q get "$S" '.refused.stale // 0')
    ok=PASS
    ((rs == 0 && ex == 0 && stale == 0)) || ok=FAIL
    record 4 $ok "${#PART[@]} cut ${PARTITION}s ($lost/${#PART[@]} seen lost; held ${during% }); delivered ${TREC}s after link up; resends refused as duplicates: $dup; stale: $stale; exactly once: ${EXACT_FIG% }"
fi

# 5. aggregator crash: kill -9, restart; versions never go back, nothing accepted is lost.
if [[ " ${SCENARIOS[*]} " == *" 5 "* ]]; then
    status "$S"
    cp "$S" "$WORK/json/status-before-crash.json"
    V5A=$(q get "$S" '.version')
    say "kill -9 of the aggregator at v$V5A (down ${CRASH_DOWN}s)"
    kill9 "$AGG_PID"
    TK=$SECONDS
    nap "$CRASH_DOWN"
    start_aggregator
    wait_until 30 status "$S"
    V5R=$(q get "$S" '.version') TBACK=$((SECONDS - TK))
    nap "$AFTER_CRASH"
    status "$S"
    V5B=$(q get "$S" '.version')
    fewer=""
    for i in $(seq 1 "$HOSPITALS"); do
        b=$(q node "$WORK/json/status-before-crash.json" "$(hname "$i")" accepted)
        (($(accepted_of "$i") >= b)) || fewer+="$(hname "$i") "
    done
    # With every hospital frozen: exactly once per node, and the ledger (accepted == folded into
    # versions + waiting in the buffer).
    mapfile -t ALL < <(seq 1 "$HOSPITALS")
    LEDGER=1
    exact_once "${ALL[@]}"
    ex=$?
    LEDGER=0
    X5=$EXACT_FIG
    read -r led acc folded buf <<<"$LEDGER_FIG"
    read -r cont hlast hcount < <(q contiguous "$WORK/json/history-ledger.json")
    read -r mono nobs _ < <(q monotonic "$WORK/versions.tsv")
    ok=PASS
    ((V5R >= V5A && V5B > V5R && hlast >= V5A)) && [[ -z $fewer && $cont == ok && $mono == ok && $led == ok && $ex == 0 ]] || ok=FAIL
    record 5 $ok "v$V5A at kill, v$V5R on restart (answering ${TBACK}s after kill), v$V5B ${AFTER_CRASH}s later; history 0..$hlast contiguous=$cont; versions seen monotonic=$mono ($nobs polls); accepted $acc = folded $folded + buffered $buf ($led); per-node accepted never fell${fewer:+ except $fewer}; exactly once for all $HOSPITALS: $([[ $ex == 0 ]] && echo yes || echo "no: $X5")"
fi

# 6. slow link: netem on both ends of SLOW's links (tbf rate shaping when the kernel has no netem).
if [[ " ${SCENARIOS[*]} " == *" 6 "* ]]; then
    if ((!HAVE_TC)); then
        record 6 SKIP "tc is missing (install iproute2)"
    else
        # Probe on growda-net's loopback: some kernels (e.g. minimal VM kernels) lack sch_netem.
        if ip netns exec "$NS_NET" tc qdisc add dev lo root netem delay 1ms 2>/dev/null; then
            ip netns exec "$NS_NET" tc qdisc del dev lo root 2>/dev/null
            SHAPE=(netem delay 200ms loss 1%) SHAPE_DESC="netem 200ms delay + 1% loss each direction"
        else
            SHAPE=(tbf rate 8mbit burst 64kbit latency 400ms)
            SHAPE_DESC="NO NETEM in this kernel (sch_netem): tbf 8mbit each direction instead, no added delay or loss"
            echo "netns-test: WARNING: tc netem is unavailable in this kernel; scenario 6 shapes the links with tbf 8mbit instead" >&2
        fi
        say "tc ${SHAPE[*]} on hospitals ${SLOW[*]} for ${SLOW_WINDOW}s"
        shape_ok=1
        for i in "${SLOW[@]}"; do
            ip netns exec "$(hns "$i")" tc qdisc add dev eth0 root "${SHAPE[@]}" || shape_ok=0
            ip netns exec "$NS_NET" tc qdisc add dev "gw-$(hname "$i")" root "${SHAPE[@]}" || shape_ok=0
        done
        rtt=$(ip netns exec "$(hns "${SLOW[0]}")" bash "$WORK/rtt.sh" 10.77.0.1 7703 5)
        status "$S"
        declare -A ACC6=()
        for i in $(seq 1 "$HOSPITALS"); do ACC6[$i]=$(accepted_of "$i"); done
        V6A=$(q get "$S" '.version') T6A=$SECONDS
        nap "$SLOW_WINDOW"
        status "$S"
        V6B=$(q get "$S" '.version') T6B=$SECONDS
        slowacc="" others=0 nothers=0
        for i in $(seq 1 "$HOSPITALS"); do
            d=$(($(accepted_of "$i") - ${ACC6[$i]}))
            if [[ " ${SLOW[*]} " == *" $i "* ]]; then slowacc+="$(hname "$i"):+$d "; else others=$((others + d)) nothers=$((nothers + 1)); fi
        done
        for i in "${SLOW[@]}"; do
            ip netns exec "$(hns "$i")" tc qdisc del dev eth0 root 2>/dev/null
            ip netns exec "$NS_NET" tc qdisc del dev "gw-$(hname "$i")" root 2>/dev/null
        done
        RATE6=$(ms "($V6B - $V6A) / ($T6B - $T6A)")
        ok=PASS
        ((shape_ok && V6B > V6A)) && awk -v a="$RATE6" -v b="$RATE1" 'BEGIN { exit !(a >= 0.5 * b) }' || ok=FAIL
        record 6 $ok "$SHAPE_DESC; tcp connect RTT ${rtt:-?}ms; v$V6A->v$V6B in $((T6B - T6A))s (${RATE6} versions/s vs steady ${RATE1}, need >= half); accepted in the window: slowed ${slowacc% }, others $(ms "$others / ($nothers > 0 ? $nothers : 1)") each"
    fi
fi

# 7. compressed slow uplinks: every hospital's uplink (its eth0 egress, towards the aggregator) shaped to
# 1 mbit; two fresh federations (new aggregator state and node states, same keys, data and seeds) race
# from version 0 to the steady state's AUC: F32 updates against wire.codec = topk-int8:0.03.
if [[ " ${SCENARIOS[*]} " == *" 7 "* ]]; then
    if ((!HAVE_TC)); then
        record 7 SKIP "tc is missing (install iproute2)"
    else
        TARGET7=$(awk -v a="$lauc" 'BEGIN { t = a - 0.02; if (t < 0.6) t = 0.6; printf "%.3f", t }')
        for i in $(seq 1 "$HOSPITALS"); do kill -TERM "${NODE_PID[$i]}" 2>/dev/null; done
        kill -TERM "$AGG_PID" 2>/dev/null
        wait 2>/dev/null
        for i in $(seq 1 "$HOSPITALS"); do ip netns exec "$(hns "$i")" tc qdisc del dev eth0 root 2>/dev/null; done
        shape7=1
        for i in $(seq 1 "$HOSPITALS"); do
            ip netns exec "$(hns "$i")" tc qdisc add dev eth0 root tbf rate 1mbit burst 32kbit latency 2s || shape7=0
        done
        # race CODEC: seconds from the start until a version's evaluation AUC reaches TARGET7 (or "-"),
        # with the versions made and the hospitals' upload figures.
        race() {
            local codec=$1 t0 got="-" v=0 up=0 n
            setconf wire.codec "$codec"
            setconf state.dir "$WORK/race-$codec/state"
            mkdir -p "$WORK/race-$codec/nodes"
            start_aggregator
            wait_until 20 status "$S" || { echo "- 0 0 0"; return; }
            for i in $(seq 1 "$HOSPITALS"); do
                n=$(hname "$i")
                ip netns exec "$(hns "$i")" "$BIN/growda-node" run --bundle "$WORK/bundles/$n.bundle" \
                    --data "$WORK/hospitals/hospital-$(printf %02d "$i")" --state "$WORK/race-$codec/nodes/$n" \
                    --heartbeat 1 --seed "$i" --log-level notice >>"$WORK/logs/race-$codec-$n.log" 2>&1 &
                NODE_PID[$i]=$!
            done
            t0=$SECONDS
            while ((SECONDS - t0 < RACE)); do
                nap 2
                "$G" history --federation "$FED" --json >"$WORK/json/race-$codec.json" 2>>"$WORK/logs/history.err" || continue
                got=$(jq -r --argjson t "$TARGET7" '[.[] | select((.eval_auc // 0) >= $t)][0].version // empty' \
                    "$WORK/json/race-$codec.json")
                if [[ -n $got ]]; then got=$((SECONDS - t0)); break; fi
                got="-"
            done
            status "$S"
            v=$(q get "$S" '.version')
            up=$(jq '[.nodes[]?.update_bytes // 0] | add // 0' "$S")
            local ups=$(jq '[.nodes[]?.updates_received // 0] | add // 0' "$S")
            for i in $(seq 1 "$HOSPITALS"); do kill -TERM "${NODE_PID[$i]}" 2>/dev/null; done
            kill -TERM "$AGG_PID" 2>/dev/null
            wait 2>/dev/null
            echo "$got $v $up $ups"
        }
        say "7: uplinks at 1 mbit; racing to AUC $TARGET7: F32 updates, then topk-int8:0.03 (at most ${RACE}s each)"
        read -r T7N V7N UP7N N7N < <(race none)
        read -r T7C V7C UP7C N7C < <(race topk-int8:0.03)
        for i in $(seq 1 "$HOSPITALS"); do ip netns exec "$(hns "$i")" tc qdisc del dev eth0 root 2>/dev/null; done
        per() { awk -v b="$1" -v n="$2" 'BEGIN { if (n > 0) printf "%.0f KiB", b / n / 1024; else printf "-" }'; }
        ok=PASS
        if ! ((shape7)) || [[ $T7C == - ]]; then
            ok=FAIL
        elif [[ $T7N != - ]] && ((T7C >= T7N)); then
            ok=FAIL
        fi
        record 7 $ok "uplinks tbf 1mbit; to AUC $TARGET7: F32 ${T7N}s (v$V7N, $(per "$UP7N" "$N7N") per update), topk-int8:0.03 ${T7C}s (v$V7C, $(per "$UP7C" "$N7C") per update)$([[ $T7N == - ]] && echo "; F32 did not get there in ${RACE}s")"
    fi
fi

# ---------------------------------------------------------------- table
echo
echo "Growda netns test: $HOSPITALS hospitals, $DATA_DESC, $((SECONDS - T0))s of federation"
printf '%-4s | %-20s | %s\n' "" "scenario" "figures"
printf '%s\n' "-----+----------------------+--------------------------------------------------------------"
rc=0
for n in 1 2 3 4 5 6 7; do
    if [[ -z ${RESULT[$n]:-} ]]; then
        printf '%-4s | %-20s | %s\n' "-" "$n. ${NAMES[$n]}" "not run$( ((QUICK)) && echo ' (--quick)')"
        continue
    fi
    printf '%-4s | %-20s | %s\n' "${RESULT[$n]}" "$n. ${NAMES[$n]}" "${FIG[$n]}"
    [[ ${RESULT[$n]} == FAIL ]] && rc=1
done
echo
if ((rc)); then echo "netns-test: FAILED"; else echo "netns-test: all scenarios run passed"; fi
exit $rc
