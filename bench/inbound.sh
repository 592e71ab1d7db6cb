#!/usr/bin/env bash
# Inbound benchmark: Postern (SQLite on disk or MariaDB, smtp+worker+http roles, pinned to CPU 0)
# receives N 5 KB messages over 20 sessions from Postfix smtp-source, commits and parses
# them; in the same run the anchors from ../shared/bench (Haraka with its fsync queue, a bare
# smtp-server with fsync) take the same load. Prints one line:
#   RESULT postern-inbound db=sqlite|mysql msgs_per_s=… parsed_msgs_per_s=… haraka_fsync_msgs_per_s=… ratio_vs_haraka=… thin_msgs_per_s=… p99_ms=… peak_rss_mb=… cpu_ms_per_msg=… haraka_cpu_ms_per_msg=… n=…
# (CPU per message, accepting and parsing for Postern, accepting for Haraka: steadier than rates on a shared box)
# On MySQL the line also has the server's counters per message over the load (db_*_per_msg:
# statements, commits, redo-log fsyncs; SHOW GLOBAL STATUS, so other clients count too).
# Knobs: N (20000), REPEATS (1), WARMUP (1000), SKIP_ANCHORS=1, SHARED_BENCH (path to ../shared/bench),
# DB=sqlite|mysql (bench/lib.sh: POSTERN_BENCH_MYSQL_URL, a throwaway schema), ROLES (smtp,worker,http).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SHARED="${SHARED_BENCH:-$ROOT/../shared/bench}"
export N="${N:-20000}" REPEATS="${REPEATS:-1}" WARMUP="${WARMUP:-1000}" CONC="${CONC:-20}"
SMTP_PORT="${POSTERN_BENCH_SMTP_PORT:-2535}" HTTP_PORT="${POSTERN_BENCH_HTTP_PORT:-18095}"
work="$(mktemp -d "${TMPDIR:-/tmp}/postern-bench-XXXXXX")"
pid=""
source "$ROOT/bench/lib.sh"
cleanup() { [[ -n "$pid" ]] && kill -TERM -- "-$pid" 2>/dev/null || true; sleep 0.5; bench_db_drop; rm -rf "$work"; }
trap cleanup EXIT
log() { printf '[bench inbound %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
val() { sed -nE "s/.*$1=([0-9.]+).*/\1/p" | tail -1; }

haraka="" thin="" haraka_cpu=""
if [[ "${SKIP_ANCHORS:-0}" != 1 ]]; then
  log "anchor: Haraka with fsync queue"
  hline="$(bash "$SHARED/haraka.sh" 2>&2 | grep '^RESULT haraka' | head -1)"
  haraka="$(val median_msgs_per_s <<<"$hline")"; haraka_cpu="$(val server_cpu_ms_per_msg <<<"$hline")"
  log "anchor: bare smtp-server with fsync"
  thin="$(bash "$SHARED/smtp-thin.sh" 2>&2 | grep '^RESULT smtp-server-thin' | head -1 | val median_msgs_per_s)"
fi

log "building Postern"
bench_build
cat > "$work/config.json" <<JSON
{ "domains": ["bench.test"], "mailboxes": [{ "address": "inbox@bench.test", "name": "Bench", "catchAll": true }],
  "smtp": { "maxConnectionsPerIpPerMinute": 1000000, "maxConnections": 1000 }, "log": { "level": "warn" },
  "worker": { "batchSize": 200, "pollMs": 50 } }
JSON
bench_db_setup "$work"
log "starting Postern on 127.0.0.1:$SMTP_PORT (CPU 0, db=$BENCH_DB)"
POSTERN_CONFIG="$work/config.json" POSTERN_DATABASE_URL="$BENCH_DB_URL" POSTERN_SMTP_PORT="$SMTP_PORT" \
POSTERN_SUBMISSION_PORT="$((SMTP_PORT + 1))" POSTERN_HTTP_PORT="$HTTP_PORT" POSTERN_ROLES="${ROLES:-smtp,worker,http}" POSTERN_ADMIN_PASSWORD=bench-password POSTERN_SECRET=bench-secret-0123456789abcdef \
  setsid taskset -c 0 node "$BENCH_DIST/server/main.js" serve >"$work/server.log" 2>&1 < /dev/null &
pid=$!
for _ in $(seq 1 300); do (echo > "/dev/tcp/127.0.0.1/$SMTP_PORT") 2>/dev/null && break; sleep 0.2; done

for _ in $(seq 1 100); do [[ "$(bench_db_value "SELECT COUNT(*) FROM mailboxes" 2>/dev/null)" -ge 1 ]] 2>/dev/null && break; sleep 0.2; done
status0="$(bench_db_status)"
load="$(SERVER_PGID="$pid" bash "$SHARED/smtp-load.sh" "127.0.0.1:$SMTP_PORT" postern-inbound | grep '^RESULT' | tail -1)"
accept="$(val median_msgs_per_s <<<"$load")"; cpu="$(val server_cpu_ms_per_msg <<<"$load")"
total=$(( WARMUP + REPEATS * N ))
dbcost="$(bench_db_per_msg "$status0" "$(bench_db_status)" "$total")"
parsed_rate="n/a"
if [[ ",${ROLES:-worker}," == *,worker,* ]]; then
  log "accepted: $load; waiting for the pipeline to parse all $total messages"
  t0=$SECONDS
  while :; do
    read -r n a b < <(bench_db_value "SELECT COUNT(*), MIN(received_at), MAX(processed_at) FROM inbound_messages WHERE state IN ('processed','failed')")
    if [[ "$n" -ge "$total" || $((SECONDS - t0)) -gt 600 ]]; then parsed_rate="$(awk -v n="$n" -v a="$a" -v b="$b" 'BEGIN { printf "%d", n / ((b - a) / 1000) }')"; break; fi
    sleep 0.5
  done
fi
p99="$(curl -s "http://127.0.0.1:$HTTP_PORT/metrics" | node -e "
  let s = ''; process.stdin.on('data', (d) => s += d).on('end', () => {
    const b = [...s.matchAll(/postern_smtp_commit_seconds_bucket\{le=\"([^\"]+)\",listener=\"mx\"\} (\d+)/g)].map((m) => [m[1] === '+Inf' ? Infinity : Number(m[1]), Number(m[2])]);
    const total = b.length ? b[b.length - 1][1] : 0; const hit = b.find(([, n]) => n >= 0.99 * total);
    console.log(hit ? (hit[0] === Infinity ? 'inf' : String(hit[0] * 1000)) : 'n/a');
  });")"
rss="$(awk '/VmHWM/ { printf "%d", $2 / 1024 }' "/proc/$(pgrep -g "$pid" -f 'server/main.js' | head -1)/status" 2>/dev/null || echo n/a)"
ratio="n/a"; [[ -n "$haraka" && -n "$accept" ]] && ratio="$(awk -v a="$accept" -v h="$haraka" 'BEGIN { printf "%.2f", a / h }')"
echo "RESULT postern-inbound db=$BENCH_DB msgs_per_s=${accept:-n/a} parsed_msgs_per_s=${parsed_rate:-n/a} haraka_fsync_msgs_per_s=${haraka:-n/a} ratio_vs_haraka=$ratio thin_msgs_per_s=${thin:-n/a} p99_ms=$p99 peak_rss_mb=$rss cpu_ms_per_msg=${cpu:-n/a} haraka_cpu_ms_per_msg=${haraka_cpu:-n/a} n=$total${dbcost:+ ${dbcost% }}"
