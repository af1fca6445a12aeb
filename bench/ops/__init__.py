"""What teachers and operators wait for: bench.ops.reports (a room's report, a login),
bench.ops.restore_drill (a whole backup, wipe and restore)."""
