#!/usr/bin/env bash
# Open/click tracking benchmark: Postern's HTTP role (compiled, `node dist/server/main.js serve`,
# pinned to CPU 0, SQLite in a temp dir) on a database with N sent rows of one tracking mass
# email (bench/tracking-seed.ts), against the bare-fastify anchor of ../shared/bench/http-ceiling.sh
# (fastify-pixel / fastify-redirect) measured in the same run. Per endpoint:
#   - single: ../shared/bench/http-load.sh on ONE token (the harness's tool; every hit after the
#     first is a repeat, still one campaign_log row each), REPEATS rounds, each an anchor run
#     (http-ceiling.sh, one run) right before a Postern run -> req_per_s and anchor_req_per_s (the
#     medians), ratio (the median of the rounds' ratios). Paired because this VM's speed drifts
#     by minutes: the anchor measured once before all Postern runs read 22k–62k req/s on one box
#     in one day, and Postern 23k–36k in the same hour.
#   - rotate: wrk (same -t1 -c50 -d HTTP_SECS, client on CPU 1) with a Lua script cycling through
#     the N tokens (first N hits are first events with counter upserts, then repeats), Chrome UA
#     -> rotate_req_per_s, rotate_ratio; verified exactly: campaign_log rows added >= wrk's
#     answered requests and <= answered + connections (in-flight at the end), no non-2xx/3xx.
# Prints two lines:
#   RESULT tracking-pixel req_per_s=… anchor_req_per_s=… ratio=… round_ratios=… rotate_req_per_s=… rotate_ratio=… events_logged=… verified=…
#   RESULT tracking-click …
# Knobs: N (10000 rows), HTTP_SECS (10), HTTP_CONNS (50), REPEATS (3, http-load runs),
#        TRACK_PORT (8091), SKIP_ANCHORS=1, SHARED_BENCH, KEEP=1 (keep the temp dir),
#        POSTERN_BENCH_DIST / BENCH_NO_BUILD=1 (bench/lib.sh: where the build goes, or run it as built).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SHARED="${SHARED_BENCH:-$ROOT/../shared/bench}"
NROWS="${N:-10000}"
source "$SHARED/lib/common.sh"   # log, die, start_server, stop_group, wait_port, median, on_client_cpu
source "$ROOT/bench/lib.sh"      # bench_build, BENCH_DIST
export HTTP_SECS="${HTTP_SECS:-10}" HTTP_CONNS="${HTTP_CONNS:-50}" REPEATS="${REPEATS:-3}"
PORT="${TRACK_PORT:-8091}"
val() { sed -nE "s/.*[ ^]$1=([0-9.]+).*/\1/p" | tail -1; }
ensure_wrk
require_free_port "$PORT"

bench_build || die "build failed"
dir="$(mktemp -d /tmp/postern-trackbench-XXXXXX)"
cleanup_dir() { [[ "${KEEP:-0}" == 1 ]] || rm -rf "$dir"; }
trap 'cleanup_started; cleanup_dir' EXIT
export POSTERN_DATABASE_URL="$dir/p.sqlite" POSTERN_SECRET="bench-secret-0123456789abcdef" \
  POSTERN_PUBLIC_URL="http://127.0.0.1:$PORT" POSTERN_HTTP_PORT="$PORT" POSTERN_HOST=127.0.0.1 \
  POSTERN_ADMIN_PASSWORD="bench-admin-password" POSTERN_LOG_LEVEL=warn N="$NROWS"
(cd "$ROOT" && node "$BENCH_DIST/bench/tracking-seed.js" "$dir")
rows() { sqlite3 "$dir/p.sqlite" "SELECT COUNT(*) FROM campaign_log WHERE action = '$1'"; }

cd "$ROOT"
start_server "$dir/server.log" env POSTERN_ROLES=http node "$BENCH_DIST/server/main.js" serve
pg="$BG_PID"
wait_port "$PORT" 30 "$pg" || { cat "$dir/server.log" >&2; die "postern did not start"; }
log "postern http role on 127.0.0.1:$PORT (pgid $pg), $NROWS sent rows"

cat > "$dir/rotate.lua" <<'LUA'
local paths, i = {}, 0
function init(args)
  for line in io.lines(args[1]) do if #line > 0 then paths[#paths + 1] = line end end
end
wrk.headers["User-Agent"] = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
function request()
  i = i + 1
  if i > #paths then i = 1 end
  return wrk.format("GET", paths[i])
