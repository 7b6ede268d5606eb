"""Rubric scores (LLM judge or offline scorer) and enhancement rounds for the records that fall short."""
