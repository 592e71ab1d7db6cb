#!/usr/bin/env bash
# Routing drain benchmark (bench/routing-drain.ts), pinned to CPU 0 like the other benches: N
# stored messages drained through parse → authenticate → detect → bounce → route with filters,
# email-to-case (round-robin) and auto-reply on, next to mailparser in the same run. Prints one line:
#   RESULT routing-drain db=sqlite|mysql msgs_per_s=… mailparser_msgs_per_s=… ratio=… round_ratios=… … (ROUNDS pairs, medians)
# Knobs: N (5000), DB=sqlite|mysql (mysql: a throwaway schema on POSTERN_TEST_MYSQL_URL, default
# mysql://root@127.0.0.1:3306/test), SHARED_BENCH (path to ../shared/bench), ANCHOR_ITER (1000), ROUNDS (3), PIN (1).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export N="${N:-5000}" DB="${DB:-sqlite}" SHARED_BENCH="${SHARED_BENCH:-$ROOT/../shared/bench}"
[[ "$DB" == mysql ]] && export POSTERN_TEST_MYSQL_URL="${POSTERN_TEST_MYSQL_URL:-mysql://root@127.0.0.1:3306/test}"
pin=(); [[ "${PIN:-1}" == 1 ]] && command -v taskset >/dev/null && pin=(taskset -c 0)
cd "$ROOT"
"${pin[@]}" node --import tsx bench/routing-drain.ts | grep '^RESULT routing-drain'
