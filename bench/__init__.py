"""Benchmarks, run by hand and never as tests: `python -m bench.storm` (the classroom storm,
docs/performance.md), and the others each module documents."""
