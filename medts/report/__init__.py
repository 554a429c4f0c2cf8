"""Draft ECG reports: schema, builder, ECG-paper plots, Markdown/HTML/PDF renderers, batch runner.

Every report is a DRAFT for clinician review, never a diagnosis; each output format says so first.

>>> from medts.report import ReportBuilder, run_batch, Report   # doctest: +SKIP
"""

from medts.report.batch import run_batch
from medts.report.build import ReportBuilder
from medts.report.schema import SAFETY_NOTICE, SCHEMA_VERSION, Report

__all__ = ["SAFETY_NOTICE", "SCHEMA_VERSION", "Report", "ReportBuilder", "run_batch"]
