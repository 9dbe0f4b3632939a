# How fast the simulator runs two ports at line rate with fwd's loop, from `sim_throughput --csv`
# (model,frame,wall_s,fwd_mpps,line_mpps,x_realtime).
# gnuplot -e "csv='sim.csv'; out='docs/bench_sim_throughput.svg'; host='...'" tools/plot/sim_throughput.gp
set terminal svg size 800,400 dynamic font "sans,11"
set output out
set datafile separator ","
set grid
set yrange [0:*]
set key top left
set title "Simulation speed: two ports at 10G line rate, fwd in the loop, one core\n{/*0.8 ".host."}"
set xlabel "frame size, bytes (with FCS)"
set ylabel "virtual seconds per wall second (x real time)"
set logscale x
set xrange [56:1800]
set xtics (64, 128, 256, 512, 1024, 1518)
plot csv using (strcol(1) eq "functional" ? $2 : 1/0):6 skip 1 with linespoints pt 7 lw 2 title "functional model", \
     csv using (strcol(1) eq "timed" ? $2 : 1/0):6 skip 1 with linespoints pt 5 lw 2 title "timed model", \
     1 with lines lw 1 lc rgb "gray40" title "real time"
