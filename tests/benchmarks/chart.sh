#!/bin/sh
# Draws the benchmark ratios (the tab-separated file the benchmark binary writes
# when XTT_BENCH_RATIOS names it) as a PNG bar chart, with each target marked.
#   tests/benchmarks/chart.sh benchmark_ratios.tsv chart.png [title]
# SPDX-License-Identifier: BSD-3-Clause
set -eu
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
