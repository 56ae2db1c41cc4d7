# Bar chart of scripts/bench-dataplane's kernel-path medians: TCP and UDP Gbit/s per path.
# Called as: gnuplot -e "data='FILE'; out='PNG'" scripts/throughput.gnuplot
set terminal pngcairo size 1000,520 font ",10"
set output out
set title "Through the kernel: two namespaces, one veth (GRO on), medians of alternated rounds"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set ylabel "Gbit/s"
set logscale y
set yrange [0.1:*]
set grid ytics
set key top right
set xtics rotate by -15 scale 0
plot data using 2:xtic(1) title "TCP", '' using 3 title "UDP at < 1 % loss"
