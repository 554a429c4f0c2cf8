"""Clinical rules for long recordings (Holter-style): beat classes, ectopy patterns, atrial
fibrillation episodes, pauses and P-wave presence per window.

Every threshold here was set on MIT-BIH DS1 (de Chazal et al. 2004: records 101, 106, 108, 109,
112, 114, 115, 116, 118, 119, 122, 124, 201, 203, 205, 207, 209, 215, 220, 223, 230; in
``../shared/data/mitdb/full``) unless its comment says otherwise; ``medts bench long`` reports
them on other records. Durations are seconds, rates bpm.
"""

from __future__ import annotations

# ---- windows -----------------------------------------------------------------------------------
WINDOW_S = 60.0
"""Analysis window: rhythm, rate, quality and P-wave presence are decided per window."""

# ---- P waves per window (medts.longterm.beats.p_wave_present) ------------------------------------
P_WAVE_MIN_CORR = 0.5
"""Averaged P regions of two interleaved halves of a window's typical beats must agree this well."""
P_WAVE_MIN_FRACTION_OF_QRS = 0.05
"""... and their peak-to-peak must reach this fraction of the averaged QRS."""

# ---- pauses and ectopy patterns (conventional Holter definitions) ---------------------------------
PAUSE_S = 2.0
"""An RR interval of at least 2.0 s is reported as a pause (3.0 s and longer flagged as long)."""
LONG_PAUSE_S = 3.0
COUPLET_BEATS = 2
"""Two consecutive ectopic beats of one class."""
RUN_MIN_BEATS = 3
"""Three or more consecutive ectopic beats of one class: a run (ventricular: non-sustained VT when
shorter than 30 s; supraventricular: SVT run)."""
SUSTAINED_RUN_S = 30.0
SIGNAL_GAP_S = 0.5
"""A stretch where the beat lead holds one exact value this long is a signal gap (WFDB invalid samples
read as 0 mV, an electrode off, a recorder's dropout), not asystole: an RR interval across a gap is no
pause. Real ECG never repeats a sample value this long (at most 8 samples, 22 ms, in MIT-BIH 108 and 201)."""

# ---- atrial fibrillation episodes -------------------------------------------------------------------
AF_MIN_EPISODE_S = 30.0
"""An AF/flutter episode lasts at least 30 s (the conventional definition)."""
AF_MERGE_GAP_S = 60.0
"""AF windows separated by at most one non-AF window join into one episode."""

# ---- beat classes (medts.longterm.classify) -------------------------------------------------------
# Everything here was fitted / chosen on MIT-BIH DS1 (lead MLII, ~43,000 detected beats) with
# leave-one-record-out (LORO) scores; no test record took part.
# - Seed V model (V_SEED_*): logistic over SEED_FEATURE_ORDER and their squares (weights: 10 linear,
#   then 10 squared terms), class-balanced. Its confident beats (>= V_SEED_THRESHOLD, fixed a priori;
#   0.95 and 0.999 gave lower LORO F1) fill the bank of the record's own ventricular beats behind the
#   ``v_like2`` feature (medts.longterm.beats).
# - V and S models: one-hidden-layer MLPs over V_FEATURES / S_FEATURES, shipped as adapters/beats-longterm
#   (``python -m medts.longterm.train --out adapters/beats-longterm``), fitted on the beats the pipeline
#   detects (gqrs) labelled by the reference beat within 150 ms; V_THRESHOLD / S_THRESHOLD are the best
#   pooled LORO F1 on DS1 (S: beats in reference AF episodes left out). LORO on DS1 chose the features
#   (rr_z / pause_z: prematurity and pause in units of the patient's own RR spread; V also window_noise /
#   qrs_diff_z: the window's noise level and how unusual a QRS is against the window's own variation;
#   S also prematurity_long: against the 90th percentile of the last 256 RR, so runs of S beats stay
#   early: S LORO F1 0.513 -> 0.597, Se 0.447 -> 0.538, PPV 0.602 -> 0.671; 207's SVT runs Se 0.12 -> 0.75;
#   S scores at the threshold on 106's beats that are not S 7 -> 91, nearly all V beats, called V first;
#   then prematurity_mean / pause_mean / prematurity_centred, the RR around the beat on both sides, and an 8-unit
#   S MLP: S LORO Se at PPV >= 0.5 0.641 -> 0.709, best F1 0.594 -> 0.643).
#   V then beat_noise / window_beat_noise (high-frequency noise around each beat, before its P-wave peak and
#   late in its T wave, against the reference QRS, and its window median): V LORO F1, seeds 0 / 1 / 2,
#   0.852 / 0.849 / 0.844 -> 0.879 / 0.885 / 0.886 (false V on noisy 108 188 -> 39); chosen over the
#   amplitude- and polarity-free QRS slowness / breadth (slope_rel / energy_width_rel: 0.867 / 0.867 / 0.868)
#   and both together (0.876 / 0.870 / 0.876) by the mean pooled LORO F1 over the three seeds.
# - S_THRESHOLD rule, stated before scoring any test record: the highest pooled LORO S sensitivity on DS1 whose
#   pooled LORO PPV is at least 0.5 (medts.longterm.train.S_MIN_PPV; the issue sets a sensitivity goal for S
#   and the inter-patient literature reaches Se 0.76-0.85 at PPV 0.4-0.6). V_THRESHOLD stays the best F1.
SEED_FEATURE_ORDER = ("qrs_corr", "beat_corr", "qrs_diff", "width_rel", "amp_rel", "prematurity", "pause",
                      "rr_ratio", "p_corr", "p_amp")
