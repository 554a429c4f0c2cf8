"""Which leads and time spans drove a classifier's statement: integrated gradients (captum) or lead occlusion.

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
``occlusion``: :func:`lead_occlusion_probabilities`, the record scored with each lead flat in turn
(per lead only: no time spans). The same function gives the reports' evidence leads
(:func:`lead_occlusion`), so medts has one lead occlusion.

Example
-------
>>> from medts.classify.attribution import explain                 # doctest: +SKIP
>>> result = explain(classifier, ecg)                              # doctest: +SKIP
>>> result.statements[0].lead_importance["V2"]                     # doctest: +SKIP
0.21
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from pydantic import BaseModel

from medts.classify.outputs import describe_label
from medts.classify.predict import Classifier
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
    from captum.attr import IntegratedGradients

    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    signal, missing = model_input(ecg, fs_hz=classifier.fs_hz)
    scorer = classifier.scorer(signal)  # the model that scores this record (the reduced-lead one when it lacks a lead)
    if scorer.fs_hz != classifier.fs_hz:
        signal, missing = model_input(ecg, fs_hz=scorer.fs_hz)
    classifier = scorer
    prediction = classifier.predict(ecg)
    probs = {s.code: s.probability for s in prediction.statements}
    codes = list(prediction.present) if codes is None else codes
    unknown = [c for c in codes if c not in classifier.classes]
    if unknown:
        raise ValueError(f"statement(s) {', '.join(unknown)} not produced by {classifier.name}")
    span = max(1, round(span_s * classifier.fs_hz))
    results = []
    if method == "occlusion":
        occluded = lead_occlusion_probabilities(classifier, [signal], members=None)[0]  # [13, classes]
        for code in codes:
            c = classifier.classes.index(code)
            change = np.abs(occluded[0, c] - occluded[1:, c])  # [12]
            results.append(_summarise_leads(code, probs[code], change, top_k))
        return AttributionResult(record_id=ecg.record_id, model=classifier.name, missing_leads=missing, statements=results)
    model = RecordProbability(classifier).eval()
    x = torch.from_numpy(np.ascontiguousarray(signal.T))[None]  # [1, 12, n_samples]
    for code in codes:
        target = classifier.classes.index(code)
        attr = IntegratedGradients(model).attribute(x, baselines=torch.zeros_like(x), target=target, n_steps=n_steps)
        results.append(_summarise(code, probs[code], method, attr[0].detach().numpy(), classifier.fs_hz, span, top_k))
    return AttributionResult(record_id=ecg.record_id, model=classifier.name, missing_leads=missing, statements=results)


def _summarise_leads(code: str, probability: float, change: np.ndarray, top_k: int) -> StatementAttribution:
    per_lead = change / (float(change.sum()) or 1.0)
    return StatementAttribution(
        code=code, description=describe_label(code), probability=probability, method="occlusion",
        lead_importance={lead: round(float(v), 4) for lead, v in zip(STANDARD_LEADS, per_lead)},
        top_leads=[STANDARD_LEADS[i] for i in np.argsort(-per_lead)[:top_k]], top_spans=[])


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


# -- lead occlusion: the one implementation (explain(method="occlusion") and report evidence leads) ----
EVIDENCE_TOP_K = 3
"""Evidence leads listed per statement (the leads whose removal lowers its probability most)."""

EVIDENCE_MEMBERS = 1
"""Ensemble members that score the occluded copies: the cheapest one (see :func:`evidence_members`)."""


def conv_macs(net: Any, window: int, n_leads: int = 12) -> int:
    """Multiply-accumulates of one forward pass of ``net`` on one ``[n_leads, window]`` window.

    Counted with forward hooks on the convolution and linear layers (output elements x inputs per
    output): deterministic, unlike timing, so every run picks the same member.

    >>> conv_macs(torch.nn.Conv1d(12, 4, 5), window=100)
    23040
    """
    total = 0

    def count(module, inputs, output) -> None:
        nonlocal total
        if isinstance(module, torch.nn.Linear):
            total += output.numel() * module.in_features
        else:  # ConvNd: each output element sums in_channels / groups x kernel inputs
            total += output.numel() * (module.in_channels // module.groups) * math.prod(module.kernel_size)

    kinds = (torch.nn.Conv1d, torch.nn.Conv2d, torch.nn.Linear)
    hooks = [m.register_forward_hook(count) for m in net.modules() if isinstance(m, kinds)]
    try:
        with torch.inference_mode():
            net(torch.zeros(1, n_leads, window))
    finally:
        for h in hooks:
            h.remove()
    return total


def evidence_members(clf: Classifier, members: int | None = EVIDENCE_MEMBERS) -> list[Any]:
    """The ``members`` cheapest inference members of ``clf`` (fewest :func:`conv_macs`), all for None.

    The shipped ensembles pair an inception1d member with an xresnet1d one; the xresnet1d member
    took 3x less CPU per window on the development machine, so occlusion uses it.
    """
    nets = list(clf.inference_members)
    if members is None or members >= len(nets):
        return nets
    cost = getattr(clf, "_medts_member_macs", None)
    if cost is None:
        cost = [conv_macs(net, clf.window) for net in nets]
        clf._medts_member_macs = cost  # cached on the loaded classifier: counted once per process
    order = sorted(range(len(nets)), key=lambda k: (cost[k], k))
    return [nets[k] for k in sorted(order[:members])]


def lead_occlusion_probabilities(clf: Classifier, signals: list[np.ndarray], *,
                                 members: int | None = EVIDENCE_MEMBERS) -> list[np.ndarray]:
    """Per record ``float32 [13, n_classes]``: row 0 the record, row ``j + 1`` the record with lead ``j`` flat.

    ``signals`` are preprocessed model inputs ``[n_samples, 12]`` (:func:`medts.classify.preprocess.model_input`).
    A flat lead is zero after standardisation, the baseline of the integrated gradients above. Records
    of equal length go through the network in one batch (``[records x 13 copies x windows]``), scored
    by the ``members`` cheapest ensemble member(s) (None: all) on the classifier's own windows, so the
    original and its copies compare like with like.
    """
    from medts.classify.predict import predict_signals

    nets = evidence_members(clf, members)
    n_leads = len(STANDARD_LEADS)
    out: list[np.ndarray | None] = [None] * len(signals)
    by_length: dict[int, list[int]] = {}
    for i, x in enumerate(signals):
        by_length.setdefault(x.shape[0], []).append(i)
    for idx in by_length.values():
        batch = np.repeat(np.stack([signals[i] for i in idx])[:, None], n_leads + 1, axis=1)  # [records, 13, n, 12]
        for j in range(n_leads):
            batch[:, j + 1, :, j] = 0.0
        probs = predict_signals(nets, batch.reshape(-1, *batch.shape[2:]), window=clf.window, stride=clf.stride,
                                aggregate=clf.aggregate).reshape(len(idx), n_leads + 1, -1)
        for row, i in enumerate(idx):
            out[i] = probs[row]
    return out  # type: ignore[return-value]


def lead_occlusion(clf: Classifier, ecgs: list[ECG], codes: list[list[str]], *, top_k: int = EVIDENCE_TOP_K,
                   members: int | None = EVIDENCE_MEMBERS,
                   inputs: list[tuple[np.ndarray, list[str]] | None] | None = None) -> list[dict[str, tuple[list[str], str]]]:
    """Evidence leads by lead occlusion: the drop in each statement's probability when one lead is flat.

    A statement's evidence leads are the ``top_k`` leads whose removal lowers its probability most
    (positive drops only; missing leads never count). This is captum's ``FeatureAblation`` with one
    feature per lead, computed for all statements at once by :func:`lead_occlusion_probabilities`;
    the probabilities quoted in ``how`` are the scoring member's, close to but not identical with
    the statement's.

    ``inputs``: a per-record cache of :func:`medts.classify.preprocess.model_input` at ``clf.fs_hz``
    (entries that are None are computed and stored), so several classifiers preprocess once.

    Returns
    -------
    list of dict
        Per record ``{code: (leads, "lead occlusion: probability 0.81 -> V2 0.42, V3 0.55, V1 0.63")}``.
    """
    out: list[dict[str, tuple[list[str], str]]] = [{} for _ in ecgs]
    cache = inputs if inputs is not None else [None] * len(ecgs)
    todo = [i for i, c in enumerate(codes) if c]
    for i in todo:
        if cache[i] is None:
            cache[i] = model_input(ecgs[i], fs_hz=clf.fs_hz)
    routed = [i for i in todo if clf.scorer(cache[i][0]) is not clf]  # type: ignore[index]
    if routed and clf.reduced is not None:  # records lacking a lead: evidence from the model that scored them
        reduced = clf.reduced
        sub = [cache[i] if reduced.fs_hz == clf.fs_hz else None for i in routed]
        for i, found in zip(routed, lead_occlusion(reduced, [ecgs[i] for i in routed], [codes[i] for i in routed],
                                                   top_k=top_k, members=members, inputs=sub)):
            out[i] = found
        todo = [i for i in todo if i not in set(routed)]
    nets = evidence_members(clf, members)
    picked = [k + 1 for k, net in enumerate(clf.inference_members) if any(net is n for n in nets)]
    who = f"ensemble member{'s' if len(picked) > 1 else ''} {', '.join(map(str, picked))}"
    occluded = lead_occlusion_probabilities(clf, [cache[i][0] for i in todo], members=members)  # type: ignore[index]
    for i, p in zip(todo, occluded):
        missing = cache[i][1]  # type: ignore[index]
        for code in codes[i]:
            c = clf.classes.index(code)
            drop = p[0, c] - p[1:, c]  # [12]
            order = [j for j in np.argsort(-drop) if drop[j] > 0 and STANDARD_LEADS[j] not in missing][:top_k]
            leads = [STANDARD_LEADS[j] for j in order]
            how = (f"lead occlusion ({who}): probability {p[0, c]:.2f} -> "
                   + ", ".join(f"{STANDARD_LEADS[j]} flat {p[j + 1, c]:.2f}" for j in order)) if order else \
                "lead occlusion: no single lead lowers the probability"
            out[i][code] = (leads, how)
    return out
