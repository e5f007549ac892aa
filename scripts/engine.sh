#!/usr/bin/env bash
# Ensure a Docker Engine answers and has a local busybox:latest to build FROM.
# Idempotent: reuses a running engine and an existing image. Prints what it did.
#   1. If the Engine API answers (DOCKER_HOST, else /var/run/docker.sock), use it.
#   2. Otherwise, as root on Debian: apt-get install docker.io busybox-static,
#      start dockerd without a bridge network, and wait for /_ping.
#   3. Seed busybox:latest FROM scratch from the static busybox binary (no registry here).
set -euo pipefail

log() { printf 'engine: %s\n' "$*"; }
die() { printf 'engine: error: %s\n' "$*" >&2; exit 1; }

ping_engine() {
  local host="${DOCKER_HOST:-unix:///var/run/docker.sock}"
  case "$host" in
    unix://*) curl -sf --max-time 2 --unix-socket "${host#unix://}" http://localhost/_ping >/dev/null 2>&1 ;;
    tcp://*)  docker version >/dev/null 2>&1 ;;
    *)        docker version >/dev/null 2>&1 ;;
  esac
}

ensure_curl() {
  command -v curl >/dev/null 2>&1 && return
  [ "$(id -u)" = 0 ] || die "curl is missing and we are not root"
  log "installing curl"
  apt_install curl
}

APT_UPDATED=0
apt_install() {
  if [ "$APT_UPDATED" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

start_dockerd() {
  [ "$(id -u)" = 0 ] || die "no Docker Engine answers at ${DOCKER_HOST:-unix:///var/run/docker.sock}, and starting one needs root"
  command -v apt-get >/dev/null 2>&1 || die "no Docker Engine answers, and this is not a Debian system (no apt-get)"
  if ! command -v dockerd >/dev/null 2>&1 || ! command -v busybox >/dev/null 2>&1 \
     || [ ! -x /bin/busybox ]; then
    log "installing docker.io and busybox-static with apt-get"
    apt_install docker.io busybox-static
  else
    log "docker.io and busybox-static already installed"
  fi
  local logf=/var/log/mbuild-dockerd.log
  log "starting dockerd (--bridge=none, log: $logf)"
  # setsid: the daemon outlives this script and ignores the caller's Ctrl-C.
  setsid dockerd --bridge=none --iptables=false --ip-masq=false >"$logf" 2>&1 < /dev/null &
  for _ in $(seq 1 300); do
    ping_engine && { log "dockerd answers /_ping"; return; }
    sleep 0.1
  done
  tail -20 "$logf" >&2 || true
  die "dockerd did not answer /_ping within 30 s"
}

seed_busybox() {
  if docker image inspect busybox:latest >/dev/null 2>&1; then
    log "busybox:latest present"
    return
  fi
  local bb
  bb="$(command -v busybox || true)"
  if [ -z "$bb" ] || ! file_is_static "$bb"; then
    [ "$(id -u)" = 0 ] || die "busybox:latest is missing and busybox-static cannot be installed without root"
    log "installing busybox-static"
    apt_install busybox-static
    bb=/bin/busybox
  fi
  local dir
  dir="$(mktemp -d)"
  trap 'rm -rf "$dir"' RETURN
  cp "$bb" "$dir/busybox"
  printf 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox","--install","-s","/bin"]\nCMD ["sh"]\n' >"$dir/Dockerfile"
  log "seeding busybox:latest from $bb"
  DOCKER_BUILDKIT=0 docker build -q --network none -t busybox:latest "$dir" >/dev/null 2>&1 \
    || docker build -q --network none -t busybox:latest "$dir" >/dev/null
  log "busybox:latest built"
}

file_is_static() { ! ldd "$1" >/dev/null 2>&1; }

ensure_curl
if ping_engine; then
  log "using the engine at ${DOCKER_HOST:-unix:///var/run/docker.sock}"
else
  start_dockerd
fi
command -v docker >/dev/null 2>&1 || { log "installing the docker client"; apt_install docker.io; }
seed_busybox
