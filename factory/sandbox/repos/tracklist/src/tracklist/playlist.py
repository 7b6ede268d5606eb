"""A playlist: tracks in the order they were added."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Track:
    path: str
    title: str
    artist: str
    seconds: int | None = None  # None when the source does not say


@dataclass
class Playlist:
    name: str
    tracks: list[Track] = field(default_factory=list)

    def add(self, track: Track) -> None:
        self.tracks.append(track)

    def total_seconds(self) -> int:
        """The length of the tracks whose length is known."""
        return sum(track.seconds for track in self.tracks)

    def deduplicated(self) -> Playlist:
        """The same playlist with repeated paths dropped."""
        unique = list({track.path: track for track in self.tracks}.values())
        return Playlist(self.name, unique)

    def move(self, index: int, to: int) -> None:
        """Move the track at ``index`` so that it ends up at position ``to``."""
        track = self.tracks.pop(index)
        self.tracks.insert(to, track)

    def by_artist(self, artist: str) -> list[Track]:
        return [t for t in self.tracks if t.artist.casefold() == artist.casefold()]
