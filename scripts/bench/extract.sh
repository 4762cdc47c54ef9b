#!/usr/bin/env bash
# Compares installer/extract with tar and unzip on the same archives: a deterministic tree of
# ~1 GiB in 20,000 files (mostly incompressible, one file in ten text), as tar, tar.zst and zip.
# Each extraction runs 3 times after a `sync`; the script prints the medians and our ratio to
# the reference tool (aim: at most 1.2).
#
#   scripts/bench/extract.sh               # the full 1 GiB / 20,000 files
#   FILES=2000 BYTES=$((100<<20)) scripts/bench/extract.sh   # a quick run
#   BENCH_DIR=/somewhere/else scripts/bench/extract.sh       # where the tree and archives live
#
# Needs tar, zstd, zip and unzip (scripts/deps.sh installs them, zip aside: apt-get install zip).
set -euo pipefail
cd "$(dirname "$0")/../.."

FILES=${FILES:-20000}
BYTES=${BYTES:-$((1 << 30))}
RUNS=${RUNS:-3}
BENCH_DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/iscdesk-bench-extract-$FILES-$BYTES}

for tool in tar zstd zip unzip go; do
  command -v "$tool" >/dev/null || { echo "extract.sh: $tool is missing; run scripts/deps.sh (zip: apt-get install zip)" >&2; exit 1; }
done

mkdir -p "$BENCH_DIR"
bin="$BENCH_DIR/extractbench"
CGO_ENABLED=0 go build -o "$bin" ./installer/extract/internal/extractbench

# The tree and the archives are kept between runs of the script: the same spec gives the same bytes.
if [ ! -f "$BENCH_DIR/.tree-done" ]; then
  echo "generating $FILES files, $BYTES bytes in $BENCH_DIR/tree"
  rm -rf "$BENCH_DIR/tree"
  "$bin" gen -dir "$BENCH_DIR/tree" -files "$FILES" -bytes "$BYTES"
  rm -f "$BENCH_DIR"/tree.*
  touch "$BENCH_DIR/.tree-done"
fi
[ -f "$BENCH_DIR/tree.tar" ] || tar -C "$BENCH_DIR/tree" -cf "$BENCH_DIR/tree.tar" .
[ -f "$BENCH_DIR/tree.tar.zst" ] || zstd -q -3 -T0 -o "$BENCH_DIR/tree.tar.zst" "$BENCH_DIR/tree.tar"
[ -f "$BENCH_DIR/tree.zip" ] || (cd "$BENCH_DIR/tree" && zip -q -r -1 "$BENCH_DIR/tree.zip" .)

out="$BENCH_DIR/out"
now() { date +%s.%N; }

# timeit CMD...: runs CMD into a fresh $out after a sync, prints the seconds it took.
timeit() {
  rm -rf "$out" "$out.partial"
  sync
  local start end
  start=$(now)
  "$@" >/dev/null
  end=$(now)
  echo "$end - $start" | bc -l
}

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# bench NAME LABEL REF_CMD... -- OUR_CMD...: medians of both and the ratio.
bench() {
  local name=$1 label=$2; shift 2
  local ref=() ours=()
  while [ "$1" != "--" ]; do ref+=("$1"); shift; done
  shift
  ours=("$@")
  local rt=() ot=()
  for _ in $(seq "$RUNS"); do
    rt+=("$(timeit "${ref[@]}")")
    ot+=("$(timeit "${ours[@]}")")
  done
  local rm om
  rm=$(median "${rt[@]}")
  om=$(median "${ot[@]}")
  printf '%-8s %-28s %7.2fs   iscdesk %7.2fs   ratio %.2f\n' "$name" "$label" "$rm" "$om" "$(echo "$om / $rm" | bc -l)"
}

mkout() { mkdir -p "$out" && "$@"; }

size=$(du -sb "$BENCH_DIR/tree" | cut -f1)
echo "tree: $FILES files, $size bytes; $RUNS runs each, median; $(nproc) cores"
bench tar     "tar -xf" mkout tar -xf "$BENCH_DIR/tree.tar" -C "$out" -- \
  "$bin" extract -archive "$BENCH_DIR/tree.tar" -dst "$out"
bench tar.zst "tar --zstd -xf" mkout tar --zstd -xf "$BENCH_DIR/tree.tar.zst" -C "$out" -- \
  "$bin" extract -archive "$BENCH_DIR/tree.tar.zst" -dst "$out"
bench zip     "unzip -q" mkout unzip -q "$BENCH_DIR/tree.zip" -d "$out" -- \
  "$bin" extract -archive "$BENCH_DIR/tree.zip" -dst "$out"
rm -rf "$out"
