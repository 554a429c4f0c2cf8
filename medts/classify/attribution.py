"""Which leads and time spans drove a classifier's statement: integrated gradients or occlusion (captum).

The explained function is the classifier's own record-level output: the probability of a
statement, averaged over the 2.5 s windows and ensemble members, as a function of the whole
preprocessed record ``[12, n_samples]``. Attributions are summed in absolute value per lead and
per time span and normalised to fractions, so the agent and the UI can say e.g. "V1-V3 and the
span 2.0-3.0 s carried most of the evidence for ASMI". Missing (zeroed) leads get no
attribution by construction.

Methods
-------
``integrated_gradients`` (default): captum ``IntegratedGradients`` from an all-zero baseline
(a flat ECG after standardisation), ``n_steps`` interpolation points.
``occlusion``: captum ``Occlusion``, zeroing one lead over ``span_s`` at a time.

Example
-------
>>> from medts.classify.attribution import explain                 # doctest: +SKIP
>>> result = explain(classifier, ecg)                              # doctest: +SKIP
>>> result.statements[0].lead_importance["V2"]                     # doctest: +SKIP
0.21
"""

from __future__ import annotations

import numpy as np
import torch
from pydantic import BaseModel

from medts.classify.predict import Classifier, describe_label
from medts.classify.preprocess import model_input
from medts.record import ECG, STANDARD_LEADS

METHODS = ("integrated_gradients", "occlusion")


class TimeSpan(BaseModel):
    start_s: float
    end_s: float
    importance: float


class StatementAttribution(BaseModel):
    """Evidence for one statement: fractions of total absolute attribution."""

    code: str
    description: str | None
    probability: float
    method: str
    lead_importance: dict[str, float]
    top_leads: list[str]
    top_spans: list[TimeSpan]


class AttributionResult(BaseModel):
    schema_version: int = 1
    record_id: str
    model: str
    missing_leads: list[str]
    statements: list[StatementAttribution]
    note: str = ("Attributions show which input regions moved the model's score; they are not a "
                 "clinical explanation. Draft for clinician review.")


class RecordProbability(torch.nn.Module):
    """``x [batch, 12, n_samples] -> probabilities [batch, n_classes]`` exactly as the classifier scores a record."""

    def __init__(self, classifier: Classifier):
        super().__init__()
        self.members = torch.nn.ModuleList(classifier.members)
        self.window, self.stride, self.aggregate = classifier.window, classifier.stride, classifier.aggregate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        from medts.classify.data import window_starts

        starts = window_starts(x.shape[-1], self.window, self.stride)
        windows = torch.stack([x[..., s : s + self.window] for s in starts], dim=1)  # [b, w, leads, window]
        flat = windows.flatten(0, 1)  # [b * w, leads, window]
        outs = []
        for net in self.members:
            probs = torch.sigmoid(net(flat)).view(x.shape[0], len(starts), -1)
            outs.append(probs.mean(dim=1) if self.aggregate == "mean" else probs.amax(dim=1))
        return torch.stack(outs).mean(dim=0)


def explain(
    classifier: Classifier,
    ecg: ECG,
    *,
    codes: list[str] | None = None,
    method: str = "integrated_gradients",
    span_s: float = 1.0,
    n_steps: int = 32,
    top_k: int = 3,
) -> AttributionResult:
    """Attribute each statement in ``codes`` (default: those predicted present) to leads and time spans.

    Parameters
    ----------
    span_s : float
        Length of the time spans (s) attributions are summed over (and the occlusion patch).
    n_steps : int
        Integrated-gradients interpolation steps.
    top_k : int
        How many leads and spans to list as the strongest.
    """
    from captum.attr import IntegratedGradients, Occlusion

    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    signal, missing = model_input(ecg, fs_hz=classifier.fs_hz)
    prediction = classifier.predict(ecg)
    probs = {s.code: s.probability for s in prediction.statements}
    codes = list(prediction.present) if codes is None else codes
    unknown = [c for c in codes if c not in classifier.classes]
    if unknown:
        raise ValueError(f"statement(s) {', '.join(unknown)} not produced by {classifier.name}")
    model = RecordProbability(classifier).eval()
    x = torch.from_numpy(np.ascontiguousarray(signal.T))[None]  # [1, 12, n_samples]
    span = max(1, round(span_s * classifier.fs_hz))
    results = []
    for code in codes:
        target = classifier.classes.index(code)
        if method == "integrated_gradients":
            attr = IntegratedGradients(model).attribute(x, baselines=torch.zeros_like(x), target=target, n_steps=n_steps)
        else:
            attr = Occlusion(model).attribute(x, sliding_window_shapes=(1, span), strides=(1, span), target=target,
                                              baselines=0.0, perturbations_per_eval=16)
        results.append(_summarise(code, probs[code], method, attr[0].detach().numpy(), classifier.fs_hz, span, top_k))
    return AttributionResult(record_id=ecg.record_id, model=classifier.name, missing_leads=missing, statements=results)


def _summarise(code: str, probability: float, method: str, attr: np.ndarray, fs_hz: float, span: int,
               top_k: int) -> StatementAttribution:
    magnitude = np.abs(attr)  # [12, n_samples]
    total = float(magnitude.sum()) or 1.0
    per_lead = magnitude.sum(axis=1) / total
    n_spans = -(-magnitude.shape[1] // span)  # ceil
    per_span = np.array([magnitude[:, i * span : (i + 1) * span].sum() for i in range(n_spans)]) / total
    lead_importance = {lead: round(float(v), 4) for lead, v in zip(STANDARD_LEADS, per_lead)}
    top_leads = [STANDARD_LEADS[i] for i in np.argsort(-per_lead)[:top_k]]
    spans = [TimeSpan(start_s=round(i * span / fs_hz, 3), end_s=round(min((i + 1) * span, magnitude.shape[1]) / fs_hz, 3),
                      importance=round(float(per_span[i]), 4)) for i in np.argsort(-per_span)[:top_k]]
    return StatementAttribution(code=code, description=describe_label(code), probability=probability, method=method,
                                lead_importance=lead_importance, top_leads=top_leads, top_spans=spans)
