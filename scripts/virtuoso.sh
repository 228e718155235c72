#!/usr/bin/env bash
# A private Virtuoso Open Source instance for the tests and for trying the service over
# an external SPARQL store.  Everything lives in one directory: its own virtuoso.ini,
# database, log, pid file and an `env` file with the endpoints and credentials.
#
#   scripts/virtuoso.sh install       install Debian's virtuoso-opensource when missing (root)
#   scripts/virtuoso.sh preseed       answer the package's DBA-password question in advance
#   scripts/virtuoso.sh start DIR     configure (first time) and start; wait until it answers;
#                                     print the env file (shell assignments)
#   scripts/virtuoso.sh stop DIR      stop the instance started in DIR
#   scripts/virtuoso.sh status DIR    exit 0 when the instance in DIR answers
#
# The instance listens on 127.0.0.1 only, on free ports (or VIRTUOSO_PORT and
# VIRTUOSO_HTTP_PORT).  On first start the default `dba` password is replaced by a random
# one (or VIRTUOSO_DBA_PASSWORD), and a user `educluster` (password random, or
# VIRTUOSO_USER_PASSWORD) is created with the SPARQL_UPDATE role, for the authenticated
# endpoint /sparql-auth (HTTP digest).  The anonymous /sparql endpoint stays read-only.
# The copies of the OWL and LDP vocabularies Virtuoso loads into graphs of their own are
# removed: a query's default graph is the union of all graphs, and their axioms (e.g.
# owl:equivalentClass rdfs:subPropertyOf rdfs:subClassOf) would enter the derivations.
set -euo pipefail

VIRTUOSO_BIN=${VIRTUOSO_BIN:-virtuoso-t}
ISQL_BIN=${ISQL_BIN:-isql-vt}
START_TIMEOUT=${VIRTUOSO_START_TIMEOUT:-120}

die() { echo "virtuoso.sh: $*" >&2; exit 1; }

have_virtuoso() {
  command -v "$VIRTUOSO_BIN" >/dev/null 2>&1 && command -v "$ISQL_BIN" >/dev/null 2>&1
}

# The package may ask for a DBA password: preseed an empty answer, the instance made by
# `start` sets its own.  (scripts/install-system-deps.sh calls this too.)
cmd_preseed() {
  if command -v debconf-set-selections >/dev/null 2>&1; then
    printf '%s\n' \
      "virtuoso-opensource-7 virtuoso-opensource-7/dba-password password " \
      "virtuoso-opensource-7 virtuoso-opensource-7/dba-password-again password " \
      | debconf-set-selections || true
  fi
}

