# The driver's cost per forwarded packet vs batch size, from `fwd_cost --csv` (batch,cycles_per_packet,ns_per_packet,mpps).
# gnuplot -e "csv='fwd_cost.csv'; out='docs/bench_fwd_cost.svg'; host='...'" tools/plot/fwd_cost.gp
set terminal svg size 800,400 dynamic font "sans,11"
set output out
set datafile separator ","
set grid
set yrange [0:*]
set key top right
set title "Driver cost per forwarded packet (null device, bidirectional, 64 B)\n{/*0.8 ".host."}"
set xlabel "batch size"
set ylabel "TSC cycles / packet"
set logscale x 2
set y2label "Mpps per core (driver only)"
set y2tics
set y2range [0:*]
set ytics nomirror
plot csv using 1:2 skip 1 with linespoints pt 7 lw 2 title "cycles/packet", \
     csv using 1:4 skip 1 axes x1y2 with linespoints pt 5 lw 2 title "Mpps"
