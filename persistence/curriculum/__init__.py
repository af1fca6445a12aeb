"""The learning side: tracks and their facts, progress through tracks, adaptive practice,
the facts grid, and the caches in front of them."""