cmd_install() {
  have_virtuoso && return 0
  [ "$(id -u)" -eq 0 ] || die "virtuoso-opensource is missing; run as root or install it"
  export DEBIAN_FRONTEND=noninteractive
  cmd_preseed
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends virtuoso-opensource
  have_virtuoso || die "virtuoso-t or isql-vt still missing after installation"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

random_secret() {
  head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n'
}

# isql DIR SQL...: run SQL as dba on the instance in DIR
isql() {
  local dir=$1; shift
  # shellcheck disable=SC1091
  . "$dir/env"
  "$ISQL_BIN" "127.0.0.1:$VIRTUOSO_PORT" dba "$VIRTUOSO_DBA_PASSWORD" \
    VERBOSE=OFF BANNER=OFF PROMPT=OFF ECHO=OFF ERRORS=STDOUT "exec=$*"
}

write_config() {
  local dir=$1 port http_port
  port=${VIRTUOSO_PORT:-$(free_port)}
  http_port=${VIRTUOSO_HTTP_PORT:-$(free_port)}
  while [ "$http_port" = "$port" ]; do http_port=$(free_port); done
  umask 077
  cat >"$dir/env" <<EOF
VIRTUOSO_DIR='$dir'
VIRTUOSO_PORT=$port
VIRTUOSO_HTTP_PORT=$http_port
VIRTUOSO_SPARQL_URL='http://127.0.0.1:$http_port/sparql'
VIRTUOSO_AUTH_URL='http://127.0.0.1:$http_port/sparql-auth'
VIRTUOSO_USER=educluster
VIRTUOSO_USER_PASSWORD='${VIRTUOSO_USER_PASSWORD:-$(random_secret)}'
VIRTUOSO_DBA_PASSWORD=dba
EOF
  umask 022
  cat >"$dir/virtuoso.ini" <<EOF
; A private instance made by scripts/virtuoso.sh: loopback only.
[Database]
DatabaseFile       = $dir/virtuoso.db
ErrorLogFile       = $dir/virtuoso.log
LockFile           = $dir/virtuoso.lck
TransactionFile    = $dir/virtuoso.trx
xa_persistent_file = $dir/virtuoso.pxa
ErrorLogLevel      = 7
FileExtend         = 200
MaxCheckpointRemap = 2000
Striping           = 0
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile       = $dir/virtuoso-temp.db
TransactionFile    = $dir/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping           = 0

[Parameters]
ServerPort               = 127.0.0.1:$port
LiteMode                 = 0
DisableUnixSocket        = 1
DisableTcpSocket         = 0
MaxClientConnections     = 20
CheckpointInterval       = 60
O_DIRECT                 = 0
CaseMode                 = 2
MaxStaticCursorRows      = 5000
CheckpointAuditTrail     = 0
AllowOSCalls             = 0
SchedulerInterval        = 10
DirsAllowed              = ., $dir, /usr/share/virtuoso-opensource-7/vad
ThreadCleanupInterval    = 0
ThreadThreshold          = 10
ResourcesCleanupInterval = 0
FreeTextBatchSize        = 100000
SingleCPU                = 0
VADInstallDir            = /usr/share/virtuoso-opensource-7/vad/
PrefixResultNames        = 0
RdfFreeTextRulesSize     = 100
IndexTreeMaps            = 64
MaxQueryMem              = 512M
NumberOfBuffers          = 20000
MaxDirtyBuffers          = 15000

[HTTPServer]
ServerPort                  = 127.0.0.1:$http_port
ServerRoot                  = /var/lib/virtuoso-opensource-7/vsp
MaxClientConnections        = 20
DavRoot                     = DAV
EnabledDavVSP               = 0
HTTPProxyEnabled            = 0
TempASPXDir                 = 0
ServerThreads               = 20
MaxKeepAlives               = 10
KeepAliveTimeout            = 10
HTTPThreadSize              = 280000
HttpPrintWarningsInOutput   = 0
Charset                     = UTF-8
EnabledGzipContent          = 0

[Client]
SQL_PREFETCH_ROWS  = 100
SQL_PREFETCH_BYTES = 16000
SQL_QUERY_TIMEOUT  = 0
SQL_TXN_TIMEOUT    = 0

[URIQA]
DynamicLocal = 0
DefaultHost  = 127.0.0.1:$http_port

[SPARQL]
ResultSetMaxRows           = 1000000
MaxQueryCostEstimationTime = 400
MaxQueryExecutionTime      = 120
DeferInferenceRulesInit    = 0
EOF
}

answers() {
  # shellcheck disable=SC1091
  . "$1/env"
  python3 - "$VIRTUOSO_SPARQL_URL" <<'EOF' >/dev/null 2>&1
import sys, urllib.parse, urllib.request
url = sys.argv[1] + "?" + urllib.parse.urlencode({"query": "ASK {}"})
req = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
with urllib.request.urlopen(req, timeout=5) as response:
    sys.exit(0 if b"boolean" in response.read() else 1)
EOF
}

running_pid() {
  local pidfile=$1/virtuoso.pid
  [ -f "$pidfile" ] || return 1
  local pid
  pid=$(cat "$pidfile")
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

cmd_start() {
  local dir=${1:?usage: virtuoso.sh start DIR}
  have_virtuoso || die "virtuoso-opensource is not installed (run: $0 install)"
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if running_pid "$dir" >/dev/null; then
    answers "$dir" && { cat "$dir/env"; return 0; }
    die "an instance is running in $dir but does not answer"
  fi
  [ -f "$dir/virtuoso.ini" ] || write_config "$dir"
  rm -f "$dir/virtuoso.lck"
  (cd "$dir" && exec "$VIRTUOSO_BIN" +foreground +configfile "$dir/virtuoso.ini" \
      >"$dir/stdout.log" 2>&1 </dev/null) &
  echo $! >"$dir/virtuoso.pid"
  local waited=0
  until answers "$dir"; do
    if ! running_pid "$dir" >/dev/null; then
      tail -n 20 "$dir/virtuoso.log" "$dir/stdout.log" >&2 2>/dev/null || true
      die "virtuoso-t exited during start-up (see $dir/virtuoso.log)"
    fi
    waited=$((waited + 1))
    [ "$waited" -lt "$START_TIMEOUT" ] || die "no answer from Virtuoso after ${START_TIMEOUT}s"
    sleep 1
  done
  # shellcheck disable=SC1091
  . "$dir/env"
  if [ "$VIRTUOSO_DBA_PASSWORD" = dba ]; then
    local dba_password=${VIRTUOSO_DBA_PASSWORD_NEW:-$(random_secret)}
    isql "$dir" "
      DB.DBA.USER_CREATE('$VIRTUOSO_USER', '$VIRTUOSO_USER_PASSWORD');
      GRANT SPARQL_UPDATE TO \"$VIRTUOSO_USER\";
      DB.DBA.RDF_DEFAULT_USER_PERMS_SET('$VIRTUOSO_USER', 7);
      DB.DBA.RDF_DEFAULT_USER_PERMS_SET('nobody', 1);
      SPARQL CLEAR GRAPH <http://www.w3.org/2002/07/owl#>;
      SPARQL CLEAR GRAPH <http://www.w3.org/ns/ldp#>;
      DB.DBA.USER_PASSWORD_SET('dba', '$dba_password');
      checkpoint;" >"$dir/setup.log" 2>&1 \
      || { cat "$dir/setup.log" >&2; die "configuring users failed"; }
    if grep -q -i 'error' "$dir/setup.log"; then
      cat "$dir/setup.log" >&2
      die "configuring users failed"
    fi
    sed -i "s/^VIRTUOSO_DBA_PASSWORD=.*/VIRTUOSO_DBA_PASSWORD='$dba_password'/" "$dir/env"
  fi
  cat "$dir/env"
}

cmd_stop() {
  local dir=${1:?usage: virtuoso.sh stop DIR}
  local pid
  pid=$(running_pid "$dir") || { rm -f "$dir/virtuoso.pid"; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  local waited=0
  while kill -0 "$pid" 2>/dev/null; do
    waited=$((waited + 1))
    if [ "$waited" -ge 60 ]; then
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.5
  done
  rm -f "$dir/virtuoso.pid"
}

cmd_status() {
  local dir=${1:?usage: virtuoso.sh status DIR}
  running_pid "$dir" >/dev/null && answers "$dir"
}

case "${1:-}" in
  install) cmd_install ;;
  preseed) cmd_preseed ;;
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  status) shift; cmd_status "$@" ;;
  *) echo "usage: $0 install | preseed | start DIR | stop DIR | status DIR" >&2; exit 2 ;;
esac
