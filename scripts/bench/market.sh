#!/bin/sh
# Load benchmark of the marketplace: seeds 10,000 products and 100,000 orders into a temp SQLite
# file, then loads GET /v1/entitlements and GET /v1/orders at a fixed rate (open loop) on loopback
# and prints the latency percentiles. Figures go to docs/benchmarks.md.
#
#   scripts/bench/market.sh                       # 200 req/s for 10 s per endpoint
#   RATE=500 DURATION=20s scripts/bench/market.sh
set -eu
cd "$(dirname "$0")/../.."
exec go test ./marketplace/server/ -run '^$' -bench '^BenchmarkMarketLoad$' -benchtime 1x -v \
	-market.products "${PRODUCTS:-10000}" -market.orders "${ORDERS:-100000}" \
	-market.rate "${RATE:-200}" -market.duration "${DURATION:-10s}"
