"""datatrove's Slurm executor as the factory drives it (:mod:`factory.scale`). A module of its own
because it imports datatrove, an optional extra, and because the jobs unpickle the executor by
importing its class from here."""

from __future__ import annotations

from datatrove.executor import SlurmPipelineExecutor


class FactorySlurmExecutor(SlurmPipelineExecutor):
    """Without datatrove's statistics job (the factory waits for the job array itself, and a job that
    ran after it would write into a work directory already removed), and without ``--partition`` /
    ``--qos`` lines when none is named (the cluster's defaults)."""

    def launch_merge_stats(self) -> None:
        return None

    def get_sbatch_args(self, max_array: int = 1) -> dict:
        args = super().get_sbatch_args(max_array)
        return {k: v for k, v in args.items() if not (k in ("partition", "qos") and not v)}
