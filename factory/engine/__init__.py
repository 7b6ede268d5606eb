"""The engine around every LLM call, written once: bounded asyncio concurrency with AIMD back-off,
request/token rate limits (configured and from the provider's headers), tenacity retries, a circuit
breaker, a cost budget, and the SQLite ledger with its content-addressed request cache.

Import the pieces from their modules (``factory.engine.runner.Engine``, ``factory.engine.ledger.Ledger``);
this package module stays empty so ``factory --help`` never pays for them.
"""
