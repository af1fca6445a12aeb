"""The pure rules of learning: no SQL, no HTTP, no sockets, no clock of its own.

Everything here is a function of its arguments, so tests/learning pins each rule down without
a database. persistence/ loads the rows these rules read and stores what they return; rooms/
and server/ call them for live games and solo practice alike.
"""
