#!/usr/bin/env bash
# Builds and runs xtensor-torch's suite (unit tests, examples, must-not-compile
# tests, documentation snippets, consumer projects) on one of the stacks CI
# proves besides the host's own g++ build:
#
#   tests/stacks/run.sh bookworm-clang   Debian 12 with clang 14 (this machine, no chroot)
#   tests/stacks/run.sh trixie           Debian 13 chroot: LibTorch 2.6, xtensor 0.25, g++ 14
#   tests/stacks/run.sh sid              Debian unstable chroot: LibTorch 2.14, xtensor 0.27, Eigen 5, g++ 16
#   tests/stacks/run.sh arm64            Debian 12 for arm64, cross-built with g++ 12, run under qemu
#   tests/stacks/run.sh s390x            Debian 12 for s390x (big-endian), the same way
#
# Options (after the leg):
#   --prepare   only make (or refresh) the chroot, build nothing
#   --bench     run the benchmarks in the leg too (Release build)
#
# The chroots live in $XTT_STACKS_DIR (default /var/cache/xtensor-torch/stacks),
# outside the source tree, and are reused: a second run refreshes their
# packages and costs only the build. Making one needs root and debootstrap
# (Debian's `debootstrap` package) and reaches Debian's package registry.
#
# The cross legs need no chroot and leave the host's dpkg alone (its list of
# architectures is never changed): the target's packages are unpacked into a
# sysroot in the same folder, the suite is cross-built against it with the
# host's cmake (toolchain: tests/stacks/cross.cmake) and ctest runs every
# binary under qemu user-mode emulation. They need Debian's
# g++-aarch64-linux-gnu or g++-s390x-linux-gnu, and qemu-user-static. Tests
# that would run the host's code instead of the target's (the Python
# extension tests) are registered disabled: ctest's summary lists them as not run.
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
if [ "$leg" = sid ]; then
  # the extension example's Python tests (operators, pybind11 casters) against
  # the newest torch too: its Python package, and what its extension tools build with
  packages+=(python3-torch python3-dev python3-setuptools pybind11-dev)
fi

# The suite inside a leg: the "stack" preset builds into build/stack-<leg>,
# with the settings leg_settings gives.
# What each leg builds besides the unit and device tests, the examples and the
# documentation snippets: CI's time goes where a leg proves something the
# others don't.
#   random      the randomized differential tests: on the host (g++ 12) and in
#               the fuzzing leg (clang 14, under ASan and UBSan), both Debian
#               12; the other legs' typed unit tests cover every dtype of their
#               LibTorch (wide unsigned, float8) through every conversion
#   build type  Release (-O3) with the newest compiler, where its optimiser
#               warns most; the test preset's quick -O1 elsewhere
#   benchmarks  on the host only (g++ 12; run.sh <leg> --bench builds and runs
#               them in a leg); never in a cross leg (times under emulation
#               say nothing of the hardware)
#   consumers   the consumer projects (how CMake and pkg-config find the
#               library): with the oldest CMake (the host) and the newest (sid)
#   extension   the extension example's JIT and setup.py routes (torch's own
#               build tools): not with clang, which doesn't change them (they
#               need a Python with the leg's LibTorch: Debian 13's chroot has
#               none, and a cross leg registers them disabled)
#   separate    the unit tests with the permuted-copy kernels compiled once
#               (XTENSOR_TORCH_SEPARATE_KERNELS), as the asan preset does; the
#               host's test preset, trixie, the cross legs, and the examples in
#               every leg use the headers alone
#   compile-fail  the must-not-compile tests: with g++ 12 (the host), g++ 16
#               (sid) and clang, whose wording of the language's errors differs;
#               not on Debian 13, whose g++ 14 lies between the two
# The arm64 leg, which CI runs, proves the target's code run there; what
# doesn't depend on the target, the host leg runs with the same g++ 12 and
# packages (the kernel paths that differ on arm64 have unit tests of their
# own). s390x, run on demand, also builds the randomized cases, the
# compile-fail tests and the consumer projects: its byte order is the one
# thing no other leg has.
leg_settings() {
  local leg=$1 random=OFF build_type=RelWithDebInfo consumers=OFF extension=ON separate=OFF compile_fail=ON
  case "$leg" in
    bookworm-clang) extension=OFF separate=ON ;;
    trixie) compile_fail=OFF ;;
    sid) build_type=Release consumers=ON separate=ON ;;
    arm64) compile_fail=OFF ;;
    s390x) random=ON consumers=ON ;;
  esac
  echo "XTT_STACK=$leg XTT_STACK_RANDOM=$random XTT_STACK_BUILD_TYPE=$build_type XTT_STACK_BENCHMARKS=OFF" \
       "XTT_STACK_CONSUMERS=$consumers XTT_STACK_EXTENSION_BUILDS=$extension XTT_STACK_SEPARATE_KERNELS=$separate" \
       "XTT_STACK_COMPILE_FAILURES=$compile_fail"
}

suite_commands() {
  local leg=$1
  echo "set -e"
  echo "cd \"\$XTT_SOURCE\""
  echo "export $(leg_settings "$leg")"
  echo "cmake --workflow --preset stack"
  if [ "$bench" -eq 1 ]; then
    echo "cmake --preset bench -B build/bench-$leg && cmake --build build/bench-$leg"
    echo "ctest --test-dir build/bench-$leg -R '^(benchmarks|sweep)\$' -V"
  fi
}

