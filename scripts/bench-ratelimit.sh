#!/usr/bin/env bash
# First loads of many replicators at Exact's pace: N organisations with one
# contacts replicator each, each its own app and division, CONTACTS contacts
# per division, the simulator at its default limits (60 calls a minute and
# 5000 a day per app and division), SQLite, "roger serve" with ROGER_WORKERS
# (default 4). Every replicator is authorized, then all callbacks arrive at
# once; the script prints when each replicator's first load finished,
# counted from then, and the CPU other processes used meanwhile. Exact's
# minutely window resets on the whole minute, so how much of the first
# window is left decides much of the result: the callbacks are sent at
# second ROGER_BENCH_SECOND (default 5) of a minute; "now" sends them at
# once.
# Usage: scripts/bench-ratelimit.sh [REPLICATORS] [CONTACTS]
set -euo pipefail
n=${1:-10}
contacts=${2:-80000}
workers=${ROGER_WORKERS:-4}
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
go build -o "$work/roger" ./cmd/roger

sim=127.0.0.1:18190
export ROGER_DATA_DIR="$work/data" ROGER_ADDR=127.0.0.1:18180 ROGER_WORKERS=$workers
divisions=$(seq -s, 100001 $((100000 + n)))
apps=()
for i in $(seq 1 "$n"); do
  apps+=(--app "$(printf '6f2d8a6e-1c0b-4c39-9a55-%012d' "$i"):secret$i:http://$ROGER_ADDR/oauth/exact/$i/callback")
done
# The simulator's --records splits a fifth into accounts.
records=$((contacts * 5 / 4))
echo "generating $contacts contacts in each of $n divisions…"
"$work/roger" exactsim --addr $sim --records $records --user "bench:bench:$divisions" "${apps[@]}" >"$work/sim.log" 2>&1 &
sim_pid=$!
for _ in $(seq 1 900); do grep -q listening "$work/sim.log" && break; sleep 1; done
grep -q listening "$work/sim.log" || { echo "the simulator did not start:"; cat "$work/sim.log"; exit 1; }
"$work/roger" migrate >/dev/null
for i in $(seq 1 "$n"); do
  "$work/roger" user add --email "admin$i@bench.example" --org "org$i" --create-org >/dev/null
  printf 'secret%s' "$i" >"$work/secret$i"
  "$work/roger" replicator add --org "org$i" --name "bench $i" --entity contacts --exact-url "http://$sim" \
    --client-id "$(printf '6f2d8a6e-1c0b-4c39-9a55-%012d' "$i")" --client-secret-file "$work/secret$i" \
    --contact-url "http://$sim/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d&_Division_=$((100000 + i))" \
    --country NL --interval 24h >/dev/null
done
"$work/roger" serve >"$work/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 30); do grep -q listening "$work/serve.log" && break; sleep 0.5; done

# Sign in and consent for every replicator first; the callbacks, which
# make the replicators active and due, are sent together afterwards.
callbacks=()
for i in $(seq 1 "$n"); do
  url=$("$work/roger" replicator authorize "$i" | sed -n 2p)
  form=$(python3 -c 'import sys,urllib.parse as u; q=u.parse_qs(u.urlparse(sys.argv[1]).query); print("&".join(k+"="+u.quote(v[0],safe="") for k,v in q.items()))' "$url")
  curl -s -c "$work/jar$i" -b "$work/jar$i" -o /dev/null -d "$form&username=bench&password=bench" "http://$sim/api/oauth2/auth"
  callbacks+=("$(curl -s -c "$work/jar$i" -b "$work/jar$i" -o /dev/null -w '%{redirect_url}' -d "$form&consent=allow" "http://$sim/api/oauth2/auth")")
done
second=${ROGER_BENCH_SECOND:-5}
if [ "$second" != now ]; then
  # Sleep until second $second of the next minute that still has it ahead.
  python3 -c 'import sys,time; s=int(sys.argv[1]); t=time.time(); m=int(t//60)*60+s; time.sleep((m if m>t else m+60)-t)' "$second"
fi
cpu0=$(awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat)
own0=$(( $(awk '{print $14+$15}' /proc/"$server_pid"/stat) + $(awk '{print $14+$15}' /proc/"$sim_pid"/stat) ))
start=$(date +%s%3N)
pids=()
for c in "${callbacks[@]}"; do curl -s -o /dev/null "$c" & pids+=($!); done
wait "${pids[@]}"
echo "authorized $n replicators at $(date -u -d @$((start / 1000)) +%H:%M:%S) UTC; ROGER_WORKERS=$workers"

db="$ROGER_DATA_DIR/roger.db"
for _ in $(seq 1 1200); do
  done_n=$(sqlite3 "$db" "SELECT COUNT(DISTINCT replicator_id) FROM sync_runs WHERE outcome = 'ok'" 2>/dev/null || echo 0)
  [ "$done_n" -ge "$n" ] && break
  sleep 1
done
elapsed=$(( $(date +%s%3N) - start ))
cpu1=$(awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat)
own1=$(( $(awk '{print $14+$15}' /proc/"$server_pid"/stat) + $(awk '{print $14+$15}' /proc/"$sim_pid"/stat) ))
echo "replicator  done after  records  API calls  runs"
sqlite3 -separator ' ' "$db" "SELECT r.replicator_id, (MIN(r.ended) - $start) / 1000.0, SUM(r.records_read), SUM(r.api_calls),
  (SELECT COUNT(*) FROM sync_runs a WHERE a.replicator_id = r.replicator_id)
  FROM sync_runs r WHERE r.outcome = 'ok' GROUP BY r.replicator_id ORDER BY 2" |
  awk '{printf "%10d  %8.1f s  %7d  %9d  %4d\n", $1, $2, $3, $4, $5}'
sqlite3 "$db" "SELECT COUNT(*) FROM sync_runs WHERE outcome NOT IN ('ok', 'running')" | awk '$1 > 0 {print $1 " runs did not end ok"}'
hz=$(getconf CLK_TCK)
python3 - "$elapsed" "$cpu0" "$cpu1" "$own0" "$own1" "$hz" <<'PY'
import sys
ms, c0, c1, o0, o1, hz = (int(x) for x in sys.argv[1:])
secs = ms / 1000
other = ((c1 - c0) - (o1 - o0)) / hz / secs
print(f"all done after {secs:.1f} s; roger and the simulator used {(o1 - o0) / hz / secs:.2f} cores, other processes {max(other, 0):.2f} cores")
PY
