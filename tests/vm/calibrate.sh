#!/bin/sh
# tests/vm/calibrate.sh - how much slower than usual this machine runs right
# now, as one integer factor >= 1, for the cgroup v2 VM's time budgets
# (mk/vm.mk).  It times a fixed shell loop: on an idle machine of this
# project's CI class (2 cores) it takes VM_CALIBRATION_REF_MS of wall time,
# which is also its CPU time; a busy machine (other builds, other VMs) or a
# slower CPU stretches the wall time, and QEMU's TCG emulation, which the
# guest runs under, stretches by the same factor.  Prints "FACTOR WALL_MS".
ref=${VM_CALIBRATION_REF_MS:-350}
start=$(date +%s%N)
i=0
while [ $i -lt 200000 ]; do i=$((i + 1)); done
ms=$(( ($(date +%s%N) - start) / 1000000 ))
factor=$(( (ms + ref - 1) / ref ))
[ "$factor" -lt 1 ] && factor=1
echo "$factor $ms"
