"""Per-class defect metrics in the layout of the reference tables."""

from ._boxes import BoxAveragePrecision, box_average_precision
from ._report import DefectReport, MacroAverages, defect_report

__all__ = ["BoxAveragePrecision", "DefectReport", "MacroAverages", "box_average_precision",
           "defect_report"]
