#!/usr/bin/env bash
# HTTP benchmark of a running-size store: get-item, list-a-shelf, a rack's map and the
# room overview at concurrency 1 and 16, and durable scans over POST /api/v1/scans.
#   station/benches/http/run.sh DATA_DIR [BOXES]
# DATA_DIR: a store made by `cargo bench -p station --bench store -- --dir DATA_DIR`.
# MAP_ONLY=1: only the rack map and the room overview.
# CONTENTS=1: only a box's contents list (after the contents bench wrote them with --dir).
set -euo pipefail
data=${1:?data dir}; boxes=${2:-1000000}
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../../.." && pwd)
command -v wrk >/dev/null || apt-get install -y -qq wrk
cargo build --release -p station --manifest-path "$root/Cargo.toml" -q
bin="${CARGO_TARGET_DIR:-$root/target}/release/station"
config=$(mktemp); port=18181
{ echo "listen = \"127.0.0.1:$port\""; echo "cache_mib = ${CACHE_MIB:-64}"
  for n in $(seq 1 16); do printf '[[workstation]]\nname = "ws-%d"\n' "$n"; done; } > "$config"
badge=$("$bin" --data "$data" person add --name bench --role admin --allow-same-name | cut -f1)
export TOKEN=$("$bin" --data "$data" token create --person "$badge" 2>/dev/null)
RUST_LOG=warn "$bin" --config "$config" --data "$data" serve > /dev/null &
pid=$!; trap 'kill $pid 2>/dev/null || true' EXIT
until curl -sf "http://127.0.0.1:$port/healthz" > /dev/null; do sleep 0.2; done
export BENCH_DIR=$here BOXES=$boxes WORKSTATIONS=16
url="http://127.0.0.1:$port"
if [ -n "${CONTENTS:-}" ]; then
  if [ "${WARM_UP:-20}" != 0 ]; then
    wrk -t 2 -c 16 -d "${WARM_UP:-20}s" -s "$here/box_contents.lua" "$url" > /dev/null
  fi
  for c in 1 16; do
    echo "== box contents, concurrency $c"
    wrk -t "$([ $c = 1 ] && echo 1 || echo 2)" -c $c -d 15s --latency -s "$here/box_contents.lua" "$url" | grep -E "Requests/sec|50%|99%|Non-2xx"
  done
  exit 0
fi
shelves=$(mktemp); export SHELVES=$shelves
# 64 shelves, from the boxes' places
lua_pick() { python3 - "$@" <<'PY'
import sys
T=[[0,3,1,7,5,9,8,6,4,2],[7,0,9,2,1,5,4,8,6,3],[4,2,0,6,8,7,1,3,5,9],[1,7,5,0,9,8,3,4,2,6],[6,1,2,3,0,4,5,9,7,8],[3,6,7,4,2,0,9,5,8,1],[5,8,6,9,7,2,0,1,3,4],[8,9,4,5,3,6,2,0,1,7],[9,4,3,8,6,1,7,2,0,5],[2,5,8,1,4,3,6,7,9,0]]
def code(seq):
    i=0
    for d in [1]+[int(x) for x in f"{seq:09d}"]: i=T[i][d]
    return f"B{seq:09d}{i}"
n=int(sys.argv[1])
for k in range(64): print(code(1 + (k * 15731) % n))
PY
}
for box in $(lua_pick "$boxes"); do
  curl -sf -H "Authorization: Bearer $TOKEN" "$url/api/v1/items/$box" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["place"]["barcode"])' >> "$shelves"
done
for n in $(seq 1 16); do
  curl -sf -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \
    -d "{\"workstation\":\"ws-$n\",\"data\":\"K0000000023\"}" "$url/api/v1/scans" > /dev/null
  curl -sf -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \
    -d "{\"workstation\":\"ws-$n\",\"data\":\"$(sed -n "${n}p" "$shelves")\"}" "$url/api/v1/scans" > /dev/null
done
# Every rack, from the room overview (for the rack map).
racks=$(mktemp); export RACKS=$racks
curl -sf -H "Authorization: Bearer $TOKEN" "$url/api/v1/map" \
  | python3 -c 'import json,sys; [print(r["barcode"]) for room in json.load(sys.stdin)["rooms"] for r in room["racks"]]' > "$racks"
# Warm-up (not reported): the first minute after `serve` opens a store of this size reads
# its pages from disk into the cache and answers with long tails (BENCHMARKS.md).
if [ -n "${MAP_ONLY:-}" ] && [ "${WARM_UP:-20}" != 0 ]; then
  for script in map_rack map_overview; do
    wrk -t 2 -c 16 -d "${WARM_UP:-20}s" -s "$here/$script.lua" "$url" > /dev/null
  done
fi
for c in 1 16; do
  if [ -n "${MAP_ONLY:-}" ]; then
    echo "== rack map, concurrency $c"; wrk -t "$([ $c = 1 ] && echo 1 || echo 2)" -c $c -d 15s --latency -s "$here/map_rack.lua" "$url" | grep -E "Requests/sec|50%|99%"
    echo "== room overview, concurrency $c"; wrk -t "$([ $c = 1 ] && echo 1 || echo 2)" -c $c -d 15s --latency -s "$here/map_overview.lua" "$url" | grep -E "Requests/sec|50%|99%"
    continue
  fi
  echo "== GET item, concurrency $c"; wrk -t "$([ $c = 1 ] && echo 1 || echo 2)" -c $c -d 15s --latency -s "$here/get_item.lua" "$url" | grep -E "Requests/sec|50%|99%"
  echo "== list a shelf, concurrency $c"; wrk -t "$([ $c = 1 ] && echo 1 || echo 2)" -c $c -d 15s --latency -s "$here/list_shelf.lua" "$url" | grep -E "Requests/sec|50%|99%"
  echo "== rack map, concurrency $c"; wrk -t "$([ $c = 1 ] && echo 1 || echo 2)" -c $c -d 15s --latency -s "$here/map_rack.lua" "$url" | grep -E "Requests/sec|50%|99%"
  echo "== room overview, concurrency $c"; wrk -t "$([ $c = 1 ] && echo 1 || echo 2)" -c $c -d 15s --latency -s "$here/map_overview.lua" "$url" | grep -E "Requests/sec|50%|99%"
done
[ -n "${MAP_ONLY:-}" ] && exit 0
echo "== POST /api/v1/scans (durable moves), 16 connections, 16 workstations"
wrk -t 2 -c 16 -d 15s --latency -s "$here/post_scan.lua" "$url" | grep -E "Requests/sec|50%|99%|Non-2xx"
