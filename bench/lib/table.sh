# bench/lib/table.sh, sourced: table_add FIGURE VALUE RATIO TARGET RSS
# COMMAND adds a row to the one table `make bench` prints at the end
# (bench/run-all.sh sets BENCH_TABLE); a script run alone adds nothing.
# RATIO says to what, measured in the same run ("-" when the figure has
# no limit but its target).
table_add()
{
	[ -n "${BENCH_TABLE:-}" ] || return 0
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$6" \
	    >>"$BENCH_TABLE"
}