# A cross leg: Debian 12's packages for another architecture unpacked into a
# sysroot, the suite cross-built against it, every binary run under qemu.
cross_leg() {  # cross_leg <Debian architecture> <GNU triplet> <CMake processor> <qemu>
  local arch=$1 triplet=$2 processor=$3 qemu=$4
  if [ "$bench" -eq 1 ]; then
    echo "run.sh: no --bench on the $leg leg: times under emulation say nothing of the hardware" >&2
    exit 2
  fi
  local missing=()
  command -v "$triplet-g++" > /dev/null || missing+=("g++-$triplet")
  command -v "$qemu" > /dev/null || missing+=(qemu-user-static)
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "run.sh: the $leg leg needs Debian's ${missing[*]}: apt-get install ${missing[*]}" >&2
    exit 2
  fi
  local root="$stacks_dir/$leg" apt_dir="$stacks_dir/$leg.apt" started
  started=$(date +%s)

  # A private apt: the host's sources and settings, but its own architecture,
  # lists, cache and an empty dpkg status, so that it resolves the whole
  # closure as if nothing were installed, and only downloads it.
  echo "== downloading or refreshing the $arch packages"
  mkdir -p "$apt_dir/state/lists/partial" "$apt_dir/cache/archives/partial"
  : > "$apt_dir/state/status"
  printf '%s\n' \
    "APT::Architecture \"$arch\";" \
    "APT::Architectures { \"$arch\"; };" \
    "APT::Install-Recommends \"false\";" \
    "Dir::State \"$apt_dir/state\";" \
    "Dir::State::status \"$apt_dir/state/status\";" \
    "Dir::Cache \"$apt_dir/cache\";" > "$apt_dir/apt.conf"
  local apt=(env "APT_CONFIG=$apt_dir/apt.conf" DEBIAN_FRONTEND=noninteractive apt-get -q -y)
  local step
  for step in update "install --download-only ${packages[*]}" autoclean; do  # autoclean: superseded versions
    if ! "${apt[@]}" $step > "$apt_dir/apt.log" 2>&1; then
      cat "$apt_dir/apt.log" >&2
      echo "run.sh: apt-get $step for $arch failed" >&2
      exit 1
    fi
  done

  # The sysroot is unpacked again only when the set of packages changed.
  local wanted
  # the cache may hold an older version beside the new one: the newest of each
  wanted=$(cd "$apt_dir/cache/archives" && ls -- *.deb | sort -t_ -k1,1 -k2,2V |
           awk -F_ '{ newest[$1] = $0 } END { for (p in newest) print newest[p] }' | sort)
  if [ ! -f "$root/.packages" ] || [ "$(cat "$root/.packages")" != "$wanted" ]; then
    echo "== unpacking $(wc -l <<< "$wanted") packages into $root"
    rm -rf "$root" "$root.partial"
    mkdir -p "$root.partial"
    local deb link target
    for deb in $wanted; do
      dpkg -x "$apt_dir/cache/archives/$deb" "$root.partial"
    done
    # dpkg -x runs no maintainer scripts: make what they would. Absolute
    # links must point into the sysroot, not into the host ...
    while IFS= read -r link; do
      target=$(readlink "$link")
      if [ "${target#/}" != "$target" ]; then
        ln -sfn "$(realpath -m --relative-to="$(dirname "$link")" "$root.partial$target")" "$link"
      fi
    done < <(find "$root.partial" -type l)
    # ... and libblas.so.3 / liblapack.so.3 are alternatives: take the default
    local libdir="$root.partial/usr/lib/$triplet" lib dir
    for lib in blas lapack; do
      for dir in openblas-pthread "$lib"; do
        if [ -e "$libdir/$dir/lib$lib.so.3" ]; then
          ln -sfn "$dir/lib$lib.so.3" "$libdir/lib$lib.so.3"
          break
        fi
      done
      if [ ! -e "$libdir/lib$lib.so.3" ]; then
        echo "run.sh: no lib$lib.so.3 in the $arch packages" >&2
        exit 1
      fi
    done
    echo "$wanted" > "$root.partial/.packages"
    mv "$root.partial" "$root"
  fi
  local toolchain="$root/.toolchain.cmake"
  printf '%s\n' \
    "# made by tests/stacks/run.sh $leg" \
    "set(XTT_CROSS_PROCESSOR $processor)" \
    "set(XTT_CROSS_TRIPLET $triplet)" \
    "set(XTT_CROSS_SYSROOT \"$root\")" \
    "set(XTT_CROSS_EMULATOR \"$(command -v "$qemu")\")" \
    "include(\"$source_dir/tests/stacks/cross.cmake\")" > "$toolchain"
  echo "== $leg sysroot ready in $(($(date +%s) - started)) s"
  sed -nE 's/^(libtorch-dev|libxtensor-dev|xtl-dev|libxsimd-dev|libeigen3-dev|libgtest-dev)_([^_]*)_.*/\1 \2/p' <<< "$wanted"
  "$triplet-g++" --version | head -n 1
  [ "$prepare_only" -eq 1 ] && exit 0

  cd "$source_dir"
  # the settings of the leg (leg_settings, above), one assignment per word
  # shellcheck disable=SC2046
  export $(leg_settings "$leg")
  cmake --preset stack --toolchain "$toolchain"
  cmake --build --preset stack
  ctest --preset stack
  echo "== $leg leg done in $(($(date +%s) - started)) s"
  exit 0
}

case "$leg" in
  arm64) cross_leg arm64 aarch64-linux-gnu aarch64 qemu-aarch64-static ;;
  s390x) cross_leg s390x s390x-linux-gnu s390x qemu-s390x-static ;;
  bookworm-clang)
    [ "$prepare_only" -eq 1 ] && exit 0
    export CXX=${CXX_CLANG:-clang++-14}
    export XTT_SOURCE=$source_dir
    bash -c "$(suite_commands "$leg")"
    exit 0
    ;;
  trixie | sid) ;;
  *)
    echo "usage: tests/stacks/run.sh bookworm-clang|trixie|sid|arm64|s390x [--prepare] [--bench]" >&2
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
