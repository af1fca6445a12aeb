"""Browser pages, styles and modules served by server/pages.py (data only, no Python)."""
