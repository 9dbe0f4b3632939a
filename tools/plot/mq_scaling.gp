# Forwarding rate vs queues (one thread each), from `mq_scaling --csv` (threads,mpps,cycles_per_packet).
# gnuplot -e "csv='mq.csv'; out='docs/bench_mq_scaling.svg'; host='...'" tools/plot/mq_scaling.gp
set terminal svg size 800,400 dynamic font "sans,11"
set output out
set datafile separator ","
set grid
set yrange [0:*]
set key top left
set title "Multi-queue forwarding on the null device (RSS queues, one thread each)\n{/*0.8 ".host."}"
set xlabel "queues = threads"
set ylabel "Mpps"
set xtics 1
set xrange [0.5:*]
set y2label "driver cycles / packet"
set y2tics
set y2range [0:*]
set ytics nomirror
set boxwidth 0.4
set style fill solid 0.5
plot csv using 1:2 skip 1 with boxes title "Mpps", \
     csv using 1:3 skip 1 axes x1y2 with linespoints pt 7 title "cycles/packet"
