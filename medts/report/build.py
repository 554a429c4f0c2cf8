"""Record -> :class:`~medts.report.schema.Report`.

A :class:`ReportBuilder` loads its sources once (classifier weights, ...) and then turns ECG
records into reports; :meth:`ReportBuilder.build_many` scores a list of records in one
classifier batch and one text-generation batch, which is what the batch runner uses.

Example
-------
>>> from medts.examples import simulate_example
>>> from medts.report.build import ReportBuilder
>>> report = ReportBuilder(text="template").build(simulate_example("sinus"))
>>> report.notice.startswith("DRAFT for clinician review")
True
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

import medts
from medts.interpret.verdict import whole_record_sentence
from medts.longterm.result import LongTermResult
from medts.record import ECG, STANDARD_LEADS
from medts.report.schema import SCHEMA_VERSION, RecordInfo, Report
from medts.report.sources import AnomalySource, ClassifierSource, SignalSource, report_sections
from medts.report.text import AgentText, TemplateText


@dataclass
class Sources:
    """One object per report section; any object with the same method can replace a default."""

    signal: Any = None
    statements: Any = None
    anomalies: Any = None
    text: Any = None

    @classmethod
    def default(cls, text: str = "auto", *, writer: str = "auto", text_batch_size: int = 8,
                evidence: str | bool = "occlusion", anomaly_head: bool = False) -> Sources:
        """The medts components.

        ``text`` is ``template`` (``--no-llm``), ``llm`` (fail when the agent is missing) or ``auto``
        (LLM text when the agent is importable); ``writer`` picks the LLM writer (see
        :data:`medts.report.text.LLM_WRITERS`); ``evidence`` is how statements get evidence leads
        (see :class:`~medts.report.sources.ClassifierSource`); ``anomaly_head`` uses the MedTsLLM
        anomaly head instead of the template + RR beat detector.
        """
        if text not in ("auto", "template", "llm"):
            raise ValueError(f"text must be auto, template or llm, got {text!r}")
        generator = TemplateText() if text == "template" else AgentText(writer, batch_size=text_batch_size)
        if text == "llm" and not generator.available:
            from medts.errors import MedtsError

            raise MedtsError(f"LLM text requested but unavailable: {generator._reason}; use --no-llm")
        return cls(signal=SignalSource(), statements=ClassifierSource(evidence=evidence), anomalies=AnomalySource(head=anomaly_head),
                   text=generator)


def _takes_ecgs(generator: Any) -> bool:
    """Whether a text generator's ``interpretations`` accepts the records too (the tuned head needs them)."""
    import inspect

    return "ecgs" in inspect.signature(generator.interpretations).parameters


