#!/usr/bin/env bash
# Compares installer/extract with tar and unzip on the same archives: a deterministic tree of
# ~1 GiB in 20,000 files (mostly incompressible, one file in ten text), as tar, tar.zst and zip.
# Each extraction runs 3 times (after one untimed warm-up run per archive); the script prints the
# medians, every run, and our ratio to the reference tool (aim: at most 1.2).
#
# Where the output goes matters more than the tools: this VM's root file system is ext4 without a
# journal, where creating inodes scans those freed in the last minute, so deleting the previous
# 20,000-file output before a run made single runs swing between 2 s and 14 s. As root the script
# therefore extracts into a scratch ext4 (with a journal, in a loop file next to the archives) that
# it makes afresh before every timed run: each run starts on the same empty file system and nothing
# is deleted on it. Without root, or when mkfs.ext4 or mount fail, it warns and falls back to a
# folder on BENCH_DIR's file system, emptied with rm -rf before each run.
#
#   scripts/bench/extract.sh               # the full 1 GiB / 20,000 files
#   FILES=2000 BYTES=$((100<<20)) scripts/bench/extract.sh   # a quick run
#   BENCH_DIR=/somewhere/else scripts/bench/extract.sh       # where the tree and archives live
#   SCRATCH=0 scripts/bench/extract.sh     # no scratch file system: extract into BENCH_DIR/out
#
# Needs tar, zstd, zip and unzip (scripts/deps.sh installs them, zip aside: apt-get install zip);
# the scratch file system needs root, mkfs.ext4 and loop devices.
set -euo pipefail
cd "$(dirname "$0")/../.."

FILES=${FILES:-20000}
BYTES=${BYTES:-$((1 << 30))}
RUNS=${RUNS:-3}
BENCH_DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/iscdesk-bench-extract-$FILES-$BYTES}
SCRATCH=${SCRATCH:-1}

for tool in tar zstd zip unzip go bc; do
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

size=$(du -sb "$BENCH_DIR/tree" | cut -f1)

# The scratch file system: a loop file three times the tree (at least 1 GiB), so that one
# extraction fits with room to spare, and at least two inodes per file.
img="$BENCH_DIR/scratch.img"
mnt="$BENCH_DIR/scratch"
img_bytes=$(( size * 3 > (1 << 30) ? size * 3 : (1 << 30) ))
img_bytes=$(( (img_bytes + (1 << 20) - 1) / (1 << 20) * (1 << 20) ))
inodes=$(( img_bytes / 16384 > FILES * 2 ? img_bytes / 16384 : FILES * 2 ))

