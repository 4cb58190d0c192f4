#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for CI: the indexer suite runs against it as well as on PGlite.
#
#   .ci/postgres.sh start   installs Debian's `postgresql` if no server binaries are found,
#                           creates a fresh cluster in a temporary folder, starts it on a free
#                           port of 127.0.0.1, creates a role and a database, and prints
#                           `DATABASE_URL=postgresql://...` as the last (and only) line of stdout.
#   .ci/postgres.sh stop    stops that cluster and deletes its folder. Safe to call twice, or
#                           after a failed or partial start.
#
# Progress goes to stderr. Any failure ends with one line `postgres.sh: error: ...` and exit 1.
# start records the URL, folder and server pid in a state file (MARKET_PG_STATE, default
# /tmp/market-ci-postgres.env) so that stop, run from another process, can find the cluster.
#
# Authentication: the server listens on 127.0.0.1 only; TCP logins use scram-sha-256 with a
# random password for a non-superuser role `market` (owner of database `market`, may create
# databases). The superuser `postgres` has no password and can only log in through the unix
# socket in the cluster's own folder (peer auth). `trust` on loopback would save two lines but let
# any process on the machine log in as superuser with no password; this costs nothing more.
#
# Durability is switched off (fsync, synchronous_commit, full_page_writes): the cluster lives
# for one CI run and is deleted afterwards, so crash safety buys nothing and costs test time.
set -Eeuo pipefail

STATE=${MARKET_PG_STATE:-/tmp/market-ci-postgres.env}
# The cluster folder lives under /tmp: the postgres user must be able to reach it (a TMPDIR under
# /root would not do), and the unix socket path must stay under ~107 characters.
ROOT=/tmp
PREFIX=market-ci-pg.
DB_NAME=market
DB_USER=market

log() { echo "postgres.sh: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}
# An unexpected failing command still ends with one clear line.
trap 'die "command failed (line $LINENO): $BASH_COMMAND"' ERR

now() { echo "${EPOCHREALTIME/,/.}"; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

# Runs a command as the cluster's owner: `postgres` when we are root (initdb and the server
# refuse to run as root), ourselves otherwise. From inside the cluster folder, so the postgres
# user never has to read our working directory.
as_pg() {
  if [[ $EUID -eq 0 ]]; then
    (cd "$DIR" && runuser -u postgres -- "$@")
  else
    (cd "$DIR" && "$@")
  fi
}

# Sets PG_BIN to a folder holding initdb, pg_ctl, postgres and psql: $PG_BIN if given, else the
# newest Debian /usr/lib/postgresql/<version>/bin, else wherever initdb is on the PATH.
find_pg_bin() {
  local d
  if [[ -n ${PG_BIN:-} ]]; then
    [[ -x $PG_BIN/initdb && -x $PG_BIN/pg_ctl ]] && return 0
    die "PG_BIN=$PG_BIN has no initdb/pg_ctl"
  fi
  # (An unmatched glob stays literal and fails the -x test.)
  for d in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V -r); do
    if [[ -x $d/initdb && -x $d/pg_ctl ]]; then
      PG_BIN=$d
      return 0
    fi
  done
  if d=$(command -v initdb 2>/dev/null) && d=$(dirname "$(readlink -f "$d")") && [[ -x $d/pg_ctl ]]; then
    PG_BIN=$d
    return 0
  fi
  return 1
}

# Debian's packages, only when no server is installed. apt-get needs root (or password-less sudo).
install_pg() {
  local sudo=() t0 out
  if [[ $EUID -ne 0 ]]; then
    sudo -n true 2>/dev/null || die "PostgreSQL is not installed and installing it needs root"
    sudo=(sudo -n)
  fi
  command -v apt-get >/dev/null || die "PostgreSQL is not installed and apt-get is not available"
  log "PostgreSQL not found: apt-get install postgresql"
  t0=$(now)
  out=$(mktemp)
  # Quiet unless it fails; then the tail of apt's output, and the one line.
  if ! { "${sudo[@]}" apt-get update -qq &&
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql; } >"$out" 2>&1; then
    tail -n 20 "$out" >&2
    rm -f "$out"
    die "apt-get install postgresql failed"
  fi
  rm -f "$out"
  find_pg_bin || die "postgresql installed but no initdb/pg_ctl under /usr/lib/postgresql/*/bin"
  log "installed PostgreSQL in $(since "$t0")"
}

# A port that nothing listens on right now (the kernel's pick for port 0).
free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})' 2>/dev/null ||
    python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()'
}