V_FEATURES = SEED_FEATURE_ORDER + ("v_like2", "rr_z", "pause_z", "compensation", "window_noise", "qrs_diff_z",
                                   "beat_noise", "window_beat_noise")
S_FEATURES = SEED_FEATURE_ORDER + ("rr_z", "pause_z", "prematurity_slow", "compensation", "prematurity_long",
                                   "prematurity_mean", "pause_mean", "prematurity_centred")
V_SEED_FEATURES = SEED_FEATURE_ORDER
V_SEED_WEIGHTS = (-3.61898, 4.10798, 3.36929, 5.29445, 2.49787, 5.91103, 3.05695, 0.56525, 3.0131, -1.68116,
             -0.76402, 0.88117, 0.33356, -2.25543, -0.69461, 3.84123, -1.41842, 0.96479, 0.82829, 0.34691)
V_SEED_INTERCEPT = 2.52843
V_SEED_THRESHOLD = 0.99
V_MODEL_ADAPTER = "beats-longterm"
V_THRESHOLD = 0.919
"""A beat is ventricular (AAMI V) when its V score reaches this."""
V_TWO_LEAD_THRESHOLD = 0.653
"""With a second lead, the V score is the mean of the two leads' V-model logits (the beat lead's and the
first other lead's, at the same beats; ``medts.longterm.classify.two_lead_v_score``), and a beat is V when
that mean reaches the logit of this. Chosen like ``V_THRESHOLD``: best pooled F1 over the 21 DS1 records,
each scored on both its leads (MLII and V1, V2, V4 or V5) by a V model fitted on the other 20 (MLII only).
DS1 LORO, one lead -> two leads: pooled V F1 0.879 -> 0.866 (203's multiform V beats and 207's
bundle-branch-block beats score worse), records with >= 10 V beats at F1 >= 0.95 4 -> 7 of 14 (the issue's
per-record goal). A V beat whose ectopic shape barely shows on the beat lead usually shows on the other."""
S_THRESHOLD = 0.785
"""A beat that is not V is supraventricular (AAMI S) when its S score reaches this (DS1 LORO: Se 0.710,
PPV 0.507 counting V beats with high S scores as false S; was 0.971 at the best F1)."""
S_NOT_IN_AF = True
"""Inside atrial fibrillation every irregular beat would look premature: no S beats are called there."""

