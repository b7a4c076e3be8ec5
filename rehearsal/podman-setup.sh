#!/usr/bin/env bash
# Podman as it works on this kind of machine (root, hybrid cgroups, no systemd, capped
# ulimits): installed from Debian's packages when missing, configured once, then the local
# base image. Exit 3 (and a message) when podman still cannot run a container.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v podman >/dev/null || ! command -v debootstrap >/dev/null || ! command -v runc >/dev/null; then
    # The machine is shared: wait for another apt/dpkg run rather than fail on its lock.
    apt-get -o DPkg::Lock::Timeout=900 update -qq
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq \
        podman runc debootstrap >/dev/null
fi
CONF=/etc/containers/containers.conf
if [ ! -s "$CONF" ]; then
    # crun refuses the hybrid cgroup layout; the cgroupfs manager and file events need no
    # systemd; ulimits above the current hard limits cannot be set (raising them is refused).
    nofile=$(( $(ulimit -Hn) < 1000 ? $(ulimit -Hn) : 1000 ))
    nproc=$(( $(ulimit -Hu) < 1000 ? $(ulimit -Hu) : 1000 ))
    mkdir -p /etc/containers
    cat > "$CONF" <<CONF
# Written by rehearsal/podman-setup.sh (make rehearse).
[containers]
default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
fi
bash rehearsal/base-image.sh
if ! podman run --rm localhost/rehearsal/python:3.11-bookworm true; then
    echo "podman cannot run containers on this machine" >&2
    exit 3
fi
