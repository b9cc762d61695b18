#!/usr/bin/env bash
# Full sync of N contacts from the simulator into a fresh SQLite (or, with
# ROGER_DATABASE_URL set, PostgreSQL) directory, as "roger replicator sync
# --wait" runs it. Prints records/s, API calls and the peak memory (max
# RSS) of the syncing process. Usage: scripts/bench-sync.sh [CONTACTS]
set -euo pipefail
contacts=${1:-1000000}
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
go build -o "$work/roger" ./cmd/roger

sim=127.0.0.1:18090
app=6f2d8a6e-1c0b-4c39-9a55-2f7c3a1b9e01
export ROGER_DATA_DIR="$work/data" ROGER_ADDR=127.0.0.1:18080
# The simulator's --records splits a fifth into accounts.
records=$(( contacts * 5 / 4 ))
echo "generating $contacts contacts in the simulator…"
"$work/roger" exactsim --addr $sim --records $records --user bench:bench:123456 \
  --app "$app:benchsecret:http://$ROGER_ADDR/oauth/exact/1/callback" --minutely-limit -1 --daily-limit -1 >"$work/sim.log" 2>&1 &
for _ in $(seq 1 600); do grep -q listening "$work/sim.log" && break; sleep 1; done
"$work/roger" migrate >/dev/null
"$work/roger" serve >"$work/serve.log" 2>&1 &
for _ in $(seq 1 30); do grep -q listening "$work/serve.log" && break; sleep 0.5; done

"$work/roger" replicator add --name bench --entity contacts --exact-url "http://$sim" --client-id $app --client-secret benchsecret \
  --contact-url "http://$sim/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d&_Division_=123456" --country NL --interval 24h >/dev/null
url=$("$work/roger" replicator authorize 1 | sed -n 2p)
form=$(python3 -c 'import sys,urllib.parse as u; q=u.parse_qs(u.urlparse(sys.argv[1]).query); print("&".join(k+"="+u.quote(v[0],safe="") for k,v in q.items()))' "$url")
curl -s -c "$work/jar" -b "$work/jar" -o /dev/null -d "$form&username=bench&password=bench" "http://$sim/api/oauth2/auth"
callback=$(curl -s -c "$work/jar" -b "$work/jar" -o /dev/null -w '%{redirect_url}' -d "$form&consent=allow" "http://$sim/api/oauth2/auth")
curl -s -o /dev/null "$callback"
# Stop the server so only the measured command syncs.
kill %2 2>/dev/null || true; sleep 1

start=$(date +%s.%N)
/usr/bin/time -f '%M %e' -o "$work/time" "$work/roger" replicator sync 1 --wait 2>/dev/null | tee "$work/run"
end=$(date +%s.%N)
read -r rss secs <"$work/time"
python3 - "$contacts" "$rss" "$secs" "$(cat "$work/run")" <<'PY'
import re, sys
n, rss, secs, run = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
calls = re.search(r"API calls (\d+)", run)
print(f"contacts: {n}")
print(f"elapsed: {secs:.1f} s, {n/secs:,.0f} records/s end to end (simulator, HTTP, parsing, upsert)")
print(f"API calls: {calls.group(1) if calls else '?'} (ceil(N/1000) = {-(-n//1000)})")
print(f"peak memory (max RSS) of the syncing process: {rss/1024:.0f} MB")
PY
