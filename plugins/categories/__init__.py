"""Built-in dataset categories: one module per category, named after it."""
