"""The command line: the top of the dependency graph. Nothing imports it; plugins extend it through
the ``register_commands`` hook. Commands are split by group; domain logic lives in the library."""
