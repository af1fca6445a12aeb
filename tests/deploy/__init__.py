"""Tests of deploy/: the configurations the people running the server install."""
