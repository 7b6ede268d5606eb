from tracklist.m3u import dumps, loads
from tracklist.playlist import Playlist, Track


def test_round_trip():
    p = Playlist("mix", [Track("music/a.mp3", "Alpha", "Ann", 200), Track("music/b.mp3", "Beta", "Bo", None)])
    back = loads(dumps(p), "mix")
    assert back.tracks == p.tracks


def test_plain_paths_use_the_file_name():
    assert loads("music/c.mp3\n").tracks[0].title == "c.mp3"
