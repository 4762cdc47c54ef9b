#!/usr/bin/env bash
# make run: the embedded marketplace, the agent in --user mode and the desktop app, on demo data, on
# loopback only. Without a display it walks through the same with the CLI. Data lives in .state/demo/;
# delete that folder to start from scratch.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
demo=$root/.state/demo
bin=$root/bin
port=${ISCDESK_DEMO_PORT:-8780}
market=http://127.0.0.1:$port
sock=$demo/agent.sock
mkdir -p "$demo" "$bin"

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '\033[2m$ %s\033[0m\n' "$*"; "$@"; }

say "Building the binaries"
CGO_ENABLED=0 go build -o "$bin/" ./cmd/iscdesk ./cmd/iscdesk-agent ./cmd/iscdesk-market ./cmd/iscdesk-pack

if curl -s -o /dev/null "$market/v1/keys" 2>/dev/null; then
  echo "Something already answers on $market. Stop it, or set ISCDESK_DEMO_PORT to a free port." >&2
  exit 1
fi

say "Starting the marketplace on $market (log: $demo/market.log)"
"$bin/iscdesk-market" serve --data "$demo/market" --addr "127.0.0.1:$port" --examples packaging/examples >"$demo/market.log" 2>&1 &
pids+=($!)
key=""
for _ in $(seq 1 300); do
  key=$(curl -fs "$market/v1/keys" 2>/dev/null | grep -o '"line": *"[^"]*"' | head -n1 | sed 's/.*"line": *"//; s/"$//') || true
  [ -n "$key" ] && break
  kill -0 "${pids[0]}" 2>/dev/null || { cat "$demo/market.log" >&2; exit 1; }
  sleep 0.2
done
[ -n "$key" ] || { echo "the marketplace did not start; see $demo/market.log" >&2; exit 1; }
echo "marketplace key: $key"

say "Starting the agent in --user mode (socket $sock, log: $demo/agent.log)"
"$bin/iscdesk-agent" run --user --socket "$sock" --state-dir "$demo/agent" --install-root "$demo/software" \
  --trusted-key "$key" >"$demo/agent.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  "$bin/iscdesk" --socket "$sock" status >/dev/null 2>&1 && break
  kill -0 "${pids[1]}" 2>/dev/null || { cat "$demo/agent.log" >&2; exit 1; }
  sleep 0.1
done

token=$("$bin/iscdesk-market" token --data "$demo/market" --user engineer --password demo)
export ISCDESK_SOCKET=$sock ISCDESK_MARKET=$market ISCDESK_TOKEN=$token

if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -z "${ISCDESK_DEMO_CLI:-}" ]; then
  say "Building and starting the desktop app, signed in as engineer of Demo Plant (close it to stop the demo)"
  go build -o "$bin/" ./cmd/iscdesk-gui
  case "${LANG:-C}" in C|POSIX) export LANG=C.UTF-8 ;; esac # Fyne wants a well-formed locale
  run "$bin/iscdesk-gui" --market "$market" --socket "$sock" --token "$token"
  exit 0
fi

say "No display: a walkthrough with the CLI (set DISPLAY for the desktop app)"
run "$bin/iscdesk" status
run "$bin/iscdesk" whoami
run "$bin/iscdesk" software
say "Install Demo Solver by name: the marketplace signs a ticket, the agent verifies it, downloads, installs, detects"
run "$bin/iscdesk" install demo-solver
run "$bin/iscdesk" software
say "Apply for its license, bound to this machine's fingerprint; the marketplace issues it asynchronously"
run "$bin/iscdesk" licenses apply demo-solver --wait | tee "$demo/license.txt"
lic=$(grep -o 'lic_[0-9a-f]*' "$demo/license.txt" | head -n1)
if [ -n "$lic" ]; then
  say "The agent puts the license where the package says ({{.InstallDir}}/license/solver.lic)"
  run "$bin/iscdesk" licenses install "$lic"
fi
run "$bin/iscdesk" licenses list
say "Orders and deliveries of the tenant"
run "$bin/iscdesk" orders list
run "$bin/iscdesk" deliveries images
run "$bin/iscdesk" deliveries hardware
run "$bin/iscdesk" api-packages list
say "The job history, as the agent journaled it"
run "$bin/iscdesk" jobs
say "Done. The marketplace and the agent stop now; their data stays in $demo"
