#!/bin/sh
# Compile cost of xtensor-torch's view.hpp: times the compile of
# compile_cost/view.cpp (one xtt::view<float, 2>, no policy: it copies nothing
# and compiles no kernel) and of compile_cost/staged.cpp (the same view with a
# staging policy, which compiles float's permuted-copy kernels, or with
# XTENSOR_TORCH_SEPARATE_KERNELS=1 calls them in a file of their own), against
# compile_cost/adapt.cpp (the same through xt::adapt over data_ptr()), all with
# the build's own compiler and flags at -O1, in turn, and prints the medians,
# what the library adds and the ratios.
#
#   compile_cost.sh <Ninja build folder> [runs (default 5)]
#
# (ctest -R compile_cost in the bench preset runs it.)
# SPDX-License-Identifier: BSD-3-Clause
set -eu
build=$1
runs=${2:-5}
target_added=1.0  # seconds (issue: "under +1 s")

command_of() {  # the compile command ninja has for an object library
  (cd "$build" && ninja -t commands "$1" | grep -- ' -c ' | tail -n 1)
}
adapt=$(command_of xtensor-torch-compile-cost-adapt)
view=$(command_of xtensor-torch-compile-cost-view)
staged=$(command_of xtensor-torch-compile-cost-staged)
separate=$(command_of xtensor-torch-compile-cost-staged-separate)
if [ -z "$adapt" ] || [ -z "$view" ] || [ -z "$staged" ] || [ -z "$separate" ]; then
  echo "compile_cost.sh: no compile commands in $build (a Ninja build with the benchmarks on?)" >&2
  exit 2
fi

seconds() {  # wall seconds of one compile
  start=$(date +%s.%N)
  (cd "$build" && sh -c "$1") > /dev/null
  end=$(date +%s.%N)
  awk -v start="$start" -v end="$end" 'BEGIN { print end - start }'
}
median() {
  tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

a_times="" v_times="" g_times="" s_times=""
i=0
while [ "$i" -lt "$runs" ]; do
  a_times="$a_times $(seconds "$adapt")"
  v_times="$v_times $(seconds "$view")"
  g_times="$g_times $(seconds "$staged")"
  s_times="$s_times $(seconds "$separate")"
  i=$((i + 1))
done
a=$(echo "$a_times" | median)
v=$(echo "$v_times" | median)
g=$(echo "$g_times" | median)
s=$(echo "$s_times" | median)
awk -v a="$a" -v v="$v" -v g="$g" -v s="$s" -v target="$target_added" -v runs="$runs" -v cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)" 'BEGIN {
  printf "compile_cost: %s, medians of %d\n", cpu, runs
  printf "compile_cost: adapt.cpp (xt::adapt over data_ptr())                  %6.2f s\n", a
  printf "compile_cost: view.cpp (one xtt::view<float, 2>, no policy)          %6.2f s\n", v
  printf "compile_cost: staged.cpp (the view with stage::contiguous)           %6.2f s\n", g
  printf "compile_cost: staged.cpp, XTENSOR_TORCH_SEPARATE_KERNELS=1           %6.2f s\n", s
  printf "compile_cost: view: xtensor-torch adds %.2f s, ratio %.2f (target: adds <= %.1f s)%s\n",
         v - a, v / a, target, v - a <= target ? "" : " MISSED"
  printf "compile_cost: staged view: xtensor-torch adds %.2f s, ratio %.2f (float'"'"'s kernels)\n", g - a, g / a
  printf "compile_cost: staged view, separate kernels: xtensor-torch adds %.2f s, ratio %.2f (target: adds <= %.1f s)%s\n",
         s - a, s / a, target, s - a <= target ? "" : " MISSED"
}'
