#!/usr/bin/env bash
# Ensure the registry program the engine tests start themselves (test/helpers/registry.ts runs
# `docker-registry serve` on 127.0.0.1 with its own config), and that Debian's packaged
# registry service is not running: it listens on :5000 on all interfaces. Idempotent; prints
# what it did.
#   1. If /usr/bin/docker-registry is missing: as root on Debian, apt-get install docker-registry
#      (distribution 2.8), its service kept from starting during the install (policy-rc.d).
#   2. The packaged service docker-registry is stopped if it runs, and disabled (systemd unit and
#      SysV links), so that it does not start at boot either.
set -euo pipefail

log() { printf 'registry: %s\n' "$*"; }
die() { printf 'registry: error: %s\n' "$*" >&2; exit 1; }

BINARY=/usr/bin/docker-registry
SERVICE=docker-registry
PACKAGED_CONFIG=/etc/docker/registry/config.yml

is_root() { [ "$(id -u)" = 0 ]; }
systemd_runs() { [ -d /run/systemd/system ]; }

install_registry() {
  is_root || die "$BINARY is missing, and installing docker-registry needs root"
  command -v apt-get >/dev/null 2>&1 || die "$BINARY is missing, and this is not a Debian system (no apt-get)"
  log "installing docker-registry with apt-get (its service kept from starting)"
  local policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    # invoke-rc.d and deb-systemd-invoke start no service while policy-rc.d exits 101.
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-registry >/dev/null
  [ -x "$BINARY" ] || die "apt-get installed docker-registry, but $BINARY is not there"
  log "docker-registry installed"
}

# PIDs of the packaged service: docker-registry (argv[0]) serving the packaged config; nothing else is matched.
service_pids() {
  local f pid
  for f in $(grep -slzF -- "$PACKAGED_CONFIG" /proc/[0-9]*/cmdline 2>/dev/null || true); do
    [ "$(head -zn1 "$f" 2>/dev/null | tr -d '\0')" = "$BINARY" ] || continue
    pid="${f#/proc/}"
    printf '%s\n' "${pid%/cmdline}"
  done
}

stop_service() {
  local pids
  pids="$(service_pids)"
  [ -n "$pids" ] || { log "the packaged $SERVICE service is not running"; return; }
  is_root || die "the packaged $SERVICE service runs (PIDs $pids; it listens on :5000 on all interfaces), and stopping it needs root"
  log "stopping the packaged $SERVICE service (PIDs $(echo $pids))"
  if systemd_runs; then systemctl stop "$SERVICE" || true; else /etc/init.d/"$SERVICE" stop >/dev/null 2>&1 || true; fi
  for _ in $(seq 1 50); do
    [ -z "$(service_pids)" ] && return
    sleep 0.1
  done
  for p in $(service_pids); do kill "$p" 2>/dev/null || true; done
  for _ in $(seq 1 50); do
    [ -z "$(service_pids)" ] && return
    sleep 0.1
  done
  die "the packaged $SERVICE service still runs (PIDs $(service_pids))"
}

service_enabled() {
  compgen -G "/etc/rc[2-5].d/S*$SERVICE" >/dev/null && return 0
  [ -e "/etc/systemd/system/multi-user.target.wants/$SERVICE.service" ]
}

disable_service() {
  if ! service_enabled; then
    log "the packaged $SERVICE service is not enabled"
    return
  fi
  is_root || die "the packaged $SERVICE service is enabled to start at boot (on :5000, all interfaces), and disabling it needs root"
  log "disabling the packaged $SERVICE service (it would listen on :5000 on all interfaces)"
  if command -v systemctl >/dev/null 2>&1; then systemctl disable "$SERVICE" >/dev/null 2>&1 || true; fi
  if command -v update-rc.d >/dev/null 2>&1; then update-rc.d "$SERVICE" disable >/dev/null 2>&1 || true; fi
  rm -f "/etc/systemd/system/multi-user.target.wants/$SERVICE.service"
  ! service_enabled || die "could not disable the packaged $SERVICE service"
}

if [ -x "$BINARY" ]; then
  log "$BINARY present"
else
  install_registry
fi
stop_service
disable_service
