"""Tasks in the eval set's own fixture repository, ``tracklist`` (a Python library for music and podcast
playlists): no training record reads, searches or edits it, so an eval conversation set there measures
how a model works in a repository it has never seen. Each task is real in the same way as
:mod:`factory.sandbox.tasks` (``tests/sandbox/`` runs them): its test fails with the lines recorded and
its edit makes the whole suite pass. A task's asks are phrase grammars (:mod:`factory.authoring.phrasing`)."""

from __future__ import annotations

from factory.sandbox.tasks import Task

HELD_OUT_TASKS = [
    Task(
        "hours_format", "src/tracklist/duration.py", "bug",
        ("{An audiobook chapter|A long podcast episode|A DJ mix} of 3725 seconds {shows as|is displayed as} `62:05`; "
         "lengths of an hour or more should read `1:02:05`.",
         "`format_duration` never prints hours, so long podcast episodes {look like|come out as} `95:10`."
         "{ Fix the format.| The format needs hours.|}",
         "Playlist lengths over an hour {come out|are shown} in minutes only; we want h:mm:ss from one hour on."),
        "`format_duration(3725)` returns `62:05`",
        "`format_duration` splits seconds into minutes and seconds only, so minutes grow past 59",
        r"def format_duration",
        "tests/test_duration_hours.py", "test_formats_hours",
        "from tracklist.duration import format_duration\n\n\ndef test_formats_hours():\n"
        "    assert format_duration(3725) == \"1:02:05\"\n",
        "    minutes, secs = divmod(seconds, 60)\n    return f\"{minutes}:{secs:02d}\"\n",
        "    minutes, secs = divmod(seconds, 60)\n    hours, minutes = divmod(minutes, 60)\n    if hours:\n"
        "        return f\"{hours}:{minutes:02d}:{secs:02d}\"\n    return f\"{minutes}:{secs:02d}\"\n",
        "E       AssertionError: assert '62:05' == '1:02:05'",
        ("Pin the hour format with a failing test", "Split the minutes into hours and minutes from an hour on",
         "Check that `parse_duration` reads the new format back"),
        0, "tracklist",
    ),
    Task(
        "unknown_lengths", "src/tracklist/playlist.py", "bug",
        ("A playlist with {a live recording|a bootleg|a radio rip} of unknown length {crashes|breaks} `total_seconds` "
         "with a TypeError.",
         "Tracks imported without a length (None) break the playlist total{; skip them, as the docstring says|"
         " -- the docstring says they should be skipped}.",
         "`Playlist.total_seconds` should add up the known lengths only; {right now|at the moment} one unknown "
         "length crashes it."),
        "`total_seconds()` raises `TypeError: unsupported operand type(s) for +: 'int' and 'NoneType'`",
        "`total_seconds` sums every track's `seconds`, including the `None` of tracks whose length is unknown",
        r"def total_seconds",
        "tests/test_playlist_lengths.py", "test_unknown_lengths_are_skipped",
        "from tracklist.playlist import Playlist, Track\n\n\ndef test_unknown_lengths_are_skipped():\n"
        "    p = Playlist(\"live set\")\n    p.add(Track(\"a.mp3\", \"Alpha\", \"Ann\", 200))\n"
        "    p.add(Track(\"b.mp3\", \"Beta\", \"Bo\"))\n    assert p.total_seconds() == 200\n",
        "        return sum(track.seconds for track in self.tracks)\n",
        "        return sum(track.seconds for track in self.tracks if track.seconds is not None)\n",
        "E       TypeError: unsupported operand type(s) for +: 'int' and 'NoneType'",
        ("Reproduce with a track whose length is None", "Leave unknown lengths out of the sum",
         "Consider showing how many lengths were unknown"),
        0, "tracklist",
    ),
    Task(
        "first_copy_kept", "src/tracklist/playlist.py", "bug",
        ("Removing duplicates from a playlist keeps the last copy of a track, so {a studio version turns into the "
         "live one|the first title gets replaced}.",
         "`deduplicated()` should keep the first occurrence of each path{, with its own title and length| and "
         "drop the later copies}.",
         "After {dedup|deduplication}, {the track's metadata comes|a track's title and length come} from its last "
         "duplicate instead of the one the user added first."),
        "deduplicating `[Alpha, Beta, Alpha (live)]` gives `['Alpha (live)', 'Beta']`",
        "`deduplicated` builds a dict keyed by path, which keeps the first position but the last track",
        r"def deduplicated",
        "tests/test_playlist_duplicates.py", "test_the_first_copy_is_kept",
        "from tracklist.playlist import Playlist, Track\n\n\ndef test_the_first_copy_is_kept():\n"
        "    p = Playlist(\"mix\")\n    p.add(Track(\"a.mp3\", \"Alpha\", \"Ann\", 200))\n"
        "    p.add(Track(\"b.mp3\", \"Beta\", \"Bo\", 100))\n    p.add(Track(\"a.mp3\", \"Alpha (live)\", \"Ann\", 260))\n"
        "    assert [t.title for t in p.deduplicated().tracks] == [\"Alpha\", \"Beta\"]\n",
        "        unique = list({track.path: track for track in self.tracks}.values())\n",
        "        seen: set[str] = set()\n        unique = []\n        for track in self.tracks:\n"
        "            if track.path not in seen:\n                seen.add(track.path)\n                unique.append(track)\n",
        "E       AssertionError: assert ['Alpha (live)', 'Beta'] == ['Alpha', 'Beta']",
        ("Write a test with a repeated path whose copies differ", "Keep the first track seen for each path",
         "Check the playlist order stays as added"),
        0, "tracklist",
    ),
    Task(
        "extinf_comma", "src/tracklist/m3u.py", "bug",
        ("{Importing|Loading|Reading} an M3U whose track title contains a comma fails with `too many values to "
         "unpack`.",
         "`#EXTINF:200,Ann - Alpha, Part 2` {can't be read|fails to load}: the parser splits on every comma.",
         "M3U titles may contain commas; only the first comma separates the length from the label"
         "{, and the importer gets this wrong|}."),
        "`loads` raises `ValueError: too many values to unpack (expected 2)` on a title with a comma",
        "`loads` splits the `#EXTINF` line on every comma instead of the first one",
        r"#EXTINF:",
        "tests/test_m3u_titles.py", "test_a_comma_in_the_title",
        "from tracklist.m3u import loads\n\n\ndef test_a_comma_in_the_title():\n"
        "    playlist = loads(\"#EXTM3U\\n#EXTINF:200,Ann - Alpha, Part 2\\nmusic/a.mp3\\n\")\n"
        "    assert playlist.tracks[0].title == \"Alpha, Part 2\"\n",
        "            length, label = line[len(\"#EXTINF:\"):].split(\",\")\n",
        "            length, label = line[len(\"#EXTINF:\"):].split(\",\", 1)\n",
        "E               ValueError: too many values to unpack (expected 2)",
        ("Reproduce with a title that holds a comma", "Split the `#EXTINF` line at its first comma only",
         "Check that `dumps` and `loads` still round-trip"),
        0, "tracklist",
    ),
    Task(
        "newest_first", "src/tracklist/feed.py", "bug",
        ("`latest(items, 2)` returns the two oldest podcast episodes instead of the two newest.",
         "The \"latest episodes\" {list|view} shows episodes from January first{; it should be newest first|, "
         "not the newest}.",
         "`feed.latest` sorts oldest first, so the app's \"new\" shelf {is full of|shows} old episodes."),
        "`latest` of episodes from the 5th, 12th and 19th returns the 5th and the 12th",
        "`latest` sorts by publication date ascending and takes the first `n`",
        r"def latest",
        "tests/test_feed_latest.py", "test_latest_is_newest_first",
        "from tracklist.feed import episodes, latest\n\n\ndef test_latest_is_newest_first():\n"
        "    items = episodes([{\"title\": \"One\", \"published\": \"2026-01-05\"},\n"
        "                      {\"title\": \"Three\", \"published\": \"2026-01-19\"},\n"
        "                      {\"title\": \"Two\", \"published\": \"2026-01-12\"}])\n"
        "    assert [e.title for e in latest(items, 2)] == [\"Three\", \"Two\"]\n",
        "    return sorted(items, key=lambda e: e.published)[:n]\n",
        "    return sorted(items, key=lambda e: e.published, reverse=True)[:n]\n",
        "E       AssertionError: assert ['One', 'Two'] == ['Three', 'Two']",
        ("Write a test with three episodes out of order", "Sort newest first before taking `n`",
         "Decide how equal dates are ordered (the docs say by title)"),
        0, "tracklist",
    ),
]
