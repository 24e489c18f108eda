#!/usr/bin/env bash
# Runs a suite through a real single-node Slurm cluster and checks the merged shards against a
# run on this machine alone. Needs root and Debian's slurmctld, slurmd, slurm-client and munge
# (apt-get install slurmctld slurmd slurm-client munge). Starts munged, slurmctld and slurmd
# with a throwaway configuration, stops them at the end.
#   benchmarks/slurm/test-cluster.sh [SUITE] [SHARDS]   (default: the shared `test` suite, 2)
set -euo pipefail
cd "$(dirname "$0")/../.."
suite=${1:-../shared/benchmarks/vnncomp2021/test}
shards=${2:-2}
verdict=$(pwd)/.build/release/verdict
work=$(mktemp -d /tmp/verdict-slurm.XXXXXX)
host=$(hostname -s)
cpus=$(nproc)

# munge: a key, and the daemon (it will not run as root without --force).
[ -s /etc/munge/munge.key ] || mungekey --create --keyfile /etc/munge/munge.key
chown munge:munge /etc/munge/munge.key
chmod 400 /etc/munge/munge.key
mkdir -p /run/munge && chown munge:munge /run/munge
pgrep -x munged > /dev/null || runuser -u munge -- /usr/sbin/munged
mkdir -p /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
cat > /etc/slurm/slurm.conf <<CONF
ClusterName=verdict-test
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
NodeName=$host CPUs=$cpus State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
rm -f /etc/slurm/cgroup.conf
pkill -x slurmd || true
pkill -x slurmctld || true
slurmctld
slurmd
cleanup() {
    scancel --quiet --user root 2>/dev/null || true
    pkill -x slurmd || true
    pkill -x slurmctld || true
    pkill -x munged || true
}
trap cleanup EXIT
for _ in $(seq 60); do
    sinfo --noheader --states=idle 2>/dev/null | grep -q . && break
    sleep 1
done
sinfo

start=$(date +%s.%N)
sbatch --wait --array=1-"$shards" --chdir="$work" --output="$work/slurm-%A_%a.out" --cpus-per-task=1 \
    --export=ALL,VERDICT="$verdict" benchmarks/slurm/bench-array.sbatch "$(realpath "$suite")" "$work/run"
end=$(date +%s.%N)
"$verdict" bench merge "$work"/run-shard-*-of-"$shards".csv --output "$work/merged.csv"
"$verdict" bench "$(realpath "$suite")" --results "$work/single.csv" > /dev/null 2>&1
compare=$("$verdict" bench compare "$work/merged.csv" "$work/single.csv")
echo "$compare"
merged=$(tail -n +3 "$work/merged.csv" | cut -d, -f1-3 | sort)
single=$(tail -n +3 "$work/single.csv" | cut -d, -f1-3 | sort)
if [ "$merged" != "$single" ]; then
    echo "FAIL: the merged shards' answers differ from the single-machine run" >&2
    exit 1
fi
echo "PASS: $shards shards through Slurm, $(echo "$merged" | wc -l) instances, same answers as one machine; the array took $(echo "$end - $start" | bc) s"
