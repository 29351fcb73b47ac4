#!/bin/sh
# tests/vm/run-vm.sh DIR [TIMEOUT_S] - boot the cgroup v2 test VM, run
# DIR/run.sh in it, and exit with run.sh's exit code.
#
# DIR is shared read-write (9p); the guest runs `sh ./run.sh` in it (at
# /mnt).  With HOSTROOT=1 the guest's root is the host's / instead (shared
# read-only, entered with switch_root, so user namespaces work as on a real
# machine), DIR is at its own path, and run.sh can use the host's binaries
# and build tree directly.  Guest /tmp, /run and /var/tmp are tmpfs.
# The serial console is logged to DIR/vm.log (or $LOG) and shown live on
# stdout without carriage returns.
#
# Exit codes: run.sh's, or 124 = the VM timed out (and was killed),
# 125 = the VM ended without an @@EXIT line (boot failure, panic),
# 126 = the VM could not be started (missing image or qemu).
#
# Environment:
#   VM_IMAGE    directory with vmlinux and initrd.gz (default build/vm-image, from setup.sh)
#   QEMU_ACCEL  default tcg.  Do not pick kvm from the mere presence of /dev/kvm:
#               on PVM hosts it exists and never boots a stock kernel.  Set
#               QEMU_ACCEL=kvm where real VMX/SVM KVM exists (uses -cpu host).
#   VM_MEM      guest memory in MiB (default 2048)
#   VM_CPUS     guest CPUs (default: host CPUs, at most 4)
#   HOSTROOT=1  share the host's / read-only as described above
#   VM_QUIET=1  do not show the console live (it is still in the log)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
[ $# -ge 1 ] || { echo "usage: $0 DIR [TIMEOUT_S]" >&2; exit 2; }
DIR=$(cd "$1" 2>/dev/null && pwd) || { echo "run-vm: no directory $1" >&2; exit 126; }
T=${2:-600}
IMG=${VM_IMAGE:-$REPO/build/vm-image}
LOG=${LOG:-$DIR/vm.log}
ACCEL=${QEMU_ACCEL:-tcg}
MEM=${VM_MEM:-2048}
n=$(nproc 2>/dev/null || echo 2); [ "$n" -gt 4 ] && n=4
CPUS=${VM_CPUS:-$n}

for f in vmlinux initrd.gz; do
    [ -r "$IMG/$f" ] || { echo "run-vm: $IMG/$f missing; run tests/vm/setup.sh" >&2; exit 126; }
done
command -v qemu-system-x86_64 >/dev/null || { echo "run-vm: qemu-system-x86_64 not installed; run tests/vm/setup.sh" >&2; exit 126; }
[ -f "$DIR/run.sh" ] || { echo "run-vm: $DIR/run.sh missing" >&2; exit 126; }
case "$DIR" in *[!A-Za-z0-9_./-]*)
    # it travels on the kernel command line and in -virtfs path=
    echo "run-vm: run directory path must be plain ([A-Za-z0-9_./-]): $DIR" >&2; exit 126;;
esac

CPU=""
case "$ACCEL" in kvm*) CPU="-cpu host";; esac
ROOT=""
[ "${HOSTROOT:-0}" = 1 ] &&
    ROOT="-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap,id=hostroot"

# quiet + loglevel=3: the emulated serial port is slow, and OOM kills in the
# tests would otherwise print pages of task dumps.  panic=-1 + -no-reboot:
# a panic ends QEMU at once instead of hanging until the timeout.
: >"$LOG"
start=$(date +%s)
# shellcheck disable=SC2086
timeout -k 10 "$T" qemu-system-x86_64 -accel "$ACCEL" $CPU -m "$MEM" -smp "$CPUS" \
    -nodefaults -no-user-config -display none -no-reboot \
    -serial "file:$LOG" -monitor none \
    -kernel "$IMG/vmlinux" -initrd "$IMG/initrd.gz" \
    -append "console=ttyS0 quiet loglevel=3 panic=-1 hostpath=$DIR" \
    -virtfs "local,path=$DIR,mount_tag=host0,security_model=none,id=host0" \
    $ROOT </dev/null >"$LOG.qemu" 2>&1 &
qpid=$!
# Interrupted (Ctrl-C, CI cancel): take the VM down with us.  `timeout`
# passes the TERM on to QEMU.
trap 'kill $qpid 2>/dev/null; wait $qpid 2>/dev/null; exit 130' INT TERM HUP
if [ "${VM_QUIET:-0}" = 1 ]; then
    wait $qpid; q=$?
else
    tail -n +1 -s 0.5 -f --pid=$qpid "$LOG" | sed -u 's/\r//g'   # -u: line by line into a file too
    wait $qpid; q=$?
fi
trap - INT TERM HUP
secs=$(( $(date +%s) - start ))

if [ -s "$LOG.qemu" ]; then
    echo "run-vm: qemu said:" >&2; sed 's/^/  /' "$LOG.qemu" >&2
fi
if [ $q = 124 ] || [ $q = 137 ]; then
    echo "run-vm: VM timed out after ${T}s and was killed; console log: $LOG" >&2
    exit 124
fi
rc=$(tr -d '\r' <"$LOG" | sed -n 's/.*@@EXIT=\([0-9][0-9]*\)@@.*/\1/p' | tail -1)   # no anchors: kernel messages may share the line
if [ -z "$rc" ]; then
    echo "run-vm: VM ended (qemu exit $q, ${secs}s) without an @@EXIT line; last console lines:" >&2
    tr -d '\r' <"$LOG" | tail -n 30 | sed 's/^/  /' >&2
    exit 125
fi
echo "run-vm: guest exit $rc after ${secs}s (accel $ACCEL, $CPUS cpus, ${MEM} MiB)" >&2
exit "$rc"
