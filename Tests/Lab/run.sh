#!/usr/bin/env bash
# harborwatch test lab: two Harbor-like sites (hub-1 primary, hub-2 secondary) built from
# real software on 127.0.0.1 (nginx, docker-registry 2.8, rsyslog, logrotate, skopeo, curl),
# a scripted scenario, and a ground-truth file.  See README.md beside this file.
#
#   Tests/Lab/run.sh [--mode syslog|plain] [--seed N] [--out DIR]
#                    [--syslog-tz ZONE] [--nginx-log docker|native] [--keep-work] [--hold]
#
# Installs nothing.  Stops every process it started (by PID) on exit, error or interruption.
set -euo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MODE=syslog
SEED=1
OUT=""
KEEP_WORK=0
HOLD=0
SYSLOG_TZ=UTC
NGINX_LOG=docker

usage() { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --mode) MODE=${2:?}; shift 2 ;;
    --mode=*) MODE=${1#*=}; shift ;;
    --seed) SEED=${2:?}; shift 2 ;;
    --seed=*) SEED=${1#*=}; shift ;;
    --out) OUT=${2:?}; shift 2 ;;
    --out=*) OUT=${1#*=}; shift ;;
    --syslog-tz) SYSLOG_TZ=${2:?}; shift 2 ;;   # zone of the syslog prefix times (payloads stay UTC)
    --nginx-log) NGINX_LOG=${2:?}; shift 2 ;;   # syslog mode: docker (stdout -> logger, as Harbor) | native (nginx's syslog:)
    --keep-work) KEEP_WORK=1; shift ;;
    --hold) HOLD=1; shift ;;   # start everything, print ports, wait for Ctrl-C (debugging)
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown argument: $1" >&2; usage >&2; exit 64 ;;
  esac
done
case "$MODE" in syslog|plain) ;; *) echo "run.sh: --mode must be syslog or plain" >&2; exit 64 ;; esac
case "$NGINX_LOG" in docker|native) ;; *) echo "run.sh: --nginx-log must be docker or native" >&2; exit 64 ;; esac
case "$SEED" in ''|*[!0-9]*) echo "run.sh: --seed must be a number" >&2; exit 64 ;; esac

# ---------------------------------------------------------------- tools
# command -> Debian package that ships it
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3 || true)
declare -A PKG=(
  [nginx]=nginx [docker-registry]=docker-registry [logrotate]=logrotate [skopeo]=skopeo
  [openssl]=openssl [curl]=curl [gzip]=gzip [python3]=python3
)
if [ "$MODE" = syslog ]; then PKG[rsyslogd]=rsyslog; PKG[logger]=bsdutils; fi
missing=()
for cmd in "${!PKG[@]}"; do
  if [ "$cmd" = python3 ]; then [ -n "$PY" ] && continue; fi
  command -v "$cmd" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin" command -v "$cmd" >/dev/null 2>&1 || missing+=("${PKG[$cmd]}")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "run.sh: missing tools; install them with:" >&2
  echo "  apt-get install -y --no-install-recommends $(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')" >&2
  exit 2
fi
export PATH="$PATH:/usr/sbin:/sbin"

T0=$(date +%s.%N)
[ -n "$OUT" ] || OUT=$(mktemp -d "${TMPDIR:-/tmp}/harborwatch-lab.XXXXXX")
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
rm -rf "$OUT/hub-1" "$OUT/hub-2" "$OUT/truth.jsonl" "$OUT/lab-run.txt"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/harborwatch-lab-work.XXXXXX")
LABLOG="$OUT/lab-run.txt"   # not *.log: harborwatch would read it as a log
: > "$LABLOG"
log() { printf '%s lab: %s\n' "$(date -u +%H:%M:%S)" "$*" | tee -a "$LABLOG" >&2; }

