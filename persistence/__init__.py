"""PostgreSQL: engine and sessions, the answer flow, the grid query, caching, the stores."""
