"""Playlists of music tracks and podcast episodes."""

__version__ = "0.2.0"
