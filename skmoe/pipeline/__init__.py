"""Two-stage (gate + defect classifier) pipelines."""

from ._two_stage import TwoStagePipeline

__all__ = ["TwoStagePipeline"]