# ---- atrial fibrillation per window (medts.longterm.rhythm) -------------------------------------------
AF_MIN_IRREGULARITY = 0.07
"""Median |successive RR difference| / median RR over the window's beats (non-V) must exceed this..."""
AF_MIN_FRACTION_CHANGING = 0.55
"""... more than this fraction of successive RR differences must exceed 5 % of the median RR ..."""
AF_REQUIRES_NO_P_WAVE = True
"""... and the window must show no P wave: neither in its averaged beats nor as a PR interval that the
resting-ECG measurements (``medts.signal.measure``) find on its first 10 s.
The two thresholds were 0.10 / 0.8, set on DS1 alone, where only 2 patients (201, 203) have AF. On 10-s
lead-II strips of many patients (PTB-XL folds 1-8: 38 AFIB records, 18 with the 12 RR intervals a call
needs) they called 6 of 18 AF strips: real AF often changes fewer than 80 % of its successive RR by 5 %.
Re-chosen by ``medts.bench.long.choose_af_thresholds`` over its grid (0.04-0.20 x 0.50-0.90) on DS1's
21 records together with the PTB-XL folds 1-8 strips (DS1 episodes first, then the fewest non-AF strips
called AF, then the most AF strips called, then DS1 windows agreeing, then the higher pair): 0.07 / 0.55.
Tuning figures: PTB-XL 1-8 AF strips 6 -> 12 of 18, non-AF strips called AF 1 of 112 either way (ptbxl/757,
PACs); DS1 AF windows 37 -> 39 of 41, non-AF windows called AF 0 of 610 either way, episodes 19 of 19 and
0 of 19 non-AF records. Held-out figures (PTB-XL fold 9, LUDB 1-160): ``medts bench long``."""
WINDOW_MIN_IRREGULARITY = 0.10
"""A window that is not AF is labelled "irregular" above this irregularity, else "regular" (the AF rule's
former threshold, kept so that the label did not move with it)."""
AF_MIN_BEATS = 12
"""Fewer beats in a window: no rhythm call."""


def beat_class(v_score: float, s_score: float, in_af: bool) -> str:
    """AAMI class of one beat from its scores: "V", "S" or "N"."""
    if v_score >= V_THRESHOLD:
        return "V"
    if s_score >= S_THRESHOLD and not (S_NOT_IN_AF and in_af):
        return "S"
    return "N"


def is_af_window(irregularity: float, fraction_changing: float, p_wave: bool, n_beats: int, *,
                 min_irregularity: float = AF_MIN_IRREGULARITY,
                 min_fraction_changing: float = AF_MIN_FRACTION_CHANGING, min_beats: int = AF_MIN_BEATS) -> bool:
    """The per-window AF/flutter rule. The thresholds are the constants above; ``medts bench long``
    passes others only to re-choose them without the record it scores (leave-one-record-out) and to
    show the rule on 10-s strips with fewer beats than a window needs."""
    return (n_beats >= min_beats and irregularity > min_irregularity
            and fraction_changing > min_fraction_changing and not (AF_REQUIRES_NO_P_WAVE and p_wave))

# ---- window quality ------------------------------------------------------------------------------------
WINDOW_MIN_BEAT_CORR = 0.7
"""A window whose median beat correlates below this with its reference beat is graded "poor"
(noise or artefact); its rhythm is still reported, marked as such."""
PREFERRED_LEADS = ("MLII", "II", "ML2", "V5", "I")
"""The beat-analysis lead: the first of these the record has, else its first lead. The DS1 models
were fitted on MLII."""


# ---- long recordings in a resting report (medts report) -------------------------------------------
REPORT_WHOLE_RECORD_MIN_S = 120.0
"""A report on a record at least this long adds the whole-record windowed analysis (two windows or more;
with one window it would only repeat the resting analysis); a record longer than the resting excerpt
(``medts.cli_inputs.RESTING_EXCERPT_S``) is otherwise read on its first minutes only."""


WHOLE_RECORD_CODES = ("AFIB", "AFLT", "PVC", "PAC")
"""The SCP-ECG codes a whole-record analysis decides (present or absent: :func:`whole_record_codes`)."""


def whole_record_codes(res) -> tuple[str, ...]:
    """The codes of :data:`WHOLE_RECORD_CODES` the whole-record analysis ``res``
    (:class:`medts.longterm.result.LongTermResult`) shows present, so a report text may name them beside
    the resting excerpt's statements: AFIB and AFLT with an AF/flutter episode (the windowed rule does not
    tell AF from flutter), PVC with a ventricular beat, PAC with a supraventricular one."""
    found = {"AFIB": res.episodes, "AFLT": res.episodes, "PVC": res.ectopy.counts["V"], "PAC": res.ectopy.counts["S"]}
    return tuple(code for code in WHOLE_RECORD_CODES if found[code])
