# The simulator's calibration against published 82599 figures, from `calibrate --csv` (series,x,model,published).
# gnuplot -e "csv='cal.csv'; out='docs/calibration.svg'" tools/plot/calibration.gp
set terminal svg size 1200,400 dynamic font "sans,11"
set output out
set datafile separator ","
set grid
set multiplot layout 1,3 title "nicsim timed model vs published 82599 figures"

set key top right
set title "Line rate vs frame size (10 Gbit/s)"
set xlabel "frame size, bytes"
set ylabel "Mpps"
set logscale y
plot csv using (strcol(1) eq "rx_line_rate" ? $2 : 1/0):3 with linespoints pt 7 title "model, rx", \
     csv using (strcol(1) eq "tx_line_rate" ? $2 : 1/0):3 with points pt 6 ps 1.5 title "model, tx", \
     csv using (strcol(1) eq "rx_line_rate" ? $2 : 1/0):4 with lines dt 2 lw 2 title "published"
unset logscale y

set key bottom right
set title "Latency under overload vs rx ring size"
set xlabel "rx descriptors"
set ylabel "median latency, us"
set logscale xy
plot csv using (strcol(1) eq "latency" ? $2 : 1/0):3 with linespoints pt 7 title "model", \
     csv using (strcol(1) eq "latency" ? $2 : 1/0):4 with linespoints pt 5 dt 2 title "published (ixy paper)"
unset logscale xy

set key bottom right
set title "Bidirectional forwarding vs batch size (64 B)"
set xlabel "batch size"
set ylabel "Mpps"
set logscale x 2
set yrange [0:32]
plot csv using (strcol(1) eq "fwd_device_limit" ? $2 : 1/0):3 with linespoints pt 7 title "device/PCIe limit", \
     csv using (strcol(1) eq "fwd_host_model" ? $2 : 1/0):3 with linespoints pt 9 title "with host model", \
     csv using (strcol(1) eq "fwd_host_model" ? $2 : 1/0):4 with linespoints pt 5 dt 2 title "published (ixy, 3.3 GHz)"
unset multiplot
