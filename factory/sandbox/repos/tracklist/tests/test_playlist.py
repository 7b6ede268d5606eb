from tracklist.playlist import Playlist, Track


def _playlist():
    p = Playlist("road trip")
    p.add(Track("a.mp3", "Alpha", "Ann", 200))
    p.add(Track("b.mp3", "Beta", "Bo", 100))
    return p


def test_total_of_known_lengths():
    assert _playlist().total_seconds() == 300


def test_move_to_front():
    p = _playlist()
    p.move(1, 0)
    assert [t.path for t in p.tracks] == ["b.mp3", "a.mp3"]


def test_by_artist_ignores_case():
    assert [t.title for t in _playlist().by_artist("ANN")] == ["Alpha"]
