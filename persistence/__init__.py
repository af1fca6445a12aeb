"""PostgreSQL: engine and sessions, table models, the answer flow, the grid query, caching."""
