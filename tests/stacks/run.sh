#!/usr/bin/env bash
# Builds and runs xtensor-torch's suite (unit tests, examples, must-not-compile
# tests, documentation snippets, consumer projects) on one of the stacks CI
# proves besides the host's own g++ build:
#
#   tests/stacks/run.sh bookworm-clang   Debian 12 with clang 14 (this machine, no chroot)
#   tests/stacks/run.sh trixie           Debian 13 chroot: LibTorch 2.6, xtensor 0.25, g++ 14
#   tests/stacks/run.sh sid              Debian unstable chroot: LibTorch 2.14, xtensor 0.27, Eigen 5, g++ 16
#
# Options (after the leg):
#   --prepare   only make (or refresh) the chroot, build nothing
#   --bench     run the benchmarks in the leg too (Release build)
#
# The chroots live in $XTT_STACKS_DIR (default /var/cache/xtensor-torch/stacks),
# outside the source tree, and are reused: a second run refreshes their
# packages and costs only the build. Making one needs root and debootstrap
# (Debian's `debootstrap` package) and reaches Debian's package registry.
# SPDX-License-Identifier: BSD-3-Clause
set -euo pipefail

leg=${1:-}
shift || true
prepare_only=0
bench=0
for arg in "$@"; do
  case "$arg" in
    --prepare) prepare_only=1 ;;
    --bench) bench=1 ;;
    *) echo "run.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

source_dir=$(cd "$(dirname "$0")/../.." && pwd)
stacks_dir=${XTT_STACKS_DIR:-/var/cache/xtensor-torch/stacks}
packages=(cmake ninja-build g++ libtorch-dev libxtensor-dev xtl-dev libxsimd-dev libeigen3-dev libgtest-dev
          libbenchmark-dev)

# The suite inside a leg: the "stack" workflow preset builds into build/stack-<leg>.
suite_commands() {
  local leg=$1
  echo "set -e"
  echo "cd \"\$XTT_SOURCE\""
  echo "export XTT_STACK=$leg"
  # the randomized tests build in the newest leg only (the host and fuzz legs
  # run them on Debian 12 with g++ and clang): CI's time goes where it finds most
  if [ "$leg" = sid ]; then echo "export XTT_STACK_RANDOM=ON"; else echo "export XTT_STACK_RANDOM=OFF"; fi
  echo "cmake --workflow --preset stack"
  if [ "$bench" -eq 1 ]; then
    echo "cmake --preset bench -B build/bench-$leg && cmake --build build/bench-$leg"
    echo "ctest --test-dir build/bench-$leg -R '^benchmarks\$' -V"
  fi
}

case "$leg" in
  bookworm-clang)
    [ "$prepare_only" -eq 1 ] && exit 0
    export CXX=${CXX_CLANG:-clang++-14}
    export XTT_SOURCE=$source_dir
    bash -c "$(suite_commands "$leg")"
    exit 0
    ;;
  trixie | sid) ;;
  *)
    echo "usage: tests/stacks/run.sh bookworm-clang|trixie|sid [--prepare] [--bench]" >&2
    exit 2
    ;;
esac

if [ "$(id -u)" -ne 0 ]; then
  echo "run.sh: the $leg leg runs in a chroot: run it as root" >&2
  exit 2
fi

root="$stacks_dir/$leg"
apt_options=()
if [ "$leg" = sid ]; then
  # unstable's Release file may be past its Valid-Until date on a mirror snapshot
  apt_options=(-o Acquire::Check-Valid-Until=false)
fi

in_root() {
  chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive XTT_SOURCE=/src "$@"
}

mounted=()
cleanup() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount -l "${mounted[$i]}" 2>/dev/null || true
  done
}
trap cleanup EXIT

mount_in_root() {  # mount_in_root <what> <where inside the root> [mount options...]
  local what=$1 where=$root$2
  shift 2
  mkdir -p "$where"
  if ! mountpoint -q "$where"; then
    mount "$@" "$what" "$where"
    mounted+=("$where")
  fi
}

started=$(date +%s)
if [ ! -x "$root/usr/bin/apt-get" ]; then
  echo "== making the $leg chroot in $root"
  mkdir -p "$stacks_dir"
  rm -rf "$root.partial"
  debootstrap --variant=minbase "$leg" "$root.partial"
  mv "$root.partial" "$root"
fi
mount_in_root proc /proc -t proc
mount_in_root /dev /dev --bind
echo "== installing or refreshing the $leg packages"
in_root apt-get "${apt_options[@]}" update -q
in_root apt-get "${apt_options[@]}" install -y -q --no-install-recommends "${packages[@]}"
in_root apt-get clean
echo "== $leg chroot ready in $(($(date +%s) - started)) s"
in_root sh -c 'dpkg-query -W -f "\${Package} \${Version}\n" libtorch-dev libxtensor-dev xtl-dev libeigen3-dev g++ cmake libgtest-dev'
[ "$prepare_only" -eq 1 ] && exit 0

mount_in_root "$source_dir" /src --bind
in_root bash -c "$(suite_commands "$leg")"
echo "== $leg leg done in $(($(date +%s) - started)) s"
