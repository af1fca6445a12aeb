"""The Math Rally server: app factory, settings, CLI, HTTP routes and Socket.IO namespaces."""
