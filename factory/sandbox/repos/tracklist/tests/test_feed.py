from tracklist.feed import episodes, unplayed


def test_unplayed():
    items = episodes([{"title": "One", "published": "2026-01-05", "played": True},
                      {"title": "Two", "published": "2026-01-12"}])
    assert [e.title for e in unplayed(items)] == ["Two"]
