"""The live game: phases, scoring, timing, leaderboards. No sockets, no SQL."""
