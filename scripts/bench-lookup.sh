#!/usr/bin/env bash
# Load benchmark of the lookup API: seeds NUMBERS phone numbers, starts
# "roger serve", and drives GET /api/v1/lookup at fixed rates (open model,
# vegeta) without and then with a full sync of a simulator division running
# into the same database. Prints one markdown table row per run: p50, p99,
# p99.9, max and errors. SQLite by default; with ROGER_BENCH_POSTGRES set to
# an admin URL (postgres://postgres@127.0.0.1:5432/test?sslmode=disable), on
# a fresh PostgreSQL database there. ROGER_BENCH_INDEX=database makes the
# server query the database for every lookup instead of its in-memory index.
# ROGER_BENCH_SIM_LIMIT=60 holds the sync to Exact's pace (60 calls a
# minute); by default it runs as fast as the machine allows.
# Usage: scripts/bench-lookup.sh [NUMBERS] [RATES] [SECONDS]
set -euo pipefail
numbers=${1:-1000000}
rates=${2:-1000,5000,10000}
seconds=${3:-10}
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/roger" ./cmd/roger
(cd scripts/bench-lookup && go build -o "$work/bench-lookup" .)  # its own module: vegeta stays out of roger's go.mod
args=(-roger "$work/roger" -numbers "$numbers" -rates "$rates" -duration "${seconds}s")
args+=(-index "${ROGER_BENCH_INDEX:-memory}" -sim-minutely-limit "${ROGER_BENCH_SIM_LIMIT:--1}")
if [ -n "${ROGER_BENCH_POSTGRES:-}" ]; then
  args+=(-postgres "$ROGER_BENCH_POSTGRES")
fi
"$work/bench-lookup" "${args[@]}"
