"""factory: a plugin-based, agent-driven data factory for fine-tuning coding and tool-using assistants.

Plugin authors need one import::

    from factory import hookimpl
"""

import pluggy

__version__ = "0.1.0"

hookimpl = pluggy.HookimplMarker("factory")

__all__ = ["__version__", "hookimpl"]
