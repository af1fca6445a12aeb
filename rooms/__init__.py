"""The live game: phases, scoring, timing, leaderboards, question choice. No sockets, no SQL."""
