"""The engine benchmark's workload through Bespoke Curator, for a side-by-side figure (run with a python
that has ``bespokelabs-curator`` installed; prints the wall time in seconds on its last line).

python bench/peers/curator_run.py --port PORT --requests 2000 --concurrency 50
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time


class _CharTokens:
    """tiktoken's cl100k files come from the internet, which this machine cannot reach: Curator only
    uses them to estimate tokens for its rate limits, so four characters a token stands in."""

    def encode(self, text: str, **_: object) -> list[int]:
        return [0] * max(1, len(text) // 4)


def offline_tokenizer() -> None:
    import tiktoken

    tiktoken.get_encoding = lambda name: _CharTokens()
    tiktoken.encoding_for_model = lambda name: _CharTokens()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=50)
    args = ap.parse_args()
    cache = tempfile.mkdtemp(prefix="curator-bench-")
    os.environ.update({"CURATOR_CACHE_DIR": cache, "OPENAI_API_KEY": "sk-bench", "TELEMETRY_ENABLED": "False",
                       "CURATOR_DISABLE_RICH_DISPLAY": "1", "CURATOR_VIEWER": "0"})
    offline_tokenizer()
    from bespokelabs import curator

    class Ask(curator.LLM):
        def prompt(self, row: dict) -> str:
            return row["question"]

        def parse(self, row: dict, response: str) -> dict:
            return {"question": row["question"], "answer": response}

    llm = Ask(model_name="gpt-4o-mini", backend="openai",
              backend_params={"base_url": f"http://127.0.0.1:{args.port}/v1", "api_key": "sk-bench",
                              "max_concurrent_requests": args.concurrency, "max_requests_per_minute": 10_000_000,
                              "max_tokens_per_minute": 10_000_000_000, "require_all_responses": False})
    rows = [{"question": f"curator {args.concurrency} {i}"} for i in range(args.requests)]
    t0 = time.perf_counter()
    llm(rows)
    print(f"{time.perf_counter() - t0:.3f}")


if __name__ == "__main__":
    main()
