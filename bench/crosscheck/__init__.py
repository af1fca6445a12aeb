"""A second load generator that shares no client code with bench.storm (run.py)."""
