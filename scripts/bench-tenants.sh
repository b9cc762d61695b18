#!/usr/bin/env bash
# Many organisations on one instance: ORGS organisations (default 200), one
# contacts replicator each on a division and app of its own, against two
# simulators at Exact's real limits (60 calls a minute and 5000 a day per
# app and division). ORGS-LOADS replicators follow small divisions every
# minute while the simulator's users edit them; then LOADS (default 20)
# first loads of LOAD_CONTACTS contacts (default 50,000) start together, and
# lookups across all organisations run at RATE a second (default 5,000,
# open model) until they are done. Prints lookup p50/p99/p99.9 before and
# during the loads, records a second across all replicators, how long each
# first load took against Exact's pace, how far behind its interval any
# follower fell, and the server's CPU and peak memory. SQLite by default;
# with ROGER_BENCH_POSTGRES set to an admin URL, on a fresh PostgreSQL
# database there. ROGER_SYNC_PACE=burst and ROGER_SYNC_CORES pass through to
# the server. Extra flags go to "bench-lookup tenants" (see its -help).
# Usage: scripts/bench-tenants.sh [ORGS] [LOADS] [LOAD_CONTACTS] [RATE] [flags…]
set -euo pipefail
orgs=${1:-200}
loads=${2:-20}
contacts=${3:-50000}
rate=${4:-5000}
shift $(( $# < 4 ? $# : 4 ))
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/roger" ./cmd/roger
(cd scripts/bench-lookup && go build -o "$work/bench-lookup" .)  # its own module: vegeta stays out of roger's go.mod
args=(tenants -roger "$work/roger" -orgs "$orgs" -loads "$loads" -load-contacts "$contacts" -rate "$rate")
if [ -n "${ROGER_BENCH_POSTGRES:-}" ]; then
  args+=(-postgres "$ROGER_BENCH_POSTGRES")
fi
"$work/bench-lookup" "${args[@]}" "$@"
