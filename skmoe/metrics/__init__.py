"""Per-class defect metrics in the layout of the reference tables."""

from ._boxes import BoxAveragePrecision, box_average_precision
from ._operating_point import OperatingPoint, operating_point, wilson_interval
from ._report import DefectReport, MacroAverages, defect_report

__all__ = ["BoxAveragePrecision", "DefectReport", "MacroAverages", "OperatingPoint",
           "box_average_precision", "defect_report", "operating_point", "wilson_interval"]
