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
# As `npm start` runs it, `serve` with a listener role puts the worker role in a child process at
# nice 10 on the same core, the scheduler with it (server/cli/workerChild.ts; the line says worker=child). INLINE=1 keeps
# every role in one process (POSTERN_WORKER_PROCESS=inline; worker=inline).
# SPLIT=1: the listener (smtp,http) and the pipeline worker started as two separate commands on the
# same core, the worker at nice 10 (the line then says split=1); ROLES and INLINE are ignored then.
# ROUTING=1: routing on — the catch-all mailbox creates cases (round-robin over a team of 3 agents),
# auto-reply on, 3 global and 2 mailbox filters (one a regex), set up through the API before the load;
# the line then says routing=1. (smtp-source's sender is on the local domain, so the auto-reply hook
# runs its guards and declines; the flood guard is raised so every message opens its case.)
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
ROUTING="${ROUTING:-0}"
routing_box=""
[[ "$ROUTING" == 1 ]] && routing_box=', "createCases": true, "assignment": "round-robin", "autoReply": { "subject": "We got your message", "text": "Hello {Person.name}, we answer within a day." }'
cat > "$work/config.json" <<JSON
{ "domains": ["bench.test"], "mailboxes": [{ "address": "inbox@bench.test", "name": "Bench", "catchAll": true$routing_box }],
  "smtp": { "maxConnectionsPerIpPerMinute": 1000000, "maxConnections": 1000 }, "log": { "level": "warn" },
  "worker": { "batchSize": 200, "pollMs": 50 }$([[ "$ROUTING" == 1 ]] && echo ', "cases": { "floodPerHour": 10000000 }') }
JSON
bench_db_setup "$work"
log "starting Postern on 127.0.0.1:$SMTP_PORT (CPU 0, db=$BENCH_DB)"
export POSTERN_CONFIG="$work/config.json" POSTERN_DATABASE_URL="$BENCH_DB_URL" POSTERN_SMTP_PORT="$SMTP_PORT" \
  POSTERN_SUBMISSION_PORT="$((SMTP_PORT + 1))" POSTERN_HTTP_PORT="$HTTP_PORT" POSTERN_ADMIN_PASSWORD=bench-password POSTERN_SECRET=bench-secret-0123456789abcdef
SPLIT="${SPLIT:-0}"
if [[ "$SPLIT" == 1 ]]; then
  # Two processes on the same core, as a one-machine install runs them (README, Roles): the
  # listener (smtp,http) at normal priority, the pipeline worker at nice 10, so the SMTP door
  # keeps its pace and the worker takes the CPU the door leaves idle (and drains after the load).
  # One process group, so the CPU per message below counts both.
  setsid bash -c "POSTERN_ROLES=smtp,http taskset -c 0 node '$BENCH_DIST/server/main.js' serve & \
    sleep 2; POSTERN_ROLES=worker taskset -c 0 nice -n 10 node '$BENCH_DIST/server/main.js' serve & wait" >"$work/server.log" 2>&1 < /dev/null &
else
  [[ "${INLINE:-0}" == 1 ]] && export POSTERN_WORKER_PROCESS=inline
  POSTERN_ROLES="${ROLES:-smtp,worker,http}" setsid taskset -c 0 node "$BENCH_DIST/server/main.js" serve >"$work/server.log" 2>&1 < /dev/null &
fi
pid=$!
for _ in $(seq 1 300); do (echo > "/dev/tcp/127.0.0.1/$SMTP_PORT") 2>/dev/null && break; sleep 0.2; done

