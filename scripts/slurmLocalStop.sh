#!/usr/bin/env bash
# Stops the cluster of scripts/slurmLocalStart.sh: its jobs first, then slurmd, slurmctld and (only if that
# script started it) munged, one at a time. In that order, or slurmd retries its epilog message for seconds.
T="${1:-${RESNET_STUDIO_SLURM_DIR:-/tmp/resnet-studio-slurm}}"
export SLURM_CONF="$T/slurm.conf"
if [ -s "$T/slurmctld.pid" ]; then
  scancel --user="$(id -un)" 2>/dev/null
  for _ in $(seq 100); do [ -z "$(squeue -h 2>/dev/null)" ] && break; sleep 0.1; done
fi
pids=("$T/slurmd.pid" "$T/slurmctld.pid")
[ -e "$T/munged.ours" ] && pids+=(/run/munge/munged.pid)
for f in "${pids[@]}"; do
  p=$(cat "$f" 2>/dev/null) || continue
  kill -TERM "$p" 2>/dev/null || continue
  # Nothing reaps orphans here, so a stopped daemon may linger as a zombie: wait for that state, not for its pid.
  for _ in $(seq 100); do s=$(cut -d' ' -f3 "/proc/$p/stat" 2>/dev/null); [ "${s:-Z}" = Z ] && break; sleep 0.1; done
done
rm -f "$T/munged.ours" "$T/slurmctld.pid" "$T/slurmd.pid"
exit 0
