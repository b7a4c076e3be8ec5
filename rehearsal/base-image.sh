#!/usr/bin/env bash
# The local stand-in for python:3.11-slim-bookworm (no registry is reachable here): Debian
# bookworm minbase from the mirror apt already uses, with what the Dockerfile expects of the
# upstream image: `python` on PATH (python-is-python3; bookworm's python3 is 3.11), venv
# support, CA certificates, groupadd/useradd. Made once; `podman image exists` caches it.
set -euo pipefail
IMAGE="${1:-localhost/rehearsal/python:3.11-bookworm}"
if podman image exists "$IMAGE"; then
    exit 0
fi
MIRROR="$(grep -hoE '^URIs: +\S+/debian$' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1 | awk '{print $2}' || true)"
ROOT="$(mktemp -d /var/tmp/rehearsal-rootfs.XXXXXX)"
trap 'rm -rf "$ROOT"' EXIT
debootstrap --variant=minbase --include=python3,python3-venv,python-is-python3,ca-certificates \
    bookworm "$ROOT" "${MIRROR:-http://deb.debian.org/debian}" >/dev/null
chroot "$ROOT" apt-get clean
rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/cache/apt/*.bin
tar -C "$ROOT" -c . | podman import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["python3"]' - "$IMAGE" >/dev/null
echo "made $IMAGE"