# ---------------------------------------------------------------- process bookkeeping
# Groups are stopped in this order: clients are foreground; then servers; then loggers
# (they end on EOF); then rsyslog.
SERVER_PIDS=()
LOGGER_PIDS=()
RSYSLOG_PIDS=()
stop_pids() {  # stop_pids SECONDS pid...   TERM, wait, then KILL what is left
  local grace=$1; shift
  local pid
  for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
  local deadline=$(( $(date +%s%N) + grace * 1000000000 ))
  for pid in "$@"; do
    while kill -0 "$pid" 2>/dev/null && [ "$(date +%s%N)" -lt "$deadline" ]; do sleep 0.05; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}
wait_exit() {  # wait_exit SECONDS pid...   wait for processes to end by themselves, then stop them
  local grace=$1; shift
  local deadline=$(( $(date +%s%N) + grace * 1000000000 )) pid
  for pid in "$@"; do
    while kill -0 "$pid" 2>/dev/null && [ "$(date +%s%N)" -lt "$deadline" ]; do sleep 0.05; done
  done
  stop_pids 1 "$@"
}
CLEANED=0
cleanup() {
  local rc=$?
  [ "$CLEANED" = 1 ] && return
  CLEANED=1
  trap - INT TERM
  [ ${#SERVER_PIDS[@]} -gt 0 ] && stop_pids 3 "${SERVER_PIDS[@]}"
  [ ${#LOGGER_PIDS[@]} -gt 0 ] && wait_exit 3 "${LOGGER_PIDS[@]}"
  sleep 0.3  # let rsyslog write what the loggers handed over
  [ ${#RSYSLOG_PIDS[@]} -gt 0 ] && stop_pids 3 "${RSYSLOG_PIDS[@]}"
  if [ "$KEEP_WORK" = 1 ]; then echo "run.sh: work directory kept: $WORK" >&2; else rm -rf "$WORK"; fi
  return $rc
}
trap cleanup EXIT
trap 'echo "run.sh: interrupted" >&2; exit 130' INT
trap 'echo "run.sh: terminated" >&2; exit 143' TERM

# ---------------------------------------------------------------- ports, keys, users
# Ask the kernel for free ports on 127.0.0.1 (all sockets held open together, so distinct).
read -r -a PORTS < <("$PY" - <<'EOF'
import socket
socks = []
for _ in range(8):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
)
declare -A NGINX_PORT REG_PORT TOKEN_PORT SYSLOG_PORT
NGINX_PORT[hub-1]=${PORTS[0]}; REG_PORT[hub-1]=${PORTS[1]}; TOKEN_PORT[hub-1]=${PORTS[2]}; SYSLOG_PORT[hub-1]=${PORTS[3]}
NGINX_PORT[hub-2]=${PORTS[4]}; REG_PORT[hub-2]=${PORTS[5]}; TOKEN_PORT[hub-2]=${PORTS[6]}; SYSLOG_PORT[hub-2]=${PORTS[7]}
# "portal" upstream of nginx's `location /`: a port nobody listens on (portal down -> 502 + error log)
PORTAL_PORT=9

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/token.key" -out "$WORK/token.crt" \
  -days 2 -subj "/CN=harbor-token-issuer" >/dev/null 2>&1
openssl x509 -in "$WORK/token.crt" -outform DER -out "$WORK/token.der"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/tls.key" -out "$WORK/tls.crt" \
  -days 2 -subj "/CN=127.0.0.1" >/dev/null 2>&1

"$PY" -B "$LAB_DIR/scenario.py" --write-users "$WORK/users.json"

DPID=$$   # stands for dockerd's PID in the syslog prefix (one per host, as in Harbor)

# ---------------------------------------------------------------- per site
start_site() {
  local site=$1
  local w="$WORK/$site" o="$OUT/$site"
  mkdir -p "$w/storage" "$w/nginx/tmp" "$w/rsyslog" "$o"
  chmod 0777 "$w/nginx/tmp"   # nginx workers run as nobody
  local np=${NGINX_PORT[$site]} rp=${REG_PORT[$site]} tp=${TOKEN_PORT[$site]} sp=${SYSLOG_PORT[$site]}

  cat > "$w/registry.yml" <<EOF
version: 0.1
log:
  level: info
  fields:
    service: registry
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: $w/storage
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:$rp
  secret: lab-secret-$site
  headers:
    X-Content-Type-Options: [nosniff]
auth:
  token:
    realm: https://127.0.0.1:$np/service/token
    service: harbor-registry
    issuer: harbor-token-issuer
    rootcertbundle: $WORK/token.crt
health:
  storagedriver:
    enabled: false
EOF

  local access_log error_log
  if [ "$MODE" = syslog ] && [ "$NGINX_LOG" = native ]; then
    access_log="access_log syslog:server=127.0.0.1:$sp,tag=proxy timed_combined;"
    error_log="error_log syslog:server=127.0.0.1:$sp,tag=proxy error;"
  elif [ "$MODE" = syslog ]; then
    # Harbor: nginx logs to stdout/stderr, docker's syslog driver ships them with tag proxy
    access_log="access_log /dev/stdout timed_combined;"
    error_log="error_log stderr error;"
  else
    access_log="access_log $o/access.log combined_rid;"
    error_log="error_log $o/error.log error;"
  fi
  cat > "$w/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $w/nginx/nginx.pid;
$error_log
events { worker_connections 512; use epoll; multi_accept on; }
http {
  client_body_temp_path $w/nginx/tmp/client_body;
  proxy_temp_path $w/nginx/tmp/proxy;
  fastcgi_temp_path $w/nginx/tmp/fastcgi;
  uwsgi_temp_path $w/nginx/tmp/uwsgi;
  scgi_temp_path $w/nginx/tmp/scgi;
  tcp_nodelay on;
  include /etc/nginx/mime.types;
  default_type application/octet-stream;

  # Harbor's nginx.https.conf.jinja
  map \$http_x_forwarded_proto \$x_forwarded_proto {
    default \$http_x_forwarded_proto;
    ""      \$scheme;
  }
  # lab: the /registry/ prefix forwards Authorization only on reads (seed case: writes lose it)
  map \$request_method \$lab_read_authorization {
    GET     \$http_authorization;
    HEAD    \$http_authorization;
    default "";
  }
  upstream core { server 127.0.0.1:$rp; }      # registry: core's /v2/ proxy is not emulated
  upstream token { server 127.0.0.1:$tp; }     # lab stand-in for core's /service/token
  upstream portal { server 127.0.0.1:$PORTAL_PORT; }

  log_format timed_combined '\$remote_addr - '
    '"\$request" \$status \$body_bytes_sent '
    '"\$http_referer" "\$http_user_agent" '
    '\$request_time \$upstream_response_time \$pipe';
  log_format combined_rid '\$remote_addr - \$remote_user [\$time_local] '
    '"\$request" \$status \$body_bytes_sent '
    '"\$http_referer" "\$http_user_agent" \$request_id';
  $access_log

  server {
    listen 127.0.0.1:$np ssl;
    server_tokens off;
    ssl_certificate $WORK/tls.crt;
    ssl_certificate_key $WORK/tls.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    client_max_body_size 0;
    chunked_transfer_encoding on;
    add_header X-Frame-Options DENY always;
    add_header Content-Security-Policy "frame-ancestors 'none'" always;

    location / {
      proxy_pass http://portal/;
      proxy_set_header Host \$http_host;
      proxy_set_header X-Real-IP \$remote_addr;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto \$x_forwarded_proto;
      proxy_buffering off;
      proxy_request_buffering off;
    }
    location /v2/ {
      proxy_pass http://core/v2/;
      proxy_http_version 1.1;   # core (Go) talks HTTP/1.1 to the registry in Harbor
      proxy_set_header Host \$http_host;
      proxy_set_header X-Real-IP \$remote_addr;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto \$x_forwarded_proto;
      proxy_buffering off;
      proxy_request_buffering off;
      proxy_send_timeout 900;
      proxy_read_timeout 900;
    }
    location /service/ {
      proxy_pass http://token/service/;
      proxy_set_header Host \$http_host;
      proxy_set_header X-Real-IP \$remote_addr;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto \$x_forwarded_proto;
      proxy_buffering off;
      proxy_request_buffering off;
    }
    location /service/notifications { return 404; }
    location /v1/ { return 404; }
    location /registry/ {
      proxy_pass http://core/;
      proxy_http_version 1.1;
      proxy_set_header Host \$http_host;
      proxy_set_header X-Real-IP \$remote_addr;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto \$x_forwarded_proto;
      proxy_set_header Authorization \$lab_read_authorization;
      proxy_buffering off;
      proxy_request_buffering off;
    }
  }
}
EOF

  if [ "$MODE" = syslog ]; then
    # Harbor's make/photon/log/rsyslog.conf + rsyslog_docker.conf, with lab ports and paths.
    cat > "$w/rsyslog/rsyslog.conf" <<EOF
\$MaxMessageSize 32k
module(load="imudp")
input(type="imudp" address="127.0.0.1" port="$sp")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="$sp")
\$ActionFileDefaultTemplate RSYSLOG_TraditionalFileFormat
\$RepeatedMsgReduction on
\$FileCreateMode 0644
\$DirCreateMode 0755
\$Umask 0022
\$WorkDirectory $w/rsyslog
template(name="DynaFile" type="string"
	string="$o/%syslogtag:R,ERE,0,DFLT:[^[]*--end:secpath-replace%.log"
)
if \$programname != "rsyslogd" then -?DynaFile
EOF
    rsyslogd -n -f "$w/rsyslog/rsyslog.conf" -i "$w/rsyslog/rsyslog.pid" >>"$LABLOG" 2>&1 &
    RSYSLOG_PIDS+=($!)
  fi
}

# start a component; in syslog mode its stdout+stderr go through `logger` (tag TAG) to rsyslog
start_component() {  # start_component SITE TAG PLAINFILE cmd...
  local site=$1 tag=$2 plainfile=$3; shift 3
  if [ "$MODE" = syslog ]; then
    local fifo="$WORK/$site/$tag.fifo"
    mkfifo "$fifo"
    TZ="$SYSLOG_TZ" logger --rfc3164 -T -n 127.0.0.1 -P "${SYSLOG_PORT[$site]}" -t "$tag" --id="$DPID" \
      -p daemon.info --size 32768 --skip-empty <"$fifo" >>"$LABLOG" 2>&1 &
    LOGGER_PIDS+=($!)
    "$@" >"$fifo" 2>&1 &
    SERVER_PIDS+=($!)
  elif [ -n "$plainfile" ]; then
    "$@" >>"$OUT/$site/$plainfile" 2>&1 &
    SERVER_PIDS+=($!)
  else
    "$@" >>"$LABLOG" 2>&1 &
    SERVER_PIDS+=($!)
  fi
}

wait_port() {  # wait_port PORT WHAT
  local i
  for i in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  log "timeout waiting for $2 on port $1"; return 1
}

for site in hub-1 hub-2; do start_site "$site"; done
if [ "$MODE" = syslog ]; then
  for site in hub-1 hub-2; do wait_port "${SYSLOG_PORT[$site]}" "rsyslog $site"; done
fi
for site in hub-1 hub-2; do
  w="$WORK/$site"
  start_component "$site" core core.log \
    "$PY" -B -u "$LAB_DIR/tokensvc.py" --port "${TOKEN_PORT[$site]}" --site "$site" --key "$WORK/token.key" \
      --cert-der "$WORK/token.der" --users "$WORK/users.json" --decisions "$w/token-decisions.jsonl"
  start_component "$site" registry registry.log env TZ=UTC docker-registry serve "$w/registry.yml"
  if [ "$NGINX_LOG" = native ]; then
    nginx -p "$w/nginx" -c "$w/nginx/nginx.conf" >>"$LABLOG" 2>&1 &
    SERVER_PIDS+=($!)
  else
    start_component "$site" proxy "" nginx -p "$w/nginx" -c "$w/nginx/nginx.conf"
  fi
done
for site in hub-1 hub-2; do
  wait_port "${TOKEN_PORT[$site]}" "token service $site"
  wait_port "${REG_PORT[$site]}" "registry $site"
  wait_port "${NGINX_PORT[$site]}" "nginx $site"
done
T_UP=$(date +%s.%N)
log "mode=$MODE seed=$SEED out=$OUT up in $(awk "BEGIN{printf \"%.1f\", $T_UP-$T0}")s;" \
  "hub-1 nginx=${NGINX_PORT[hub-1]} registry=${REG_PORT[hub-1]} token=${TOKEN_PORT[hub-1]} syslog=${SYSLOG_PORT[hub-1]};" \
  "hub-2 nginx=${NGINX_PORT[hub-2]} registry=${REG_PORT[hub-2]} token=${TOKEN_PORT[hub-2]} syslog=${SYSLOG_PORT[hub-2]}"

cat > "$WORK/logrotate.conf" <<EOF
# Harbor's make/photon/prepare/templates/log/logrotate.conf.jinja (defaults), lab paths.
# The lab forces the run (-f): 200M is never reached by a few minutes of traffic.
$OUT/hub-1/*.log $OUT/hub-2/*.log {
    rotate 50
    size 200M
    copytruncate
    compress
    missingok
    nodateext
}
EOF

cat > "$WORK/lab.json" <<EOF
{"mode": "$MODE", "seed": $SEED, "dpid": $DPID, "out": "$OUT", "work": "$WORK",
 "syslog_tz": "$( [ "$MODE" = syslog ] && echo "$SYSLOG_TZ" )",
 "logrotate": ["logrotate", "--force", "--state", "$WORK/logrotate.state", "$WORK/logrotate.conf"],
 "sites": {
  "hub-1": {"nginx": ${NGINX_PORT[hub-1]}, "registry": ${REG_PORT[hub-1]}, "token": ${TOKEN_PORT[hub-1]}, "syslog": ${SYSLOG_PORT[hub-1]}},
  "hub-2": {"nginx": ${NGINX_PORT[hub-2]}, "registry": ${REG_PORT[hub-2]}, "token": ${TOKEN_PORT[hub-2]}, "syslog": ${SYSLOG_PORT[hub-2]}}
 }}
EOF

if [ "$HOLD" = 1 ]; then
  log "holding (Ctrl-C to stop); lab config: $WORK/lab.json"
  while :; do sleep 1; done
fi

# the scenario runs in the background so that a signal reaches the trap at once; the trap
# stops it (and it stops its own children) before the servers
"$PY" -B -u "$LAB_DIR/scenario.py" --lab "$WORK/lab.json" 2> >(tee -a "$LABLOG" >&2) &
SCENARIO_PID=$!
SERVER_PIDS=("$SCENARIO_PID" "${SERVER_PIDS[@]}")
set +e
wait "$SCENARIO_PID"
SCENARIO_RC=$?
set -e

log "stopping"
cleanup
T_END=$(date +%s.%N)
log "done in $(awk "BEGIN{printf \"%.1f\", $T_END-$T0}")s; logs in $OUT/hub-1 and $OUT/hub-2, truth in $OUT/truth.jsonl"
find "$OUT" -type f | sort | sed "s|^$OUT/|  |" >&2
if [ "$SCENARIO_RC" != 0 ]; then
  log "scenario reported problems (exit $SCENARIO_RC): see the summary record in truth.jsonl"
  exit 1
fi
