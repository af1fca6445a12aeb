"""Benchmarks, run by hand and never as tests (docs/performance.md says how, and what they
measured): bench/flow (the answer writer), bench/storm (a classroom storm against a bare
baseline), bench/live (the live game in process), bench/ops (reports, logins, restores),
bench/common (what they share)."""
