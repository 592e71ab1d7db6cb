#!/usr/bin/env bash
# Outbound benchmark: Postern's delivery worker (pinned to CPU 0) drains N queued 5 KB
# campaign messages, DKIM-signed, to Postfix smtp-sink; in the same run the anchor from
# ../shared/bench (nodemailer pooled sending with DKIM, MODE=dkim relay.sh) does the same.
# Prints one line:
#   RESULT postern-outbound-dkim db=sqlite|mysql msgs_per_s=… nodemailer_dkim_msgs_per_s=… ratio=… peak_rss_mb=… n=…
# On MySQL the line also has the server's counters per message over the drain (bench/lib.sh).
# Knobs: N (20000), SKIP_ANCHORS=1, SHARED_BENCH, DB=sqlite|mysql (bench/lib.sh: POSTERN_BENCH_MYSQL_URL, a throwaway schema).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SHARED="${SHARED_BENCH:-$ROOT/../shared/bench}"
export N="${N:-20000}" REPEATS="${REPEATS:-1}"
log() { printf '[bench outbound %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
val() { sed -nE "s/.*$1=([0-9.]+).*/\1/p" | tail -1; }
source "$ROOT/bench/lib.sh"
work="$(mktemp -d "${TMPDIR:-/tmp}/postern-outbench-XXXXXX")"
trap 'bench_db_drop; rm -rf "$work"' EXIT
bench_db_setup "$work"
anchor=""
if [[ "${SKIP_ANCHORS:-0}" != 1 ]]; then
  log "anchor: nodemailer pool with DKIM"
  anchor="$(MODE=dkim bash "$SHARED/relay.sh" | grep '^RESULT' | tail -1 | val median_msgs_per_s)"
fi
out="$(mktemp)"
bash "$SHARED/sink.sh" 2529 "$N" 900 postern-outbound-dkim > "$out" &
sink=$!
for _ in $(seq 1 100); do (echo > /dev/tcp/127.0.0.1/2529) 2>/dev/null && break; sleep 0.2; done
bench_build
# The compiled script, as `npm start` runs the server: no TypeScript loader in the measured process.
drained="$(cd "$ROOT" && SINK_PORT=2529 POSTERN_BENCH_DB_URL="$BENCH_DB_URL" taskset -c 0 node "$BENCH_DIST/bench/outbound-drain.js" | tail -1)"
wait "$sink" || true
sinkline="$(grep '^RESULT' "$out" | tail -1)"; rm -f "$out"
rate="$(val msgs_per_s <<<"$sinkline")"; [[ -n "$rate" ]] || rate="$(val msgs_per_s <<<"$drained")"
ratio="n/a"; [[ -n "$anchor" && -n "$rate" ]] && ratio="$(awk -v a="$rate" -v b="$anchor" 'BEGIN { printf "%.2f", a / b }')"
log "$drained"
echo "RESULT postern-outbound-dkim db=$BENCH_DB msgs_per_s=$rate nodemailer_dkim_msgs_per_s=${anchor:-n/a} ratio=$ratio peak_rss_mb=$(val peak_rss_mb <<<"$drained") n=$N$(grep -oE ' db_[a-z_]+=[^ ]+' <<<"$drained" | tr -d '\n')"
