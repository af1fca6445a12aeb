"""SQL the database runs: migrations, the trigger function, hand-tuned statements."""

from pathlib import Path

SQL_DIR = Path(__file__).resolve().parent


def read_sql(relative_path: str) -> str:
    return (SQL_DIR / relative_path).read_text(encoding="utf-8")
