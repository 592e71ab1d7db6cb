# Sourced by the bench scripts: the build they run, the database a run measures, and what it costs per message.
# POSTERN_BENCH_DIST: where bench_build compiles to (default dist/; a private folder keeps a run
# safe from a concurrent `npm run build` of work in progress).
# DB=sqlite (default: a file in the run's temp dir) or DB=mysql (also picked when
# POSTERN_BENCH_MYSQL_URL is set; default mysql://root@127.0.0.1:3306): a throwaway schema
# postern_bench_<pid>_<rand> is created for the run and dropped by bench_db_drop (call it from
# the caller's EXIT trap). bench_db_status snapshots SHOW GLOBAL STATUS counters, so a run can
# print statements, commits and log fsyncs per message (global: other clients of the server count too).
BENCH_MYSQL_BASE="${POSTERN_BENCH_MYSQL_URL:-mysql://root@127.0.0.1:3306}"
BENCH_DB="${DB:-$([[ -n "${POSTERN_BENCH_MYSQL_URL:-}" ]] && echo mysql || echo sqlite)}"
BENCH_DB_URL="" BENCH_DB_SCHEMA=""

# The mysql client's arguments for the base URL (mysql://user[:password]@host[:port][/…]).
bench_mysql_args() {
  local rest="${BENCH_MYSQL_BASE#*://}" cred host port user pass
  cred="${rest%%@*}"; [[ "$rest" == *@* ]] || cred="root"
  host="${rest#*@}"; host="${host%%/*}"; port="${host##*:}"; host="${host%%:*}"; [[ "$port" == "$host" || -z "$port" ]] && port=3306
  user="${cred%%:*}"; pass=""; [[ "$cred" == *:* ]] && pass="${cred#*:}"
  printf '%s\n' -h "$host" -P "$port" -u "$user" ${pass:+"-p$pass"} --protocol=tcp
}
bench_mysql() { local a; mapfile -t a < <(bench_mysql_args); mysql "${a[@]}" "$@"; }

# bench_db_setup WORKDIR: sets BENCH_DB_URL (a SQLite file in WORKDIR, or a fresh MySQL schema).
bench_db_setup() {
  case "$BENCH_DB" in
    sqlite) BENCH_DB_URL="$1/postern.sqlite" ;;
    mysql)
      BENCH_DB_SCHEMA="postern_bench_$$_$RANDOM"
      bench_mysql -e "CREATE DATABASE \`$BENCH_DB_SCHEMA\` CHARACTER SET utf8mb4"
      BENCH_DB_URL="$(node -e 'const u = new URL(process.argv[1]); u.pathname = "/" + process.argv[2]; console.log(u.href)' "$BENCH_MYSQL_BASE" "$BENCH_DB_SCHEMA")" ;;
    *) echo "DB must be sqlite or mysql" >&2; return 1 ;;
  esac
  export BENCH_DB BENCH_DB_URL
}
bench_db_drop() { [[ -n "$BENCH_DB_SCHEMA" ]] && bench_mysql -e "DROP DATABASE IF EXISTS \`$BENCH_DB_SCHEMA\`" 2>/dev/null; BENCH_DB_SCHEMA=""; return 0; }

# One SQL value from the run's database (sqlite: through better-sqlite3, read-only).
bench_db_value() {
  if [[ "$BENCH_DB" == mysql ]]; then bench_mysql -N -B -D "$BENCH_DB_SCHEMA" -e "$1"
  else (cd "$ROOT" && node -e "const D = require('better-sqlite3'); const r = new D(process.argv[1], { readonly: true, fileMustExist: true }).prepare(process.argv[2]).raw().get(); console.log(r.join('\t'))" "$BENCH_DB_URL" "$1"); fi
}

BENCH_STATUS_VARS="'Questions','Com_insert','Com_update','Com_select','Com_commit','Com_stmt_execute','Com_stmt_prepare','Innodb_os_log_fsyncs','Innodb_data_fsyncs','Innodb_row_lock_waits','Innodb_row_lock_time'"
# Prints "name=value …" of the server's counters (MySQL only; nothing on SQLite).
bench_db_status() {
  [[ "$BENCH_DB" == mysql ]] || return 0
  bench_mysql -N -B -e "SHOW GLOBAL STATUS WHERE Variable_name IN ($BENCH_STATUS_VARS)" | awk '{ printf "%s=%s ", $1, $2 }'
  # The server's CPU time when it runs on this machine (clock ticks, user + system).
  local p; p="$(pgrep -o -x mariadbd || pgrep -o -x mysqld || true)"
  [[ -n "$p" ]] && awk '{ printf "cpu_ticks=%d ", $14 + $15 }' "/proc/$p/stat"
  return 0
}
# bench_db_per_msg BEFORE AFTER N: "db_questions_per_msg=… db_commits_per_msg=… db_log_fsyncs_per_msg=… …" from two snapshots.
bench_db_per_msg() {
  [[ "$BENCH_DB" == mysql ]] || return 0
  awk -v b="$1" -v a="$2" -v n="$3" -v hz="$(getconf CLK_TCK)" 'BEGIN {
    split(b, bb, " "); for (i in bb) { split(bb[i], kv, "="); B[kv[1]] = kv[2] }
    split(a, aa, " "); for (i in aa) { split(aa[i], kv, "="); A[kv[1]] = kv[2] }
    split("Questions:questions Com_insert:inserts Com_update:updates Com_select:selects Com_commit:commits Com_stmt_prepare:prepares Innodb_data_fsyncs:data_fsyncs Innodb_row_lock_waits:lock_waits Innodb_row_lock_time:lock_wait_ms", m, " ")
    for (i = 1; i in m; i++) { split(m[i], p, ":"); printf "db_%s_per_msg=%.3f ", p[2], (A[p[1]] - B[p[1]]) / n }
    if ("cpu_ticks" in A) printf "db_server_cpu_ms_per_msg=%.3f ", (A["cpu_ticks"] - B["cpu_ticks"]) * 1000 / hz / n
  }'
}

BENCH_DIST="${POSTERN_BENCH_DIST:-$ROOT/dist}"
# Compiles the server and the bench scripts into BENCH_DIST. tsc emits even when it reports type
# errors (another engineer's work in progress): the run goes on with a warning if the entry exists.
# BENCH_NO_BUILD=1 runs BENCH_DIST as it is (rounds of one build while the sources change).
bench_build() {
  if [[ "${BENCH_NO_BUILD:-0}" == 1 ]]; then echo "[bench] BENCH_NO_BUILD=1: running $BENCH_DIST as built" >&2; return 0; fi
  (cd "$ROOT" && npx tsc -p tsconfig.build.json --outDir "$BENCH_DIST" --tsBuildInfoFile "$BENCH_DIST/.tsbuildinfo" >&2) && return 0
  [[ -f "$BENCH_DIST/server/main.js" ]] || return 1
  echo "[bench] WARNING: tsc reported errors; running what it emitted" >&2
}
