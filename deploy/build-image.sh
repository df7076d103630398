#!/usr/bin/env bash
# Builds Verdict's container image with podman where no container registry is reachable:
# the Debian 12 base comes from debootstrap (--variant=minbase, from this machine's apt mirror)
# and is imported as localhost/debian:bookworm-minbase; then the repository's Dockerfile is
# built on it, exactly as `docker build` does on a normal machine.
#
#   deploy/build-image.sh                       localhost/verdict:<version>, model mounted at run time
#   deploy/build-image.sh --model-dir DIR       also bake the model folder DIR in (tag <version>-<name>)
#   deploy/build-image.sh --from-host           skip the build stage: assemble the runtime stage from
#                                               this host's build/release binary and its libraries
#   options: --tag NAME, --model HUB_ID (verdict pull in the build stage; needs the Hub reachable)
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"

from_host=false; model_dir=""; model_id=""; tag=""
while [ $# -gt 0 ]; do
  case "$1" in
    --from-host) from_host=true ;;
    --model-dir) model_dir="$(realpath "$2")"; shift ;;
    --model) model_id="$2"; shift ;;
    --tag) tag="$2"; shift ;;
    *) echo "usage: deploy/build-image.sh [--from-host] [--model-dir DIR | --model HUB_ID] [--tag NAME]" >&2; exit 2 ;;
  esac
  shift
done

deploy/install-image-tools
# cgroup v1 VMs without CAP_SYS_RESOURCE: runc and lowered ulimits (see the file).
export CONTAINERS_CONF="${CONTAINERS_CONF:-$repo/deploy/containers.conf}"

version=$(sed -n 's/^project(verdict VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
if [ -z "$tag" ]; then
  tag="localhost/verdict:$version"
  [ -n "$model_dir" ] && tag="$tag-$(basename "$model_dir")"
  [ -n "$model_id" ] && tag="$tag-$(basename "$model_id")"
fi

base=localhost/debian:bookworm-minbase
make_base() {
  podman image exists "$base" && return 0
  # The mirror apt uses here (deb822 or one-line sources), else Debian's.
  local mirror
  mirror=$(grep -h -m1 -o 'http[s]*://[^ ]*/debian\b' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null | head -n1 || true)
  mirror="${mirror:-http://deb.debian.org/debian}"
  local root; root=$(mktemp -d /var/tmp/verdict-base.XXXXXX)
  echo "build-image: debootstrap --variant=minbase bookworm from $mirror" >&2
  debootstrap --variant=minbase bookworm "$root" "$mirror" >&2
  # The same suites as the host (updates, security) when it has deb822 sources.
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/"
    rm -f "$root/etc/apt/sources.list"
  fi
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" -c . | podman import --change 'CMD ["/bin/bash"]' - "$base" >&2
  rm -rf "$root"
}

if ! $from_host; then
  make_base
  args=(--network=host --build-arg "BASE=$base" -t "$tag" -f Dockerfile)
  # Share the host's compiler cache with the build stage (same compiler, same relative paths).
  ccache_host="${CCACHE_DIR:-$HOME/.cache/ccache}"
  if [ -d "$ccache_host" ]; then
    args+=(--build-arg CCACHE_DIR=/host-ccache -v "$ccache_host:/host-ccache")
  fi
  [ -n "$model_id" ] && args+=(--build-arg "MODEL=$model_id")
  ctx="$repo"
  if [ -n "$model_dir" ]; then
    # MODEL_DIR must lie inside the build context: copy the folder in for the build.
    rm -rf .image-model
    trap 'rm -rf "$repo/.image-model"' EXIT
    cp -r "$model_dir" .image-model
    args+=(--build-arg "MODEL_DIR=.image-model")
  fi
  podman build "${args[@]}" "$ctx"
else
  # Same runtime stage as the Dockerfile's, from this host's (Debian 12) binary and libraries.
  scripts/install-deps --build-only
  VERDICT_BUILD_JOBS="${VERDICT_BUILD_JOBS:-1}" scripts/build release >&2
  ctx=$(mktemp -d /var/tmp/verdict-image.XXXXXX)
  trap 'rm -rf "$ctx"' EXIT
  deploy/collect-runtime.sh build/release/src/verdict/cli/verdict "$ctx/rootfs"
  mkdir -p "$ctx/model"
  [ -n "$model_dir" ] && cp -r "$model_dir/." "$ctx/model/"
  [ -n "$model_id" ] && { echo "build-image: --model needs the full build (no --from-host)" >&2; exit 2; }
  chmod -R a+rX "$ctx/model"
  # The Dockerfile's runtime stage, verbatim.
  { echo "FROM scratch"; echo "COPY rootfs/ /"; echo "COPY model /model"
    sed -n '/^FROM scratch AS runtime/,$p' Dockerfile | grep -v '^FROM\|^COPY'; } > "$ctx/Containerfile"
  podman build -t "$tag" -f "$ctx/Containerfile" "$ctx"
fi
podman images "$tag"
echo "build-image: built $tag" >&2
