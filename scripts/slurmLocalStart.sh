#!/usr/bin/env bash
# Starts a one-node SLURM cluster on this machine for the SLURM launcher's tests (Debian's slurm-wlm and munge,
# run as root without systemd or cgroups). Everything listens on 127.0.0.1 only and lives in one folder:
#   scripts/slurmLocalStart.sh [DIR]      (default $RESNET_STUDIO_SLURM_DIR, else /tmp/resnet-studio-slurm)
# Prints the slurm.conf path last; every client command needs it as SLURM_CONF. Exits 0 once a probe job ran.
# Ports 16817/16818 (not SLURM's defaults, so another cluster on this machine is left alone); set
# RESNET_STUDIO_SLURM_PORT to move them. A munged that is already running is reused, and not stopped later.
set -euo pipefail
T="${1:-${RESNET_STUDIO_SLURM_DIR:-/tmp/resnet-studio-slurm}}"
PORT="${RESNET_STUDIO_SLURM_PORT:-16817}"
for tool in slurmctld slurmd munged sbatch; do
  command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || { echo "missing $tool: apt-get install slurm-wlm munge" >&2; exit 3; }
done
[ "$(id -u)" = 0 ] || { echo "the local cluster runs its daemons as root" >&2; exit 3; }
mkdir -p "$T/state" "$T/spool"
rm -f "$T"/*.log "$T/jobcomp.txt"
# RealMemory must not exceed what slurmd detects, or the node is drained.
MEM=$(( $(free -m | awk '/^Mem:/{print $2}') * 90 / 100 ))
CPUS=$(nproc)

if ! { [ -s /run/munge/munged.pid ] && kill -0 "$(cat /run/munge/munged.pid)" 2>/dev/null && munge -n </dev/null | unmunge >/dev/null 2>&1; }; then
  [ -s /etc/munge/munge.key ] || mungekey --create --keyfile=/etc/munge/munge.key
  chown munge:munge /etc/munge/munge.key; chmod 0400 /etc/munge/munge.key
  # Without systemd nothing makes /run/munge; munged refuses to run as root, so it runs as munge.
  install -d -o munge -g munge -m 0755 /run/munge
  runuser -u munge -- /usr/sbin/munged
  munge -n </dev/null | unmunge >/dev/null
  touch "$T/munged.ours"
fi

cat > "$T/slurm.conf" <<CONF
ClusterName=resnetstudio
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/slurmctld.log
SlurmdLogFile=$T/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$T/jobcomp.txt
MailProg=/bin/true
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
ReturnToService=2
MpiDefault=none
KillWait=10
NodeName=localhost NodeAddr=127.0.0.1 NodeHostname=localhost CPUs=$CPUS Sockets=1 CoresPerSocket=$CPUS ThreadsPerCore=1 RealMemory=$MEM State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$T/slurm.conf"
/usr/sbin/slurmctld
/usr/sbin/slurmd -N localhost
for _ in $(seq 200); do [ "$(sinfo -h -N -o %T 2>/dev/null)" = idle ] && break; sleep 0.1; done
# The first scheduling pass comes a few seconds after slurmctld starts: a finished probe job means ready.
j=$(sbatch --parsable -o /dev/null -t 1 --wrap true)
for _ in $(seq 600); do
  if [ -z "$(squeue -h -j "$j" 2>/dev/null)" ]; then echo "$SLURM_CONF"; exit 0; fi
  sleep 0.1
done
echo "the probe job $j did not run; see $T/slurmctld.log and $T/slurmd.log" >&2
exit 1
