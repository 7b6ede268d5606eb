"""Built-in plugins. Each module registers through the same hooks as third-party plugins."""
