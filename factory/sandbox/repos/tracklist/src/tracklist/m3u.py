"""Extended M3U: ``#EXTM3U``, then ``#EXTINF:<seconds>,<artist> - <title>`` before each path."""

from __future__ import annotations

from tracklist.playlist import Playlist, Track

HEADER = "#EXTM3U"


def dumps(playlist: Playlist) -> str:
    lines = [HEADER]
    for track in playlist.tracks:
        seconds = -1 if track.seconds is None else track.seconds
        lines.append(f"#EXTINF:{seconds},{track.artist} - {track.title}")
        lines.append(track.path)
    return "\n".join(lines) + "\n"


def loads(text: str, name: str = "playlist") -> Playlist:
    playlist = Playlist(name)
    info: tuple[int | None, str, str] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line == HEADER:
            continue
        if line.startswith("#EXTINF:"):
            length, label = line[len("#EXTINF:"):].split(",")
            artist, _, title = label.partition(" - ")
            seconds = int(length)
            info = (None if seconds < 0 else seconds, artist.strip(), title.strip())
        elif not line.startswith("#"):
            seconds, artist, title = info or (None, "", line.rsplit("/", 1)[-1])
            playlist.add(Track(line, title, artist, seconds))
            info = None
    return playlist
