"""What every benchmark shares: the machine, its PostgreSQL, CPU time from /proc, percentiles."""
