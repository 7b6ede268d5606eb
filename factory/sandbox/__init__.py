"""Where tool calls really run: a confined workspace over a source tree, the fixture repository, its tasks."""