start() {
  local t0 port pw url attempt ok=0
  # A state file left by a run that died without cleaning up: clear that cluster first.
  [[ -e $STATE ]] && stop

  find_pg_bin || install_pg
  log "using $("$PG_BIN/postgres" --version)"
  t0=$(now)

  DIR=$(mktemp -d "$ROOT/${PREFIX}XXXXXX")
  # Recorded at once, so that stop can remove the folder even if what follows fails.
  printf 'PG_DIR=%q\n' "$DIR" >"$STATE"
  [[ $EUID -eq 0 ]] && chown postgres: "$DIR"

  as_pg "$PG_BIN/initdb" -D "$DIR/data" -E UTF8 --no-locale --no-sync \
    --auth-local=peer --auth-host=scram-sha-256 >"$DIR/initdb.log" 2>&1 ||
    {
      tail -n 20 "$DIR/initdb.log" >&2
      die "initdb failed"
    }

  # The port is free when we look; another process could take it before the server binds, so
  # try a few ports before giving up.
  for attempt in 1 2 3; do
    port=$(free_port) || die "could not find a free port (needs node or python3)"
    if as_pg "$PG_BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 -s \
      -o "-p $port -c listen_addresses=127.0.0.1 -k $DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start >/dev/null 2>&1; then
      ok=1
      break
    fi
    log "server did not start on port $port (attempt $attempt)"
  done
  if [[ $ok -ne 1 ]]; then
    tail -n 20 "$DIR/server.log" >&2 || true
    die "pg_ctl start failed"
  fi

  # Role and database, created as the superuser over the cluster's own unix socket.
  pw=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
  as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$DIR" -p "$port" -d postgres \
    -c "CREATE ROLE $DB_USER LOGIN CREATEDB PASSWORD '$pw'" \
    -c "CREATE DATABASE $DB_NAME OWNER $DB_USER" >/dev/null ||
    die "could not create role and database"

  url="postgresql://$DB_USER:$pw@127.0.0.1:$port/$DB_NAME"
  {
    printf 'PG_DIR=%q\n' "$DIR"
    printf 'PG_BIN=%q\n' "$PG_BIN"
    printf 'PG_PORT=%q\n' "$port"
    printf 'PG_PID=%q\n' "$(head -n 1 "$DIR/data/postmaster.pid")"
    printf 'DATABASE_URL=%q\n' "$url"
  } >"$STATE"
  chmod 600 "$STATE"
  log "cluster up on 127.0.0.1:$port in $(since "$t0") ($DIR)"
  echo "DATABASE_URL=$url"
}

stop() {
  local t0 PG_DIR='' PG_PID='' pid
  if [[ ! -e $STATE ]]; then
    log "no cluster to stop"
    return 0
  fi
  t0=$(now)
  # shellcheck disable=SC1090
  source "$STATE"
  # Never delete anything but a folder this script made.
  if [[ -n $PG_DIR && $PG_DIR == "$ROOT/$PREFIX"* && -d $PG_DIR ]]; then
    DIR=$PG_DIR
    if [[ -f $PG_DIR/data/postmaster.pid ]]; then
      pid=$(head -n 1 "$PG_DIR/data/postmaster.pid")
      # The recorded PG_BIN if it still works, else a fresh search (never fatal here).
      [[ -x ${PG_BIN:-}/pg_ctl ]] || { PG_BIN='' && find_pg_bin; } || true
      if ! { [[ -n ${PG_BIN:-} ]] && as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 30 -s stop >/dev/null 2>&1; }; then
        # pg_ctl could not do it: end the server by its pid (it takes its children with it).
        if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
          kill -TERM "$pid" 2>/dev/null || true
          for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
          kill -KILL "$pid" 2>/dev/null || true
        fi
      fi
    fi
    rm -rf "$PG_DIR"
    log "cluster stopped and removed in $(since "$t0")"
  elif [[ ${PG_PID:-} =~ ^[0-9]+$ && $(ps -p "$PG_PID" -o comm= 2>/dev/null) == postgres ]]; then
    # Folder gone (a /tmp cleaner?) but the server still runs: end it by the recorded pid.
    kill -TERM "$PG_PID" 2>/dev/null || true
    log "folder $PG_DIR was already gone; sent TERM to server pid $PG_PID"
  fi
  rm -f "$STATE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
