"""The answer writer measured: `python -m bench.flow` (batched vs one transaction per attempt),
bench.flow.ceiling (the writes alone, replayed), bench.flow.statements (PostgreSQL CPU per
statement), bench.flow.round_trips, bench.flow.array_params, bench.flow.curriculum_hook."""
