#!/usr/bin/env bash
# Ensure the SSH and git programs the session tests use (test/helpers/sshd.mjs runs its own
# `/usr/sbin/sshd -D -f <config>` on 127.0.0.1 at a free port; ssh-agent.mjs, git-repo.mjs and
# tools-image.mjs use ssh, ssh-agent, ssh-add, ssh-keygen and git), and that Debian's packaged
# ssh service is not running: it listens on :22 on all interfaces. Idempotent; prints what it did.
#   1. If a program is missing: as root on Debian, apt-get install openssh-server openssh-client
#      git, the ssh service kept from starting during the install (policy-rc.d).
#   2. Only when step 1 installed the package: the packaged service ssh is stopped if it runs, and
#      disabled (systemd units, SysV links and Debian's /etc/ssh/sshd_not_to_be_run, which both its
#      init script and its unit obey). An sshd that was already there is the machine owner's: it is
#      left as it is (the tests never use it).
set -euo pipefail

log() { printf 'ssh: %s\n' "$*"; }
die() { printf 'ssh: error: %s\n' "$*" >&2; exit 1; }

SSHD=/usr/sbin/sshd
SERVICE=ssh
PIDFILE=/run/sshd.pid
NOT_TO_BE_RUN=/etc/ssh/sshd_not_to_be_run
PROGRAMS=(ssh ssh-agent ssh-add ssh-keygen git)

is_root() { [ "$(id -u)" = 0 ]; }
systemd_runs() { [ -d /run/systemd/system ]; }

missing() {
  local p out=()
  [ -x "$SSHD" ] || out+=("$SSHD")
  for p in "${PROGRAMS[@]}"; do command -v "$p" >/dev/null 2>&1 || out+=("$p"); done
  printf '%s\n' "${out[@]}"
}

install_ssh() {
  local what="$1"
  is_root || die "missing: $what; installing openssh-server openssh-client git needs root"
  command -v apt-get >/dev/null 2>&1 || die "missing: $what; this is not a Debian system (no apt-get)"
  log "installing openssh-server openssh-client git with apt-get (the ssh service kept from starting)"
  local policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    # invoke-rc.d and deb-systemd-invoke start no service while policy-rc.d exits 101.
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-server openssh-client git >/dev/null
  [ -z "$(missing)" ] || die "apt-get installed openssh-server openssh-client git, but these are missing: $(missing | tr '\n' ' ')"
  log "openssh-server openssh-client git installed"
}

# PIDs of the packaged service: the sshd named by its pid file, while it runs; the tests' own
# sshds keep their pid files in their temp folders.
service_pids() {
  local pid
  [ -r "$PIDFILE" ] || return 0
  pid="$(tr -dc 0-9 <"$PIDFILE")"
  [ -n "$pid" ] || return 0
  [ "$(readlink "/proc/$pid/exe" 2>/dev/null || true)" = "$SSHD" ] && printf '%s\n' "$pid"
  return 0
}

stop_service() {
  local pids
  pids="$(service_pids)"
  [ -n "$pids" ] || { log "the packaged $SERVICE service is not running"; return; }
  is_root || die "the packaged $SERVICE service runs (PID $pids; it listens on :22 on all interfaces), and stopping it needs root"
  log "stopping the packaged $SERVICE service (PID $pids)"
  if systemd_runs; then systemctl stop "$SERVICE.socket" "$SERVICE" >/dev/null 2>&1 || true; else /etc/init.d/"$SERVICE" stop >/dev/null 2>&1 || true; fi
  for _ in $(seq 1 50); do
    [ -z "$(service_pids)" ] && return
    sleep 0.1
  done
  for p in $(service_pids); do kill "$p" 2>/dev/null || true; done
  for _ in $(seq 1 50); do
    [ -z "$(service_pids)" ] && return
    sleep 0.1
  done
  die "the packaged $SERVICE service still runs (PID $(service_pids))"
}

service_enabled() {
  [ -e "$NOT_TO_BE_RUN" ] || return 0
  compgen -G "/etc/rc[2-5].d/S*$SERVICE" >/dev/null && return 0
  [ -e "/etc/systemd/system/multi-user.target.wants/$SERVICE.service" ] && return 0
  [ -e "/etc/systemd/system/sockets.target.wants/$SERVICE.socket" ] && return 0
  [ -e /etc/systemd/system/sshd.service ]
}

disable_service() {
  if [ ! -e /etc/init.d/$SERVICE ] && [ ! -e /lib/systemd/system/$SERVICE.service ] && [ ! -e /usr/lib/systemd/system/$SERVICE.service ]; then
    log "there is no packaged $SERVICE service"
    return
  fi
  if ! service_enabled; then
    log "the packaged $SERVICE service is disabled"
    return
  fi
  is_root || die "the packaged $SERVICE service is enabled to start at boot (on :22, all interfaces), and disabling it needs root"
  log "disabling the packaged $SERVICE service (it would listen on :22 on all interfaces)"
  if command -v systemctl >/dev/null 2>&1; then systemctl disable "$SERVICE.socket" "$SERVICE" >/dev/null 2>&1 || true; fi
  if command -v update-rc.d >/dev/null 2>&1; then update-rc.d "$SERVICE" disable >/dev/null 2>&1 || true; fi
  rm -f "/etc/systemd/system/multi-user.target.wants/$SERVICE.service" "/etc/systemd/system/sockets.target.wants/$SERVICE.socket" /etc/systemd/system/sshd.service
  mkdir -p "$(dirname "$NOT_TO_BE_RUN")"
  printf 'Written by mbuild scripts/ssh.sh: the packaged sshd would listen on :22 on all interfaces.\n' >"$NOT_TO_BE_RUN"
  ! service_enabled || die "could not disable the packaged $SERVICE service"
}

absent="$(missing)"
if [ -z "$absent" ]; then
  log "$SSHD ${PROGRAMS[*]} present; the system's ssh service, if any, is left as it is"
else
  install_ssh "$(echo $absent)"
  stop_service
  disable_service
fi
