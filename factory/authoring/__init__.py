"""The public kit categories are written with -- the built-in ones and yours.

- :mod:`.text`: seeded choice (``one``, ``some``) and markdown (``fence``, ``bullets``, ``numbered``, ``framed``);
- :mod:`.vocab`: domain nouns with training and held-out pools, typed fields, naming styles, project stacks;
- :mod:`.entities`: typed entities and their class or struct per language;
- :mod:`.code`: whole source files about an entity per language;
- :mod:`.idioms`, :mod:`.designs`: before/after pairs (language idioms; DRY, SOLID, clean code);
- :mod:`.dialog`: a conversation whose tool calls execute in the sandbox workspace;
- :mod:`.generator`: ``SubcategoryGenerator``, subcategory -> builder, with grounded, offered tools;
- :mod:`.observe`, :mod:`.flows`: answers read off real tool results; agent workflows over the sandbox tasks;
- :mod:`.continue_calls`: requests and calls for the Continue extension's tools;
- :mod:`.scaffold`: ``factory new-category``.

See docs/plugins.md.
"""
