"""Rollouts: a model works as an agent on real tasks in sandboxed repository copies; every call is
executed, every trajectory verified (``factory rollout``, docs/rollouts.md)."""
