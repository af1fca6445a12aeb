"""The live game over Socket.IO: the server, its three namespaces, and the one emit module."""