end
LUA

declare -A OUT
measure() { # measure CASE ACTION FILE ANCHOR_CASE ANCHOR_NAME
  local c="$1" action="$2" file="$3" acase="$4" aname="$5" one r0 r1 r2 single w ans rot bad verified i a p
  local -a prs=() ars=() rts=() cpus=() p99s=()
  one="http://127.0.0.1:$PORT$(sed -n 1p "$dir/$file")"
  r0="$(rows "$action")"
  for ((i = 1; i <= REPEATS; i++)); do
    a=""
    if [[ "${SKIP_ANCHORS:-0}" != 1 ]]; then
      a="$(CASES="$acase" REPEATS=1 bash "$SHARED/http-ceiling.sh" | grep "^RESULT $aname " | val median_req_per_s)"
      ars+=("$a")
    fi
    single="$(SERVER_PGID="$pg" HTTP_CLOSE=0 REPEATS=1 bash "$SHARED/http-load.sh" "$one" "postern-tracking-$c-single" | grep '^RESULT' | tail -1)"
    log "round $i: anchor ${a:-n/a} req/s; $single"
    p="$(val median_req_per_s <<<"$single")"
    prs+=("$p"); cpus+=("$(val server_cpu_us_per_req <<<"$single")"); p99s+=("$(val p99_ms <<<"$single")")
    [[ -n "$a" ]] && rts+=("$(awk -v x="$p" -v y="$a" 'BEGIN { printf "%.3f", x / y }')")
  done
  r1="$(rows "$action")"
  log "$c single-URL runs logged $((r1 - r0)) $action rows"
  # Rotating through all N tokens (one run; the earlier single-URL hits were on row 1 only).
  w="$(on_client_cpu timeout $((HTTP_SECS + 30)) wrk -t1 -c"$HTTP_CONNS" -d"${HTTP_SECS}s" --latency -s "$dir/rotate.lua" "http://127.0.0.1:$PORT/" -- "$dir/$file")"
  sleep 1
  r2="$(rows "$action")"
  ans="$(sed -nE 's/^ *([0-9]+) requests in .*/\1/p' <<<"$w")"
  rot="$(awk '/Requests\/sec:/ {printf "%.0f", $2}' <<<"$w")"
  bad="$(sed -nE 's/.*Non-2xx or 3xx responses: ([0-9]+).*/\1/p' <<<"$w")"; bad="${bad:-0}"
  local added=$((r2 - r1))
  if [[ "$bad" == 0 && "$added" -ge "$ans" && "$added" -le $((ans + HTTP_CONNS)) ]]; then verified=yes; else verified="NO(answered=$ans,rows=$added,non2xx=$bad)"; fi
  log "$c rotate: $rot req/s, $ans answered, $added $action rows added, non-2xx $bad, p50 $(awk '$1=="50%"{print $2}' <<<"$w"), p99 $(awk '$1=="99%"{print $2}' <<<"$w")"
  local rps anchor="" ratio="n/a" rratio="n/a"
  rps="$(median "${prs[@]}")"
  if ((${#ars[@]})); then
    anchor="$(median "${ars[@]}")"
    ratio="$(awk -v r="$(median "${rts[@]}")" 'BEGIN { printf "%.2f", r }')"
    rratio="$(awk -v a="$rot" -v b="$anchor" 'BEGIN { printf "%.2f", a / b }')"
  fi
  OUT[$c]="RESULT tracking-$c req_per_s=$rps anchor_req_per_s=${anchor:-n/a} ratio=$ratio round_ratios=$(IFS=,; echo "${rts[*]:-n/a}") rotate_req_per_s=$rot rotate_ratio=$rratio events_logged=$r2 rotate_answered=$ans rotate_rows_added=$added verified=$verified server_cpu_us_per_req=$(median "${cpus[@]}") p99_ms=$(median "${p99s[@]}") rows=$NROWS conns=$HTTP_CONNS secs=$HTTP_SECS"
}
measure pixel opened pixel.txt pixel fastify-pixel
measure click clicked click.txt redirect fastify-redirect
log "campaign_stats: $(sqlite3 "$dir/p.sqlite" "SELECT group_concat(metric || '=' || value, ' ') FROM campaign_stats WHERE scope = 'm'")"
echo "${OUT[pixel]}"
echo "${OUT[click]}"
