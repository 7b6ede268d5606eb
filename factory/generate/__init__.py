"""Running a category: the generation context plugins get, specs, tool sets, and LLM generation."""
