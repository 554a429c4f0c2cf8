"""SCP-ECG statements of PTB-XL, their label levels, and mappings from other vocabularies.

PTB-XL (Wagner et al. 2020) annotates every record with statements from a set of 71 SCP-ECG
codes, each flagged diagnostic, form and/or rhythm; diagnostic statements roll up to 23
subclasses and 5 superclasses. The PTB-XL benchmark (Strodthoff et al. 2021, ``utils.py``
``compute_label_aggregations``) defines six label levels:

================  =====  ==========================================================
level             size   labels of a record
================  =====  ==========================================================
all               71     every statement listed
diagnostic        44     listed statements flagged diagnostic
subdiagnostic     23     ``diagnostic_subclass`` of the diagnostic statements
superdiagnostic   5      ``diagnostic_class`` (NORM, MI, STTC, CD, HYP)
form              19     listed statements flagged form
rhythm            12     listed statements flagged rhythm
================  =====  ==========================================================

A statement counts whatever its likelihood in ``scp_codes`` (0 included), as in the benchmark.

The codes, flags and classes are built in (:data:`STATEMENTS`) so that classifiers and the
agent work without a PTB-XL root; :func:`load_statements` reads the real ``scp_statements.csv``
(the tests check the two agree). The descriptions are our own plain-language wording.

Example
-------
>>> aggregate_codes({"NORM": 100.0, "LVOLT": 0.0, "SR": 0.0}, "superdiagnostic")
['NORM']
>>> aggregate_codes({"IMI": 50.0, "ABQRS": 0.0, "SR": 0.0}, "subdiagnostic")
['IMI']
>>> len(level_classes("all")), len(level_classes("subdiagnostic"))
(71, 23)
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

LEVELS: tuple[str, ...] = ("all", "diagnostic", "subdiagnostic", "superdiagnostic", "form", "rhythm")
"""The six label levels of the PTB-XL benchmark."""

SUPERCLASSES: tuple[str, ...] = ("NORM", "MI", "STTC", "CD", "HYP")
"""Diagnostic superclasses: normal, myocardial infarction, ST/T change, conduction disturbance,
hypertrophy. (``level_classes("superdiagnostic")`` gives them in sorted order.)"""


@dataclass(frozen=True)
class Statement:
    """One SCP-ECG statement.

    Attributes
    ----------
    code : str
        PTB-XL code, e.g. ``"IRBBB"``.
    description : str
        Plain-language meaning (ours for the built-in table; the csv's text from
        :func:`load_statements`).
    diagnostic, form, rhythm : bool
        Which statement kinds it belongs to (NDT, NST_, DIG and LNGQT are diagnostic and form).
    diagnostic_class : str or None
        Superclass (one of :data:`SUPERCLASSES`) for diagnostic statements.
    diagnostic_subclass : str or None
        Subclass (one of 23) for diagnostic statements.
    """

    code: str
    description: str
    diagnostic: bool
    form: bool
    rhythm: bool
    diagnostic_class: str | None
    diagnostic_subclass: str | None


# code, kinds (D diagnostic, F form, R rhythm), class, subclass, our description.
# Order and content follow PTB-XL's scp_statements.csv.
_ROWS: tuple[tuple[str, str, str | None, str | None, str], ...] = (
    ("NDT", "DF", "STTC", "STTC", "T-wave changes without a specific diagnostic meaning"),
    ("NST_", "DF", "STTC", "NST_", "ST-segment changes without a specific cause"),
    ("DIG", "DF", "STTC", "STTC", "ST-T shape suggesting a digitalis (digoxin) effect"),
    ("LNGQT", "DF", "STTC", "STTC", "long QT interval"),
    ("NORM", "D", "NORM", "NORM", "normal ECG"),
    ("IMI", "D", "MI", "IMI", "inferior myocardial infarction (lower wall)"),
    ("ASMI", "D", "MI", "AMI", "anteroseptal myocardial infarction (front wall and septum)"),
    ("LVH", "D", "HYP", "LVH", "left ventricular hypertrophy (thickened left ventricle)"),
    ("LAFB", "D", "CD", "LAFB/LPFB", "left anterior fascicular block"),
    ("ISC_", "D", "STTC", "ISC_", "ischaemic ST-T changes, location not specified"),
    ("IRBBB", "D", "CD", "IRBBB", "incomplete right bundle branch block"),
    ("1AVB", "D", "CD", "_AVB", "first-degree AV block (long PR, every beat conducted)"),
    ("IVCD", "D", "CD", "IVCD", "non-specific slowing of conduction inside the ventricles"),
    ("ISCAL", "D", "STTC", "ISCA", "ischaemic ST-T changes in the anterior and lateral leads"),
    ("CRBBB", "D", "CD", "CRBBB", "complete right bundle branch block"),
    ("CLBBB", "D", "CD", "CLBBB", "complete left bundle branch block"),
    ("ILMI", "D", "MI", "IMI", "inferolateral myocardial infarction"),
    ("LAO/LAE", "D", "HYP", "LAO/LAE", "left atrial overload or enlargement"),
    ("AMI", "D", "MI", "AMI", "anterior myocardial infarction"),
    ("ALMI", "D", "MI", "AMI", "anterolateral myocardial infarction"),
    ("ISCIN", "D", "STTC", "ISCI", "ischaemic ST-T changes in the inferior leads"),
    ("INJAS", "D", "MI", "AMI", "subendocardial injury pattern in the anteroseptal leads"),
    ("LMI", "D", "MI", "LMI", "lateral myocardial infarction"),
    ("ISCIL", "D", "STTC", "ISCI", "ischaemic ST-T changes in the inferior and lateral leads"),
    ("LPFB", "D", "CD", "LAFB/LPFB", "left posterior fascicular block"),
    ("ISCAS", "D", "STTC", "ISCA", "ischaemic ST-T changes in the anteroseptal leads"),
    ("INJAL", "D", "MI", "AMI", "subendocardial injury pattern in the anterolateral leads"),
    ("ISCLA", "D", "STTC", "ISCA", "ischaemic ST-T changes in the lateral leads"),
    ("RVH", "D", "HYP", "RVH", "right ventricular hypertrophy (thickened right ventricle)"),
    ("ANEUR", "D", "STTC", "STTC", "ST-T shape suggesting a ventricular aneurysm"),
    ("RAO/RAE", "D", "HYP", "RAO/RAE", "right atrial overload or enlargement"),
    ("EL", "D", "STTC", "STTC", "ST-T changes suggesting an electrolyte disturbance or a drug"),
    ("WPW", "D", "CD", "WPW", "Wolff-Parkinson-White pattern (pre-excitation by an extra pathway)"),
    ("ILBBB", "D", "CD", "ILBBB", "incomplete left bundle branch block"),
    ("IPLMI", "D", "MI", "IMI", "inferoposterolateral myocardial infarction"),
    ("ISCAN", "D", "STTC", "ISCA", "ischaemic ST-T changes in the anterior leads"),
    ("IPMI", "D", "MI", "IMI", "inferoposterior myocardial infarction"),
    ("SEHYP", "D", "HYP", "SEHYP", "septal hypertrophy"),
    ("INJIN", "D", "MI", "IMI", "subendocardial injury pattern in the inferior leads"),
    ("INJLA", "D", "MI", "AMI", "subendocardial injury pattern in the lateral leads"),
    ("PMI", "D", "MI", "PMI", "posterior myocardial infarction"),
    ("3AVB", "D", "CD", "_AVB", "third-degree (complete) AV block"),
    ("INJIL", "D", "MI", "IMI", "subendocardial injury pattern in the inferolateral leads"),
    ("2AVB", "D", "CD", "_AVB", "second-degree AV block (some atrial beats not conducted)"),
    ("ABQRS", "F", None, None, "abnormal QRS complex"),
    ("PVC", "F", None, None, "premature ventricular beat(s)"),
    ("STD_", "F", None, None, "ST depression without a specific cause"),
    ("VCLVH", "F", None, None, "QRS voltage meets left ventricular hypertrophy criteria"),
    ("QWAVE", "F", None, None, "Q waves present"),
    ("LOWT", "F", None, None, "low-amplitude T waves"),
    ("NT_", "F", None, None, "T-wave changes without a specific cause"),
    ("PAC", "F", None, None, "premature atrial beat(s)"),
    ("LPR", "F", None, None, "long PR interval"),
    ("INVT", "F", None, None, "inverted T waves"),
    ("LVOLT", "F", None, None, "low QRS voltage in the limb and chest leads"),
    ("HVOLT", "F", None, None, "high QRS voltage"),
    ("TAB_", "F", None, None, "abnormal T waves"),
    ("STE_", "F", None, None, "ST elevation without a specific cause"),
    ("PRC(S)", "F", None, None, "premature beat(s) of unspecified origin"),
    ("SR", "R", None, None, "sinus rhythm"),
    ("AFIB", "R", None, None, "atrial fibrillation"),
    ("STACH", "R", None, None, "sinus tachycardia (sinus rhythm faster than 100 bpm)"),
    ("SARRH", "R", None, None, "sinus arrhythmia (sinus rhythm with irregular intervals)"),
    ("SBRAD", "R", None, None, "sinus bradycardia (sinus rhythm slower than 60 bpm)"),
    ("PACE", "R", None, None, "artificial pacemaker rhythm, working normally"),
    ("SVARR", "R", None, None, "supraventricular arrhythmia"),
    ("BIGU", "R", None, None, "bigeminy: every other beat premature (atrial or ventricular)"),
    ("AFLT", "R", None, None, "atrial flutter"),
    ("SVTAC", "R", None, None, "supraventricular tachycardia"),
    ("PSVT", "R", None, None, "paroxysmal supraventricular tachycardia (sudden start and stop)"),
    ("TRIGU", "R", None, None, "trigeminy: every third beat premature (atrial or ventricular)"),
)

STATEMENTS: dict[str, Statement] = {
    code: Statement(code, text, "D" in kinds, "F" in kinds, "R" in kinds, cls, sub)
    for code, kinds, cls, sub, text in _ROWS
}
"""All 71 SCP-ECG statements of PTB-XL by code, in ``scp_statements.csv`` order."""


def load_statements(path: str | Path) -> dict[str, Statement]:
    """Read ``scp_statements.csv`` (or a PTB-XL root holding it) into :class:`Statement` s.

    Parameters
    ----------
    path : str or Path
        The csv file, or the folder that contains ``scp_statements.csv``.

    Returns
    -------
    dict of str to Statement
        By code, in file order; ``description`` is the csv's own text.

    Raises
    ------
    ECGReadError
        When the file is missing or lacks the expected columns.
    """
    import pandas as pd

    from medts.errors import ECGReadError

    path = Path(path)
    csv = path / "scp_statements.csv" if path.is_dir() else path
    try:
        table = pd.read_csv(csv, index_col=0)
    except (OSError, ValueError) as error:
        raise ECGReadError(csv, f"cannot read SCP statement table ({error})") from None
    needed = {"description", "diagnostic", "form", "rhythm", "diagnostic_class", "diagnostic_subclass"}
    missing = sorted(needed - set(table.columns))
    if missing:
        raise ECGReadError(csv, f"SCP statement table lacks column(s) {', '.join(missing)}")

    def flag(value: object) -> bool:
        return _present(value) and float(value) == 1.0  # type: ignore[arg-type]

    def text(value: object) -> str | None:
        return str(value) if _present(value) else None

    return {
        str(code): Statement(
            code=str(code),
            description=str(row["description"]),
            diagnostic=flag(row["diagnostic"]),
            form=flag(row["form"]),
            rhythm=flag(row["rhythm"]),
            diagnostic_class=text(row["diagnostic_class"]),
            diagnostic_subclass=text(row["diagnostic_subclass"]),
        )
        for code, row in table.iterrows()
    }


def _present(value: object) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value)) and str(value) != ""


def _check_level(level: str) -> None:
    if level not in LEVELS:
        raise ValueError(f"unknown label level {level!r}; expected one of {', '.join(LEVELS)}")


def _statement_labels(statement: Statement, level: str) -> tuple[str, ...]:
    """What one statement contributes at ``level`` (empty when it does not belong there)."""
    if level == "all":
        return (statement.code,)
    if level == "diagnostic":
        return (statement.code,) if statement.diagnostic else ()
    if level == "subdiagnostic":
        return (statement.diagnostic_subclass,) if statement.diagnostic and statement.diagnostic_subclass else ()
    if level == "superdiagnostic":
        return (statement.diagnostic_class,) if statement.diagnostic and statement.diagnostic_class else ()
    if level == "form":
        return (statement.code,) if statement.form else ()
    return (statement.code,) if statement.rhythm else ()


def aggregate_codes(
    scp_codes: Mapping[str, float] | list[str],
    level: str,
    statements: Mapping[str, Statement] | None = None,
) -> list[str]:
    """The labels of one record at ``level``, following the PTB-XL benchmark.

    Any statement listed counts, whatever its likelihood. At level ``"all"`` every listed code
    is kept (unknown ones too, as the benchmark does); at the other levels codes missing from
    the statement table are ignored.

    Parameters
    ----------
    scp_codes : mapping of code to likelihood (%), or list of codes
        E.g. ``{"NORM": 100.0, "SR": 0.0}`` from ``ptbxl_database.csv``.
    level : str
        One of :data:`LEVELS`.
    statements : mapping, optional
        Statement table; the built-in :data:`STATEMENTS` by default.

    Returns
    -------
    list of str
        Sorted, without duplicates.

    Example
    -------
    >>> aggregate_codes({"ASMI": 100.0, "LAFB": 100.0, "ABQRS": 0.0, "SR": 0.0}, "superdiagnostic")
    ['CD', 'MI']
    >>> aggregate_codes({"ASMI": 100.0, "LAFB": 100.0, "ABQRS": 0.0, "SR": 0.0}, "form")
    ['ABQRS']
    """
    _check_level(level)
    table = STATEMENTS if statements is None else statements
    labels: set[str] = set()
    for code in scp_codes:
        statement = table.get(code)
        if statement is None:
            if level == "all":
                labels.add(code)
            continue
        labels.update(_statement_labels(statement, level))
    return sorted(labels)


def level_classes(level: str, statements: Mapping[str, Statement] | None = None) -> list[str]:
    """Every label of ``level``, sorted (the column order of label matrices).

    Sorted order matches the ``MultiLabelBinarizer`` columns of the PTB-XL benchmark.

    >>> level_classes("superdiagnostic")
    ['CD', 'HYP', 'MI', 'NORM', 'STTC']
    >>> [len(level_classes(level)) for level in LEVELS]
    [71, 44, 23, 5, 19, 12]
    """
    _check_level(level)
    table = STATEMENTS if statements is None else statements
    return sorted({label for statement in table.values() for label in _statement_labels(statement, level)})


# ---------------------------------------------------------------------------------------------
# LUDB diagnosis text -> SCP codes. Keys are lower-cased lines of ludb.csv. Only lines whose
# meaning an SCP statement states are mapped. Deliberately unmapped: the electrical axis
# (PTB-XL keeps it in the separate heart_axis column, no SCP statement), "left ventricular
# overload" (strain, not hypertrophy), wandering atrial pacemaker, aberrant conduction,
# early repolarisation, non-specific repolarisation abnormalities (no ST-vs-T distinction),
# and ischaemia/scar/STEMI of the septal or apical wall or of undefined type (no SCP location).
_LUDB_TO_SCP: dict[str, tuple[str, ...]] = {
    # rhythms
    "sinus rhythm": ("SR",),
    "sinus bradycardia": ("SBRAD",),
    "sinus tachycardia": ("STACH",),
    "sinus arrhythmia": ("SARRH",),
    "irregular sinus rhythm": ("SARRH",),
    "atrial fibrillation": ("AFIB",),
    "atrial flutter, typical": ("AFLT",),
    "atrial flutter": ("AFLT",),
    # conduction
    "complete left bundle branch block": ("CLBBB",),
    "complete right bundle branch block": ("CRBBB",),
    "incomplete left bundle branch block": ("ILBBB",),
    "incomplete right bundle branch block": ("IRBBB",),
    "i degree av block": ("1AVB",),
    "ii degree av block": ("2AVB",),
    "iii degree av-block": ("3AVB",),
    "iii degree av block": ("3AVB",),
    "left anterior hemiblock": ("LAFB",),
    "left posterior hemiblock": ("LPFB",),
    "non-specific intravintricular conduction delay": ("IVCD",),  # sic, as in ludb.csv
    "non-specific intraventricular conduction delay": ("IVCD",),
    # hypertrophies
    "left atrial hypertrophy": ("LAO/LAE",),
    "left atrial overload": ("LAO/LAE",),
    "right atrial hypertrophy": ("RAO/RAE",),
    "right atrial overload": ("RAO/RAE",),
    "left ventricular hypertrophy": ("LVH",),
    "right ventricular hypertrophy": ("RVH",),
    # ischaemia: location-specific ischaemia and infarction (STEMI or scar) of a named wall
    "ischemia: anterior wall": ("ISCAN",),
    "ischemia: inferior wall": ("ISCIN",),
    "ischemia: lateral wall": ("ISCLA",),
    "stemi: anterior wall": ("AMI",),
    "stemi: inferior wall": ("IMI",),
    "stemi: lateral wall": ("LMI",),
    "stemi: posterior wall": ("PMI",),
    "scar formation: anterior wall": ("AMI",),
    "scar formation: inferior wall": ("IMI",),
    "scar formation: lateral wall": ("LMI",),
    "scar formation: posterior wall": ("PMI",),
}
# Prefix rules for the families with many subtypes (extrasystoles, pacing).
_LUDB_PREFIXES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("atrial extrasystole, type: bigemini", ("PAC", "BIGU")),
    ("atrial extrasystole, type: trigemini", ("PAC", "TRIGU")),
    ("ventricular extrasystole, type: bigemini", ("PVC", "BIGU")),
    ("ventricular extrasystole, type: trigemini", ("PVC", "TRIGU")),
    ("atrial extrasystole", ("PAC",)),
    ("ventricular extrasystole", ("PVC",)),
    ("bipolar ventricular pacing", ("PACE",)),
    ("unipolar ventricular pacing", ("PACE",)),
    ("biventricular pacing", ("PACE",)),
    ("unipolar atrial pacing", ("PACE",)),
    ("bipolar atrial pacing", ("PACE",)),
    ("p-synchrony", ("PACE",)),
    ("pacemaker presence", ("PACE",)),
)


def ludb_text_to_scp(text: str) -> list[str]:
    """SCP codes stated by LUDB diagnosis text (one line, or a newline-separated ``ludb.csv`` cell).

    Returns ``[]`` for text with no faithful SCP equivalent (for example the electrical axis).

    >>> ludb_text_to_scp("Sinus bradycardia")
    ['SBRAD']
    >>> ludb_text_to_scp("Atrial extrasystole, type: bigemini")
    ['BIGU', 'PAC']
    >>> ludb_text_to_scp("Electric axis of the heart: left axis deviation")
    []
    """
    codes: set[str] = set()
    for line in str(text).splitlines():
        key = re.sub(r"\s+", " ", line).strip().lower()
        if not key:
            continue
        if key in _LUDB_TO_SCP:
            codes.update(_LUDB_TO_SCP[key])
            continue
        for prefix, mapped in _LUDB_PREFIXES:
            if key.startswith(prefix):
                codes.update(mapped)
                break
    return sorted(codes)


# ---------------------------------------------------------------------------------------------
# SNOMED CT (PhysioNet/CinC 2020-2021 diagnosis codes) -> SCP codes, where the SCP statement
# says the same thing. Source of the codes and their names: the Challenge's own tables,
# ``dx_mapping_scored.csv`` and ``dx_mapping_unscored.csv`` of
# github.com/physionetchallenges/evaluation-2021 (BSD-2-Clause; Reyna et al., "Will Two Do?
# Varying Dimensions in Electrocardiography: the PhysioNet/Computing in Cardiology Challenge
# 2021", CinC 2021); the SCP meanings are PTB-XL's ``scp_statements.csv`` (Wagner et al. 2020).
# Codes marked "scored" are among the 26 diagnoses (30 codes) the 2021 Challenge scores
# (:data:`CINC2021_SCORED`). Like the Challenge, we treat 713427006/59118001 (RBBB),
# 733534002/164909002 (LBBB), 284470004/63593006 (PAC/SVPB) and 427172004/17338001 (PVC/VPB)
# as one diagnosis each. Unmapped on purpose: axis deviations, generic "bradycardia", generic
# "myocardial infarction"/"old MI" (no location), generic "bundle branch block", poor R-wave
# progression, early repolarisation (no SCP statement says the same; the superclass of some of
# them is in :data:`_SNOMED_SUPERCLASS_ONLY`).
_SNOMED_TO_SCP: dict[str, tuple[str, ...]] = {
    # rhythm
    "426783006": ("SR",),  # sinus rhythm
    "164889003": ("AFIB",),  # atrial fibrillation
    "426749004": ("AFIB",),  # chronic atrial fibrillation
    "282825002": ("AFIB",),  # paroxysmal atrial fibrillation
    "314208002": ("AFIB",),  # rapid atrial fibrillation
    "164890007": ("AFLT",),  # atrial flutter
    "427084000": ("STACH",),  # sinus tachycardia
    "426177001": ("SBRAD",),  # sinus bradycardia
    "427393009": ("SARRH",),  # sinus arrhythmia
    "426761007": ("SVTAC",),  # supraventricular tachycardia
    "67198005": ("PSVT",),  # paroxysmal supraventricular tachycardia
    "10370003": ("PACE",),  # pacing rhythm
    "251266004": ("PACE",),  # ventricular pacing pattern
    "251268003": ("PACE",),  # atrial pacing pattern
    "11157007": ("BIGU", "PVC"),  # ventricular bigeminy
    "251173003": ("BIGU", "PAC"),  # atrial bigeminy
    "251180001": ("TRIGU", "PVC"),  # ventricular trigeminy
    # conduction
    "270492004": ("1AVB",),  # 1st degree AV block
    "195042002": ("2AVB",),  # 2nd degree AV block
    "54016002": ("2AVB",),  # Mobitz I (Wenckebach)
    "28189009": ("2AVB",),  # Mobitz II
    "426183003": ("2AVB",),  # Mobitz type II atrioventricular block
    "164903001": ("2AVB",),  # 2:1 AV block
    "27885002": ("3AVB",),  # complete heart block
    "713427006": ("CRBBB",),  # complete right bundle branch block
    "59118001": ("CRBBB",),  # right bundle branch block (scored as CRBBB in CinC)
    "713426002": ("IRBBB",),  # incomplete right bundle branch block
    "733534002": ("CLBBB",),  # complete left bundle branch block
    "164909002": ("CLBBB",),  # left bundle branch block (scored as CLBBB in CinC 2021)
    "251120003": ("ILBBB",),  # incomplete left bundle branch block
    "445118002": ("LAFB",),  # left anterior fascicular block
    "445211001": ("LPFB",),  # left posterior fascicular block
    "698252002": ("IVCD",),  # nonspecific intraventricular conduction disorder
    "74390002": ("WPW",),  # Wolff-Parkinson-White pattern
    "195060002": ("WPW",),  # ventricular pre-excitation
    # hypertrophy
    "164873001": ("LVH",),  # left ventricular hypertrophy
    "89792004": ("RVH",),  # right ventricular hypertrophy
    "67741000119109": ("LAO/LAE",),  # left atrial enlargement
    "446813000": ("LAO/LAE",),  # left atrial hypertrophy
    "253352002": ("LAO/LAE",),  # left atrial abnormality
    "446358003": ("RAO/RAE",),  # right atrial hypertrophy
    "253339007": ("RAO/RAE",),  # right atrial abnormality
    "67751000119106": ("RAO/RAE",),  # right atrial high voltage
    "55827005": ("VCLVH",),  # left ventricular high voltage (voltage criteria only, as VCLVH)
    # ischaemia / infarction with a location
    "54329005": ("AMI",),  # anterior myocardial infarction
    "426434006": ("ISCAN",),  # anterior ischaemia
    "425419005": ("ISCIN",),  # inferior ischaemia
    "425623009": ("ISCLA",),  # lateral ischaemia
    "164861001": ("ISC_",),  # myocardial ischaemia (unspecified location)
    # form
    "284470004": ("PAC",),  # premature atrial contraction (scored)
    "63593006": ("PAC",),  # supraventricular premature beats (scored as PAC in CinC 2021)
    "427172004": ("PVC",),  # premature ventricular contractions
    "17338001": ("PVC",),  # ventricular premature beats
    "164884008": ("PVC",),  # ventricular ectopics
    "164947007": ("LPR",),  # prolonged PR interval
    "111975006": ("LNGQT",),  # prolonged QT interval
    "164917005": ("QWAVE",),  # Q wave abnormal
    "164951009": ("ABQRS",),  # abnormal QRS
    "251146004": ("LVOLT",),  # low QRS voltages
    "164934002": ("TAB_",),  # T wave abnormal
    "59931005": ("INVT",),  # T wave inversion
    "429622005": ("STD_",),  # ST depression
    "164931005": ("STE_",),  # ST elevation
    "55930002": ("NST_",),  # ST changes
}


def snomed_to_scp(code: str | int) -> list[str]:
    """SCP codes equivalent to a SNOMED CT diagnosis code as used in PhysioNet/CinC 2021.

    >>> snomed_to_scp("426783006"), snomed_to_scp(59118001), snomed_to_scp("39732003")
    (['SR'], ['CRBBB'], [])
    """
    return sorted(_SNOMED_TO_SCP.get(str(code).strip(), ()))


CINC2021_SCORED: tuple[tuple[str, str], ...] = (
    ("164889003", "AF"), ("164890007", "AFL"), ("6374002", "BBB"), ("426627000", "Brady"),
    ("733534002|164909002", "CLBBB|LBBB"), ("713427006|59118001", "CRBBB|RBBB"), ("270492004", "IAVB"),
    ("713426002", "IRBBB"), ("39732003", "LAD"), ("445118002", "LAnFB"), ("164947007", "LPR"),
    ("251146004", "LQRSV"), ("111975006", "LQT"), ("698252002", "NSIVCB"), ("426783006", "NSR"),
    ("284470004|63593006", "PAC|SVPB"), ("10370003", "PR"), ("365413008", "PRWP"),
    ("427172004|17338001", "PVC|VPB"), ("164917005", "QAb"), ("47665007", "RAD"), ("427393009", "SA"),
    ("426177001", "SB"), ("427084000", "STach"), ("164934002", "TAb"), ("59931005", "TInv"),
)
"""The 26 diagnoses the PhysioNet/CinC Challenge 2021 scores (``weights.csv`` column order of the
2021 evaluation code), each ``(codes, abbreviations)`` with ``|`` joining codes scored as one."""

# SCP code -> the SNOMED CT code that says the same (the Challenge's scored code where there is
# one). Used to write SCP-labelled records (LUDB, PTB-XL) as Challenge records and to score SCP
# outputs with the Challenge metric. BIGU/TRIGU have no code of their own (atrial vs ventricular).
_SCP_TO_SNOMED: dict[str, str] = {
    "SR": "426783006", "AFIB": "164889003", "AFLT": "164890007", "STACH": "427084000",
    "SBRAD": "426177001", "SARRH": "427393009", "SVTAC": "426761007", "PSVT": "67198005",
    "PACE": "10370003", "1AVB": "270492004", "2AVB": "195042002", "3AVB": "27885002",
    "CRBBB": "713427006", "IRBBB": "713426002", "CLBBB": "733534002", "ILBBB": "251120003",
    "LAFB": "445118002", "LPFB": "445211001", "IVCD": "698252002", "WPW": "74390002",
    "LVH": "164873001", "RVH": "89792004", "LAO/LAE": "67741000119109", "RAO/RAE": "446358003",
    "AMI": "54329005", "ISCAN": "426434006", "ISCIN": "425419005", "ISCLA": "425623009",
    "ISC_": "164861001", "PAC": "284470004", "PVC": "427172004", "LPR": "164947007",
    "LNGQT": "111975006", "QWAVE": "164917005", "ABQRS": "164951009", "LVOLT": "251146004",
    "TAB_": "164934002", "INVT": "59931005", "STD_": "429622005", "STE_": "164931005",
    "NST_": "55930002",
}

# SNOMED codes with no SCP equivalent whose PTB-XL superclass is still clear (codes and names
# from the Challenge's dx_mapping tables; the class is the one PTB-XL gives the SCP statements
# of the same family).
_SNOMED_SUPERCLASS_ONLY: dict[str, str] = {
    "164865005": "MI",  # myocardial infarction (no location)
    "164867002": "MI",  # old myocardial infarction
    "57054005": "MI",  # acute myocardial infarction
    "6374002": "CD",  # bundle branch block (unspecified)
    "233917008": "CD",  # AV block (unspecified degree)
    "428750005": "STTC",  # nonspecific ST-T abnormality
    "164930006": "STTC",  # ST interval abnormal
    "413444003": "STTC",  # acute myocardial ischaemia
    "413844008": "STTC",  # chronic myocardial ischaemia
    "266249003": "HYP",  # ventricular hypertrophy
    "195126007": "HYP",  # atrial hypertrophy
}


def scp_to_snomed(code: str) -> str | None:
    """The SNOMED CT code (CinC 2020-2021 vocabulary) that states an SCP statement, or None.

    >>> scp_to_snomed("CRBBB"), scp_to_snomed("IMI")
    ('713427006', None)
    """
    return _SCP_TO_SNOMED.get(code)


def snomed_superclasses(codes: list[str] | tuple[str, ...]) -> list[str]:
    """PTB-XL diagnostic superclasses (MI, STTC, CD, HYP) stated by SNOMED codes, sorted.

    NORM is never derived: the Challenge's "sinus rhythm" is a rhythm, not a normal ECG.

    >>> snomed_superclasses(["164865005", "713427006", "426783006"])
    ['CD', 'MI']
    """
    classes: set[str] = set()
    for code in codes:
        code = str(code).strip()
        if code in _SNOMED_SUPERCLASS_ONLY:
            classes.add(_SNOMED_SUPERCLASS_ONLY[code])
        for scp in snomed_to_scp(code):
            cls = STATEMENTS[scp].diagnostic_class
            if STATEMENTS[scp].diagnostic and cls and cls != "NORM":
                classes.add(cls)
    return sorted(classes)
