"""Per-class defect metrics in the layout of the reference tables."""

from ._report import DefectReport, MacroAverages, defect_report

__all__ = ["DefectReport", "MacroAverages", "defect_report"]
