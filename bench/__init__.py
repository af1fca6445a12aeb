"""The classroom-storm load benchmark (`python -m bench.storm`); see docs/performance.md."""
