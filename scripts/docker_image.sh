#!/bin/sh
# Build the image of ClawGym's docker sandbox backend (src/clawgym/sandbox/_docker.py) without
# any registry: debootstrap a minimal Debian with python3 and bash, then `docker import` it.
#
#   sudo scripts/docker_image.sh [IMAGE]          # default IMAGE: clawgym-sandbox:latest
#
# Needs root, debootstrap (`apt-get install -y debootstrap`), a Debian mirror and a running
# Docker daemon. SUITE and MIRROR may be set in the environment (bookworm, deb.debian.org).
# Any other image works too if it has python3 (>= 3.9), bash and coreutils: tag it as
# clawgym-sandbox:latest, or pass image=... / set CLAWGYM_DOCKER_IMAGE.
set -eu
IMAGE=${1:-clawgym-sandbox:latest}
SUITE=${SUITE:-bookworm}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
ROOTFS=$(mktemp -d "${TMPDIR:-/tmp}/clawgym-rootfs.XXXXXX")
trap 'rm -rf "$ROOTFS"' EXIT INT TERM

command -v debootstrap >/dev/null || { echo "debootstrap is missing: apt-get install -y debootstrap" >&2; exit 1; }
docker version --format '{{.Server.Version}}' >/dev/null || { echo "no Docker daemon answers" >&2; exit 1; }

debootstrap --variant=minbase --include=python3-minimal,python3 "$SUITE" "$ROOTFS" "$MIRROR"
ln -sf python3 "$ROOTFS/usr/bin/python"          # ClawGym's checks call `python`
rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/* "$ROOTFS"/var/log/* "$ROOTFS"/tmp/*
tar --numeric-owner -C "$ROOTFS" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["/bin/bash"]' \
    - "$IMAGE"
docker run --rm --network none "$IMAGE" python3 -c 'import sys; print("ok:", sys.version.split()[0])'
