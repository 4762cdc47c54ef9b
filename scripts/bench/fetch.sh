#!/usr/bin/env bash
# Times installer/fetch (download + SHA-256 check + checkpoints) against `curl -o F && sha256sum F`
# on a 1 GiB file served over loopback. Median of RUNS runs each. Writes only into a temp folder.
#   SIZE_MIB=1024 RUNS=3 scripts/bench/fetch.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH=/usr/local/go/bin:$PATH
SIZE_MIB=${SIZE_MIB:-1024}
RUNS=${RUNS:-3}
command -v curl >/dev/null || { echo "fetch.sh: curl is needed for the comparison" >&2; exit 1; }

tmp=$(mktemp -d)
srv=
cleanup() {
	[ -n "$srv" ] && kill "$srv" 2>/dev/null && wait "$srv" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

go build -o "$tmp/fetchbench" ./installer/fetch/internal/fetchbench
mkdir "$tmp/www"
head -c $((SIZE_MIB << 20)) /dev/urandom >"$tmp/www/pkg.bin"
size=$((SIZE_MIB << 20))
sha=$(sha256sum "$tmp/www/pkg.bin" | cut -d' ' -f1)

"$tmp/fetchbench" serve -dir "$tmp/www" >"$tmp/url" &
srv=$!
for _ in $(seq 100); do [ -s "$tmp/url" ] && break; sleep 0.1; done
[ -s "$tmp/url" ] || { echo "fetch.sh: the file server did not start" >&2; exit 1; }
url="$(cat "$tmp/url")pkg.bin"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

ours=() theirs=()
for i in $(seq "$RUNS"); do
	rm -rf "$tmp/cache"
	t0=$(now)
	"$tmp/fetchbench" fetch -url "$url" -size "$size" -sha "$sha" -cache "$tmp/cache" >/dev/null
	t1=$(now)
	ours+=("$(elapsed "$t0" "$t1")")

	rm -f "$tmp/curl.bin" && sync
	t0=$(now)
	curl -s -o "$tmp/curl.bin" "$url"
	got=$(sha256sum "$tmp/curl.bin" | cut -d' ' -f1)
	t1=$(now)
	[ "$got" = "$sha" ] || { echo "fetch.sh: curl's copy has the wrong hash" >&2; exit 1; }
	theirs+=("$(elapsed "$t0" "$t1")")
	rm -f "$tmp/curl.bin"
	echo "run $i: installer/fetch ${ours[-1]} s, curl+sha256sum ${theirs[-1]} s"
done

o=$(median "${ours[@]}")
c=$(median "${theirs[@]}")
awk -v o="$o" -v c="$c" -v mib="$SIZE_MIB" -v runs="$RUNS" 'BEGIN {
	printf "fetch %d MiB over loopback, median of %d runs\n", mib, runs
	printf "  installer/fetch (streaming hash, fsync every 4 MiB): %6.2f s  %7.1f MiB/s\n", o, mib / o
	printf "  curl -o F && sha256sum F:                            %6.2f s  %7.1f MiB/s\n", c, mib / c
	printf "  ratio installer/fetch / curl+sha256sum:              %6.2f\n", o / c
}'
