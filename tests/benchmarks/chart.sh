#!/bin/sh
# Draws benchmark ratios (the tab-separated files the benchmark binaries write
# when XTT_BENCH_RATIOS names one) as a PNG.
#   tests/benchmarks/chart.sh benchmark_ratios.tsv chart.png [title]
#     a bar per ratio, each target marked
#   tests/benchmarks/chart.sh --sweep sweep_ratios.tsv chart.png [title]
#     the square transposes of the copy sweep: time / ATen's time against n,
#     a line per element size, a panel per destination and thread count, the
#     targets 1 and 0.5 dashed, so that a cliff at some n shows at a glance
# SPDX-License-Identifier: BSD-3-Clause
set -eu
if [ "$1" = --sweep ]; then
  tsv=$2
  png=$3
  title=${4:-"xtensor-torch copy sweep: n x n transposes, time / ATen's time (same run; lower is faster)"}
  cpu=$(sed -n '1s/^# //p' "$tsv")
  data=$(mktemp -d)
  trap 'rm -rf "$data"' EXIT
  # a file per panel and element size: <kind>-<threads>-<dtype>
  # (a panel with no rows in the file, as when a run was filtered, is left out)
  panels=""
  for panel in copy_to-1 copy_to-2 to_xarray-1 to_xarray-2 view_staged-1 edit-1; do
    for dtype in uint8 float16 float32 float64 complex128; do
      awk -F '\t' -v k="${panel%-*}" -v t="${panel#*-}" -v d="$dtype" \
        '$4 == "t2d" && $9 == k && $8 == t && $5 == d && $10 == "aten" { print $7 "\t" $2 }' "$tsv" |
        sort -n > "$data/$panel-$dtype"
    done
    if [ -n "$(cat "$data/$panel"-*)" ]; then panels="$panels $panel"; fi
  done
  count=$(echo $panels | wc -w)
  if [ "$count" -eq 0 ]; then
    echo "no square transposes in $tsv" >&2
    exit 1
  fi
  columns=$(( count < 3 ? count : 3 ))
  layout_rows=$(( (count + columns - 1) / columns ))
  gnuplot <<GNUPLOT
set terminal pngcairo size 1500,1000 font ',10'
set output '$png'
set termoption noenhanced
set datafile separator '\t'
set multiplot layout $layout_rows,$columns title "$title\n$cpu"
set logscale x 2
set xrange [400:10000]
set yrange [0:*]
set grid
set xlabel 'n'
set ylabel 'ratio'
set key top left font ',8'
dtypes = "uint8 float16 float32 float64 complex128"
do for [panel in "$panels"] {
  set title sprintf("%s, %s ATen thread(s)", panel[1:strstrt(panel, "-") - 1], panel[strstrt(panel, "-") + 1:])
  plot for [d in dtypes] sprintf("$data/%s-%s", panel, d) using 1:2 with linespoints title d, \
       1 with lines dt 2 lc rgb '#555555' notitle, 0.5 with lines dt 3 lc rgb '#999999' notitle
}
unset multiplot
GNUPLOT
  echo "chart written to $png"
  exit 0
fi
tsv=$1
png=$2
title=${3:-"xtensor-torch: time / baseline time (same run; lower is faster)"}
rows=$(wc -l < "$tsv")
height=$((120 + 16 * rows))
gnuplot <<GNUPLOT
set terminal pngcairo size 1400,$height font ',9'
set output '$png'
set termoption noenhanced
set datafile separator '\t'
set title "$title"
set style fill solid 0.7 border -1
set xrange [0:*]
set yrange [-1:$rows]
set grid xtics
set xlabel 'ratio'
unset key
set ytics nomirror font ',8'
set arrow from 1, graph 0 to 1, graph 1 nohead lc rgb '#555555' dt 2
plot '$tsv' using (\$2 / 2):0:(\$2 / 2):(0.35):ytic(1) with boxxyerror lc rgb '#4477aa', \
     '' using ((\$3 > 0) ? \$3 : 1/0):0 with points pt 2 ps 1.2 lc rgb '#cc3311'
GNUPLOT
echo "chart written to $png"