for _ in $(seq 1 100); do [[ "$(bench_db_value "SELECT COUNT(*) FROM mailboxes" 2>/dev/null)" -ge 1 ]] 2>/dev/null && break; sleep 0.2; done
if [[ "$ROUTING" == 1 ]]; then
  log "routing on: team of 3, round-robin cases, auto-reply, filters (through the API)"
  key="$(POSTERN_DATABASE_URL="$BENCH_DB_URL" POSTERN_SECRET=bench-secret-0123456789abcdef node "$BENCH_DIST/server/main.js" apikey create --name bench | tail -1)"
  call() { curl -sf -X "$1" -H "authorization: Bearer $key" -H 'content-type: application/json' "http://127.0.0.1:$HTTP_PORT/api/v1$2" ${3:+-d "$3"}; }
  team="$(call POST /teams '{"name":"Support"}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).id')"
  for u in ann bob cid; do call POST /users "{\"username\":\"$u\",\"role\":\"agent\",\"password\":\"correct horse battery\",\"teamIds\":[$team]}" >/dev/null; done
  box="$(call GET '/mailboxes?limit=100' | node -pe 'JSON.parse(require("fs").readFileSync(0)).items.find((m) => m.address === "inbox@bench.test").id')"
  call PATCH "/mailboxes/$box" "{\"teams\":[$team]}" >/dev/null
  for f in '{"name":"Notifications","conditions":[{"field":"from","op":"contains","value":"notifications."}],"actions":{"skip":true}}' \
           '{"name":"Urgent","conditions":[{"field":"subject","op":"matches","value":"^urgent: order [0-9]+"}],"actions":{"tags":["urgent"]}}' \
           '{"name":"Lists","conditions":[{"field":"header","header":"List-Id","op":"contains","value":"lists"}],"actions":{"folder":"Lists"}}' \
           "{\"name\":\"Billing\",\"mailboxId\":$box,\"conditions\":[{\"field\":\"body\",\"op\":\"contains\",\"value\":\"invoice\"}],\"actions\":{\"tags\":[\"billing\"]}}" \
           "{\"name\":\"Bench\",\"mailboxId\":$box,\"conditions\":[{\"field\":\"subject\",\"op\":\"matches\",\"value\":\"^bench m[a-z]+\$\"}],\"actions\":{\"tags\":[\"bench\"]}}"; do
    call POST /filters "$f" >/dev/null
  done
  # The SMTP role reads mailboxes into its RCPT snapshot: the team change needs no reload (cases read it per message).
fi
status0="$(bench_db_status)"
load="$(SERVER_PGID="$pid" bash "$SHARED/smtp-load.sh" "127.0.0.1:$SMTP_PORT" postern-inbound | grep '^RESULT' | tail -1)"
accept="$(val median_msgs_per_s <<<"$load")"; cpu="$(val server_cpu_ms_per_msg <<<"$load")"
total=$(( WARMUP + REPEATS * N ))
dbcost="$(bench_db_per_msg "$status0" "$(bench_db_status)" "$total")"
parsed_rate="n/a"
if [[ "$SPLIT" == 1 || ",${ROLES:-worker}," == *,worker,* ]]; then
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
rss="$(for p in $(pgrep -g "$pid" -f 'server/main.js'); do awk '/VmHWM/ { print int($2 / 1024) }' "/proc/$p/status"; done 2>/dev/null | sort -n | tail -1)"; rss="${rss:-n/a}"
ratio="n/a"; [[ -n "$haraka" && -n "$accept" ]] && ratio="$(awk -v a="$accept" -v h="$haraka" 'BEGIN { printf "%.2f", a / h }')"
routing_kv=""; [[ "$ROUTING" == 1 ]] && routing_kv=" routing=1 cases=$(bench_db_value "SELECT COUNT(*) FROM cases")"
if [[ "$SPLIT" == 1 ]]; then routing_kv+=" split=1"
elif grep -qE 'worker(, scheduler)? in process' "$work/server.log"; then routing_kv+=" worker=child"; else routing_kv+=" worker=inline"; fi
echo "RESULT postern-inbound db=$BENCH_DB$routing_kv msgs_per_s=${accept:-n/a} parsed_msgs_per_s=${parsed_rate:-n/a} haraka_fsync_msgs_per_s=${haraka:-n/a} ratio_vs_haraka=$ratio thin_msgs_per_s=${thin:-n/a} p99_ms=$p99 peak_rss_mb=$rss cpu_ms_per_msg=${cpu:-n/a} haraka_cpu_ms_per_msg=${haraka_cpu:-n/a} n=$total${dbcost:+ ${dbcost% }}"
