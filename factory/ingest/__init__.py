"""Real sources turned into records: Claude Code logs, Claude.ai exports, git history, repository FIM;
every candidate goes through one sink that scrubs, validates, dedupes and writes atomically."""
