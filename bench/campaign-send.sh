#!/usr/bin/env bash
# Campaign send rate: Postern (pinned to CPU 0) expands a mass email of N contacts and its
# delivery worker drains it to Postfix smtp-sink (../shared/bench/sink.sh on 2529) — every copy
# personalised from its record, with opt-out link, List-Unsubscribe (one-click), List-Id,
# Feedback-ID, VERP return path and a DKIM signature (open/click tracking: not implemented yet).
# In the same run the anchor from ../shared/bench (nodemailer pooled sending with DKIM,
# MODE=dkim relay.sh) does the same. Prints one line:
#   RESULT campaign-send msgs_per_s=… nodemailer_dkim_msgs_per_s=… ratio=… n=… peak_rss_mb=… …
# Knobs: N (20000), SKIP_ANCHORS=1, SHARED_BENCH, PROFILE=<dir> (a V8 CPU profile of the
# drain, summarised by bench/campaign-profile.mjs), SQLSTATS=1 (time per SQL statement of the drain,
# knex queries only: the group writes of db/exec.ts bypass knex), WORKER_BATCH (200).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SHARED="${SHARED_BENCH:-$ROOT/../shared/bench}"
export N="${N:-20000}" REPEATS="${REPEATS:-1}"
log() { printf '[bench campaign-send %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
anchor=""
if [[ "${SKIP_ANCHORS:-0}" != 1 ]]; then
  log "anchor: nodemailer pool with DKIM"
  anchor="$(MODE=dkim bash "$SHARED/relay.sh" | grep '^RESULT' | tail -1 | sed -nE 's/.*median_msgs_per_s=([0-9.]+).*/\1/p')"
fi
# Build: the product, this driver and its seeding module with tsc (tsconfig.build.json lists
# them) into dist/: no TypeScript loader in the measured process.
(cd "$ROOT" && npm run -s build >&2)
out="$(mktemp)"
bash "$SHARED/sink.sh" 2529 "$N" 900 postern-campaign-send-dkim > "$out" &
sink=$!
up=0; for _ in $(seq 1 900); do (echo > /dev/tcp/127.0.0.1/2529) 2>/dev/null && { up=1; break; }; sleep 0.2; done
[[ "$up" == 1 ]] || { log "the sink did not come up on 2529"; exit 1; }
prof=""
if [[ -n "${PROFILE:-}" ]]; then mkdir -p "$PROFILE"; prof="$PROFILE/campaign-send-$(date +%H%M%S).cpuprofile"; fi
sent="$(cd "$ROOT" && SINK_PORT=2529 PROFILE="$prof" taskset -c 0 node dist/bench/campaign-send.js | tail -1)"
wait "$sink" || true
sinkline="$(grep '^RESULT' "$out" | tail -1)"; rm -f "$out"
log "$sent"
log "$sinkline"
rate="$(sed -nE 's/.* msgs_per_s=([0-9.]+).*/\1/p' <<<"$sinkline")"; [[ -n "$rate" ]] || rate="$(sed -nE 's/.* msgs_per_s=([0-9.]+).*/\1/p' <<<"$sent")"
ratio="n/a"; [[ -n "$anchor" && -n "$rate" ]] && ratio="$(awk -v a="$rate" -v b="$anchor" 'BEGIN { printf "%.2f", a / b }')"
pk="$(sed -nE 's/.*peak_rss_mb=([0-9]+).*/\1/p' <<<"$sent")"
drain="$(sed -nE 's/.* msgs_per_s=([0-9.]+).*/\1/p' <<<"$sent")"
cpu="$(sed -nE 's/.*cpu_ms_per_msg=([0-9.]+).*/\1/p' <<<"$sent")"
echo "RESULT campaign-send msgs_per_s=$rate nodemailer_dkim_msgs_per_s=${anchor:-n/a} ratio=$ratio n=$N peak_rss_mb=$pk drain_msgs_per_s=$drain cpu_ms_per_msg=$cpu"
if [[ -n "$prof" && -f "$prof" ]]; then node "$ROOT/bench/campaign-profile.mjs" "$prof" >&2; fi
