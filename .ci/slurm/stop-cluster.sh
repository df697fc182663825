#!/usr/bin/env bash
# Stop the single-node SLURM cluster started by .ci/slurm/start-cluster.sh.
# Kills slurmd, slurmctld and (unless --keep-munge) munged by their PID files.
# Job state in /var/spool/slurm* is kept; safe to run when nothing is running.
set -euo pipefail

stop() {  # stop PIDFILE: TERM the daemon and wait up to 15 s for it to exit
  local pidfile=$1 pid
  [[ -s $pidfile ]] || return 0
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
  rm -f "$pidfile"
}

stop /run/slurmd.pid
stop /run/slurmctld.pid
[[ ${1:-} == --keep-munge ]] || stop /run/munge/munged.pid
echo "SLURM cluster stopped"