def age_band(age: float | None) -> str | None:
    """Ten-year band (``"50-59"``), ``"90+"`` above 89 (HIPAA safe harbour)."""
    if age is None:
        return None
    if age >= 90:
        return "90+"
    low = int(age // 10) * 10
    return f"{low}-{low + 9}"


def deidentified_id(record_id: str, salt: str = "") -> str:
    """A stable pseudonym ``anon-<10 hex>`` (SHA-256 of salt + id), so resumed runs find their outputs.

    A pseudonym stays itself (the batch runner names records by their pseudonym before building,
    so no message written on the way can carry the original id)."""
    if re.fullmatch(r"anon-[0-9a-f]{10}", record_id):
        return record_id
    return "anon-" + hashlib.sha256((salt + record_id).encode()).hexdigest()[:10]


def record_info(ecg: ECG, *, deidentify: bool = False, salt: str = "") -> RecordInfo:
    """Metadata section; with ``deidentify`` the id is pseudonymised, source/date dropped, age banded."""
    meta = ecg.metadata or {}
    sex = ecg.sex if ecg.sex in ("M", "F") else None
    info = RecordInfo(
        record_id=ecg.record_id, source=ecg.source, dataset=meta.get("dataset"), fs_hz=ecg.fs,
        n_samples=ecg.n_samples, duration_s=round(ecg.duration_s, 3), leads=list(ecg.leads),
        missing_standard_leads=[lead for lead in STANDARD_LEADS if lead not in ecg.leads],
        age_years=ecg.age, age_band=age_band(ecg.age), sex=sex, recorded_at=meta.get("base_datetime"),
    )
    if deidentify:
        info = info.model_copy(update={"record_id": deidentified_id(ecg.record_id, salt), "source": None,
                                       "age_years": None, "recorded_at": None, "deidentified": True})
    return info


@dataclass
class ReportBuilder:
    """Builds reports with one set of loaded sources (reuse it for many records).

    Parameters
    ----------
    text : {"auto", "template", "llm"}
        Free-text generator: ``template`` is ``--no-llm``; ``auto`` uses the agent's LLM text when present.
    writer : {"auto", "llm", "tuned"}
        LLM writer (untuned chat model or the tuned text head; ``auto``: tuned when shipped).
    text_batch_size : int
        Records per LLM generation batch.
    evidence : {"occlusion", "integrated_gradients", "none"}
        How each asserted classifier statement gets its evidence leads (lead occlusion: cheap).
    anomaly_head : bool
        Anomalies from the MedTsLLM anomaly head (slow) instead of the template + RR detector.
    deidentify : bool
        Pseudonymise ids, drop file paths and dates, band ages.
    sources : Sources, optional
        Replace any default source (tests, other tools).
    """

    text: str = "auto"
    deidentify: bool = False
    salt: str = ""
    sources: Sources | None = None
    writer: str = "auto"
    text_batch_size: int = 8
    evidence: str | bool = "occlusion"
    anomaly_head: bool = False
    _tools: dict[str, str] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self.sources = self.sources or Sources.default(self.text, writer=self.writer, text_batch_size=self.text_batch_size,
                                                       evidence=self.evidence, anomaly_head=self.anomaly_head)
        s = self.sources
        self._tools = {"medts": medts.__version__, "signal": s.signal.name, "statements": s.statements.name,
                       "anomalies": s.anomalies.name, "text": s.text.name}

    def build(self, ecg: ECG, whole_record: LongTermResult | None = None) -> Report:
        return self.build_many([ecg], [whole_record])[0]

    def build_many(self, ecgs: list[ECG], whole_records: list[LongTermResult | None] | None = None) -> list[Report]:
        """Reports for ``ecgs`` (classifier and text generation batched over the list).

        ``whole_records``: per record, the windowed analysis of the whole recording
        (:func:`medts.longterm.analyze.analyze_recording`) when ``ecg`` is a long record or its excerpt;
        the report then carries it and its verdict says what it found (:func:`whole_record_sentence`)."""
        s = self.sources
        whole_records = whole_records or [None] * len(ecgs)
        runs = s.statements.scores_many(ecgs)
        now = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
        drafts = []
        for ecg, run, whole in zip(ecgs, runs, whole_records):
            sig = s.signal.sections(ecg)
            sec = report_sections(ecg, sig, run, s.signal.name)
            anomalies = (s.anomalies.anomalies(ecg, r_peaks=sig.r_peaks, usable_leads=sig.usable_leads)
                         if getattr(s.anomalies, "uses_beats", False) else s.anomalies.anomalies(ecg))
            verdict = sec.verdict
            if whole is not None:
                if self.deidentify:  # the analysis names the record by its file
                    whole = whole.model_copy(update={"record": ecg.record_id})
                verdict = f"{verdict} {whole_record_sentence(whole, set(sec.statements.codes()), ecg.duration_s)}"
            drafts.append(Report.model_construct(
                medts_version=medts.__version__, generated_at=now, verdict=verdict, long_recording=whole,
                record=record_info(ecg, deidentify=self.deidentify, salt=self.salt),
                quality=sec.quality, measurements=sec.measurements, rhythm_axis=sec.rhythm_axis,
                statements=sec.statements, anomalies=anomalies, waves=sig.waves,
                findings=sec.findings if not self.deidentify or sec.findings is None
                else sec.findings.model_copy(update={"age_years": None}),
                interpretation=None, tools=dict(self._tools),
                schema_version=SCHEMA_VERSION, notice=Report.model_fields["notice"].default,
            ))
        texts = s.text.interpretations(drafts, ecgs) if _takes_ecgs(s.text) else s.text.interpretations(drafts)
        # Validate the finished report (model_construct above skipped validation on purpose).
        return [Report.model_validate({**d.__dict__, "interpretation": t}) for d, t in zip(drafts, texts)]
