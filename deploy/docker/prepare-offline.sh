#!/usr/bin/env bash
# Prepares an image build on a machine whose Docker cannot pull images or reach PyPI from
# inside a build, but whose host reaches the Debian mirror and PyPI:
#   1. a local base image, local/bookworm-python:minbase: Debian bookworm (minbase) with
#      python3, python3-venv and passwd, made with debootstrap (as root) and `docker import`;
#      it also carries Debian's nginx-light, and is tagged local/bookworm-nginx:minbase too,
#      to stand in for the compose example's nginx image. The root file system is kept as
#      a tarball in CACHE_DIR, so the next run imports it in seconds instead of
#      bootstrapping again;
#   2. the wheels of tarjama's dependencies for Python 3.11 on this architecture, in
#      deploy/docker/wheels/, where the Dockerfile's build stage finds them.
# Then build with
#   docker build --network none --build-arg BASE=local/bookworm-python:minbase \
#     --build-arg PIP_ARGS="--no-index --find-links /wheels" -t tarjama .
#
# Usage: deploy/docker/prepare-offline.sh [CACHE_DIR]   (default: ~/.cache/tarjama/docker)
# Environment: DEBIAN_MIRROR (default: the first Debian mirror in apt's sources), PYTHON
# (the Python whose pip downloads the wheels; default: python3), DOCKER_HOST as usual.
set -euo pipefail
cd "$(dirname "$0")/../.."

BASE_IMAGE=local/bookworm-python:minbase
NGINX_IMAGE=local/bookworm-nginx:minbase
PACKAGES=python3,python3-venv,passwd,nginx-light
cache_dir="${1:-${XDG_CACHE_HOME:-$HOME/.cache}/tarjama/docker}"
python="${PYTHON:-python3}"
mkdir -p "$cache_dir"

debian_mirror() {
  # Both the one-line (deb URL suite) and the deb822 (URIs: URL) forms of sources.list.
  cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources \
    2>/dev/null | grep -oE '^(deb|URIs:)[[:space:]]+[^[:space:]]+/debian/?([[:space:]]|$)' \
    | awk '{print $2}' | head -n 1 || true
}

if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  echo "base image: $BASE_IMAGE (already there)"
else
  rootfs_tar="$cache_dir/bookworm-minbase-${PACKAGES//,/-}.tar"
  if [ ! -s "$rootfs_tar" ]; then
    mirror="${DEBIAN_MIRROR:-$(debian_mirror)}"
    mirror="${mirror:-http://deb.debian.org/debian}"
    echo "base image: debootstrap bookworm from $mirror (about a minute)"
    rootfs="$(mktemp -d "$cache_dir/rootfs.XXXXXX")"
    trap 'rm -rf "$rootfs"' EXIT
    debootstrap --variant=minbase --include="$PACKAGES" bookworm \
      "$rootfs" "$mirror" >"$cache_dir/debootstrap.log" 2>&1 \
      || { tail -n 20 "$cache_dir/debootstrap.log" >&2; exit 1; }
    # What the image does not need: the downloaded packages and the package lists.
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    tar -C "$rootfs" -cf "$rootfs_tar.partial" . && mv "$rootfs_tar.partial" "$rootfs_tar"
    rm -rf "$rootfs"
    trap - EXIT
  fi
  docker import - "$BASE_IMAGE" <"$rootfs_tar" >/dev/null
  echo "base image: $BASE_IMAGE (imported from $rootfs_tar)"
fi
docker tag "$BASE_IMAGE" "$NGINX_IMAGE"

# tarjama's own wheel, built here, names the dependencies pip downloads; the image builds
# tarjama from the sources, so only the dependencies (and the build backend) stay.
wheels=deploy/docker/wheels
project_wheel="$(mktemp -d)"
"$python" -m pip wheel --quiet --no-deps --no-build-isolation -w "$project_wheel" . \
  2>"$cache_dir/wheel.log" || { cat "$cache_dir/wheel.log" >&2; exit 1; }
rm -rf build
machine="$(uname -m)"
"$python" -m pip download --quiet --only-binary=:all: --python-version 3.11 \
  --platform "manylinux_2_28_$machine" --platform "manylinux2014_$machine" -d "$wheels" \
  "$(ls "$project_wheel"/tarjama-*.whl)[metrics]" setuptools wheel
rm -rf "$project_wheel" "$wheels"/tarjama-*.whl
echo "wheels: $(ls "$wheels"/*.whl | wc -l) in $wheels"