cleanup() {
  if mountpoint -q "$mnt" 2>/dev/null; then
    umount "$mnt" || echo "extract.sh: could not unmount $mnt; run: umount $mnt && rm -f $img" >&2
  fi
  rmdir "$mnt" 2>/dev/null || true
  mountpoint -q "$mnt" 2>/dev/null || rm -f "$img"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# remake: a new, empty, journaled ext4 on the loop file, mounted at $mnt. Inode tables and the
# journal are written now (not lazily by a kernel thread during the timed run), and the file's
# blocks are allocated once (fallocate, no discard), so every run writes into the same space.
remake() {
  if mountpoint -q "$mnt"; then umount "$mnt" || return 1; fi
  mkfs.ext4 -q -F -N "$inodes" -E lazy_itable_init=0,lazy_journal_init=0,nodiscard "$img" || return 1
  mount -o loop "$img" "$mnt" || return 1
}

use_scratch=0
why=""
if [ "$SCRATCH" = 0 ]; then
  why="SCRATCH=0"
elif [ "$(id -u)" != 0 ]; then
  why="not root (mkfs and mount -o loop need root)"
elif ! command -v mkfs.ext4 >/dev/null || ! command -v mountpoint >/dev/null; then
  why="mkfs.ext4 or mountpoint is missing (apt-get install e2fsprogs util-linux)"
else
  avail=$(( $(df --output=avail -k "$BENCH_DIR" | tail -n 1) * 1024 ))
  if [ "$avail" -lt $(( img_bytes + (1 << 30) )) ]; then
    why="only $avail bytes free in $BENCH_DIR; the scratch file system needs $img_bytes and 1 GiB to spare"
  elif ! mkdir -p "$mnt" || ! fallocate -l "$img_bytes" "$img" || ! remake; then
    why="could not make or mount an ext4 file system in $img (see the error above)"
  else
    use_scratch=1
  fi
fi
if [ "$use_scratch" = 1 ]; then
  out="$mnt/out"
  where="a fresh journaled ext4 ($((img_bytes >> 20)) MiB loop file) for every run"
else
  cleanup
  out="$BENCH_DIR/out"
  where="$BENCH_DIR/out, emptied with rm -rf before every run"
  echo "extract.sh: WARNING: $why; extracting into $out on $(findmnt -no FSTYPE -T "$BENCH_DIR" 2>/dev/null || echo '?')," >&2
  echo "extract.sh: WARNING: where deleting the previous output can dominate the figures (see docs/benchmarks.md)" >&2
fi

now() { date +%s.%N; }

# fresh: an empty place for $out, outside the timing.
fresh() {
  if [ "$use_scratch" = 1 ]; then
    remake || { echo "extract.sh: could not make the scratch file system in $img afresh" >&2; exit 1; }
  else
    rm -rf "$out" "$out.partial"
  fi
  sync
}

# timeit CMD...: runs CMD into a fresh $out, prints the seconds it took.
timeit() {
  fresh
  local start end
  start=$(now)
  "$@" >/dev/null
  end=$(now)
  echo "$end - $start" | bc -l
}

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# bench NAME LABEL REF_CMD... -- OUR_CMD...: medians of both, the ratio, and every run's time.
bench() {
  local name=$1 label=$2; shift 2
  local ref=() ours=()
  while [ "$1" != "--" ]; do ref+=("$1"); shift; done
  shift
  ours=("$@")
  local rt=() ot=() t
  # One untimed run first: it reads the archive into the page cache and, on the scratch file
  # system, writes the loop file's blocks once, which both would otherwise charge to run 1.
  timeit "${ref[@]}" >/dev/null || exit 1
  for _ in $(seq "$RUNS"); do
    t=$(timeit "${ref[@]}") || exit 1
    rt+=("$t")
    t=$(timeit "${ours[@]}") || exit 1
    ot+=("$t")
  done
  local rm om
  rm=$(median "${rt[@]}")
  om=$(median "${ot[@]}")
  printf '%-8s %-28s %7.2fs   iscdesk %7.2fs   ratio %.2f\n' "$name" "$label" "$rm" "$om" "$(echo "$om / $rm" | bc -l)"
  printf '         runs: %s   iscdesk: %s\n' "$(printf '%.2f ' "${rt[@]}")" "$(printf '%.2f ' "${ot[@]}")"
}

mkout() { mkdir -p "$out" && "$@"; }

echo "tree: $FILES files, $size bytes; $RUNS runs each, median; $(nproc) cores; into $where"
bench tar     "tar -xf" mkout tar -xf "$BENCH_DIR/tree.tar" -C "$out" -- \
  "$bin" extract -archive "$BENCH_DIR/tree.tar" -dst "$out"
bench tar.zst "tar --zstd -xf" mkout tar --zstd -xf "$BENCH_DIR/tree.tar.zst" -C "$out" -- \
  "$bin" extract -archive "$BENCH_DIR/tree.tar.zst" -dst "$out"
bench zip     "unzip -q" mkout unzip -q "$BENCH_DIR/tree.zip" -d "$out" -- \
  "$bin" extract -archive "$BENCH_DIR/tree.zip" -dst "$out"
[ "$use_scratch" = 1 ] || rm -rf "$out"
