"""Issue 19, bounded memory: the resting-ECG commands (measure, classify, report) analyse at most
the first ``RESTING_EXCERPT_S`` of a long record, read by sample range, and say so in the output."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
import wfdb
from typer.testing import CliRunner

from medts.cli import app
from medts.cli_inputs import RESTING_EXCERPT_S, InputLimits, read_checked
from medts.errors import ECGReadError
from medts.io import read_record, wfdb_io
from medts.io.wfdb_io import write_wfdb
from medts.simulate import simulate_12lead

FS = 500.0


@pytest.fixture(scope="module")
def minute(tmp_path_factory):
    """A 60-s 12-lead WFDB record and a 10-s one."""
    folder = tmp_path_factory.mktemp("long")
    ecg = simulate_12lead(duration_s=60.0, fs=FS, hr_bpm=70.0, seed=3)
    short = simulate_12lead(duration_s=10.0, fs=FS, hr_bpm=65.0, seed=4)
    return write_wfdb(replace(ecg, record_id="minute"), folder / "minute"), write_wfdb(short, folder / "short")


def _count_reads(monkeypatch) -> list[int]:
    """Record the number of samples of every ``wfdb.rdrecord`` result (what ever enters memory)."""
    sizes: list[int] = []
    real = wfdb.rdrecord

    def counting(*args, **kwargs):
        record = real(*args, **kwargs)
        sizes.append(int(record.sig_len))
        return record

    monkeypatch.setattr(wfdb, "rdrecord", counting)
    return sizes


def test_a_long_record_is_read_by_sample_range_and_its_excerpt_named(minute, monkeypatch):
    hea, _ = minute
    whole = read_record(hea)
    monkeypatch.setattr(wfdb_io, "CHECKSUM_BLOCK_SAMPLES", 4096)  # the checksum pass streams small blocks
    sizes = _count_reads(monkeypatch)
    ecg = read_checked(hea, limits=InputLimits(excerpt_s=20.0, what="medts measure"))
    keep = int(20.0 * FS)
    assert ecg.n_samples == keep
    assert sizes and max(sizes) <= keep  # never the whole 30,000 samples at once
    assert sum(sizes) >= whole.n_samples  # ... yet every sample was read once for the checksums
    np.testing.assert_array_equal(ecg.signal, whole.signal[:keep])
    assert any("medts measure analysed its first 20 s of 60 s" in note for note in ecg.input_notes())


def test_a_corrupt_tail_beyond_the_excerpt_is_still_refused(minute, tmp_path):
    hea, _ = minute
    for suffix in (".hea", ".dat"):
        (tmp_path / f"minute{suffix}").write_bytes(hea.with_suffix(suffix).read_bytes())
    data = bytearray((tmp_path / "minute.dat").read_bytes())
    data[-200:] = bytes(200)  # zero the last samples, far past the 20-s excerpt
    (tmp_path / "minute.dat").write_bytes(bytes(data))
    with pytest.raises(ECGReadError, match="checksum mismatch"):
        read_checked(tmp_path / "minute.hea", limits=InputLimits(excerpt_s=20.0))


def test_a_record_within_the_excerpt_is_read_whole_and_unchanged(minute):
    _, short = minute
    ecg = read_checked(short, limits=InputLimits(excerpt_s=RESTING_EXCERPT_S))
    whole = read_record(short)
    np.testing.assert_array_equal(ecg.signal, whole.signal)
    assert "carried_notes" not in ecg.metadata and ecg.input_notes() == whole.input_notes()


def test_a_format_without_a_header_to_peek_is_cut_after_reading(minute, tmp_path):
    hea, _ = minute
    whole = read_record(hea)
    np.savez(tmp_path / "minute.npz", signal=whole.signal, fs=FS)
    ecg = read_checked(tmp_path / "minute.npz", limits=InputLimits(excerpt_s=20.0, what="x"))
    assert ecg.n_samples == int(20.0 * FS)
    assert any("x analysed its first 20 s of 60 s" in note for note in ecg.input_notes())


def test_measure_on_a_long_record_measures_the_excerpt_and_says_so(minute, monkeypatch):
    hea, _ = minute
    from medts.commands import measure

    monkeypatch.setattr(measure, "MEASURE_LIMITS", replace(measure.MEASURE_LIMITS, excerpt_s=20.0))
    result = CliRunner().invoke(app, ["measure", str(hea), "--json"])
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout.splitlines()[-1])[0]
    assert row["duration_s"] == 20.0
    assert 18 <= row["n_beats"] <= 26  # 70 bpm over 20 s, not over 60 s
    assert any("first 20 s of 60 s" in note for note in row["input_notes"])


def test_measure_peak_memory_stays_bounded_on_a_30_minute_record(tmp_path):
    """Measured whole (excerpt off), this 30-minute record peaked at 821 MB (60 minutes: 1350 MB)."""
    from medts.bench.robustness import Case, run_case

    one = simulate_12lead(duration_s=60.0, fs=FS, hr_bpm=70.0, seed=5)
    long = replace(one, signal=np.tile(one.signal, (30, 1)), record_id="long30")
    hea = write_wfdb(long, tmp_path / "long30")
    run = run_case("measure", Case("long30", "long", (str(hea),), "30 min"), tmp_path / "run", timeout_s=120.0)
    assert run.exit_code == 0, run.first_line
    assert run.peak_rss_mb is not None and run.peak_rss_mb < 600.0


def test_keep_leads_drops_unanalysed_leads_but_not_their_notes(minute):
    from medts.cli_inputs import keep_leads

    hea, _ = minute
    ecg = read_record(hea)
    loud = ecg.signal.copy()
    loud[:, ecg.leads.index("V1")] *= 1e6
    ecg = replace(ecg, signal=loud)
    kept = keep_leads(ecg, ["II"])
    assert kept.leads == ("II",) and kept.n_samples == ecg.n_samples
    assert any(note.startswith("lead V1 has an implausible amplitude") for note in kept.input_notes())
    assert keep_leads(ecg, ["X9"]) is ecg  # a lead the record lacks: the analysis says so itself


def test_segmentation_runs_in_bounded_batches_with_the_same_probabilities(tokenizer):
    """``segment_logits`` calls the model with at most ``batch_size`` sequences (window x lead), and
    the probabilities equal those of one call for the whole record."""
    import torch

    from medts.medtsllm.backbone import tiny_llama
    from medts.medtsllm.config import MedTsLLMConfig
    from medts.medtsllm.infer import segment_logits
    from medts.medtsllm.model import MedTsLLM

    torch.manual_seed(0)
    cfg = MedTsLLMConfig().replace(encoder={"d_model": 16, "n_heads": 2, "n_prototypes": 8}, task="segmentation",
                                   data={"lead_mode": "independent"})
    model = MedTsLLM(cfg, backbone=tiny_llama(len(tokenizer)), tokenizer=tokenizer).eval()
    fs = cfg.data.fs
    rng = np.random.default_rng(0)
    signal = rng.normal(size=(int(30 * fs), 3)).astype(np.float32)  # 30 s, 3 leads: 45 sequences
    sizes: list[int] = []
    real = model.forward

    def counting(x, *args, **kwargs):
        sizes.append(int(x.shape[0]))
        return real(x, *args, **kwargs)

    whole = segment_logits(model, signal, ["I", "II", "V1"], hop_s=cfg.data.window_s, batch_size=None)
    model.forward = counting
    batched = segment_logits(model, signal, ["I", "II", "V1"], hop_s=cfg.data.window_s, batch_size=7)
    assert max(sizes) <= 7 and sum(sizes) == int(30 / cfg.data.window_s) * 3
    np.testing.assert_allclose(batched, whole, atol=1e-5)


def test_loading_the_adapter_code_leaves_nothing_in_the_temporary_folder(tmp_path):
    """``import peft`` creates ``$TMPDIR/torchinductor_<user>``; medts points that cache elsewhere."""
    import os
    import subprocess
    import sys

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp), "MEDTS_CACHE": str(tmp_path / "cache"), "HF_HUB_OFFLINE": "1"}
    env.pop("TORCHINDUCTOR_CACHE_DIR", None)
    code = "import medts.medtsllm.checkpoint, medts.agent.text_head"
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=120)
    assert list(tmp.iterdir()) == []


def test_a_lead_seconds_excerpt_keeps_more_time_on_fewer_leads():
    limits = InputLimits(excerpt_lead_seconds=12 * 300.0)
    assert limits.excerpt_samples(int(3600 * FS), FS, 12) == int(300 * FS)
    assert limits.excerpt_samples(int(3600 * FS), FS, 2) == int(1800 * FS)
    assert limits.excerpt_samples(int(1800 * FS), FS, 2) is None  # within the budget: the whole record
    both = InputLimits(excerpt_s=60.0, excerpt_lead_seconds=12 * 300.0)
    assert both.excerpt_samples(int(3600 * FS), FS, 2) == int(60 * FS)  # the tighter bound wins


def test_the_mcp_server_and_the_app_read_a_long_record_as_its_excerpt(minute, tmp_path, monkeypatch):
    """One policy for every surface that analyses a resting ECG (``resting_limits``)."""
    from medts import cli_inputs
    from medts.mcp_server import MedtsTools
    from medts.ui.app import read_choice

    hea, _ = minute
    monkeypatch.setattr(cli_inputs, "RESTING_EXCERPT_S", 20.0)  # resting_limits reads it at call time
    loaded = MedtsTools().load({"path": str(hea)})
    assert loaded["available"] and loaded["duration_s"] == 20.0
    assert any("medts mcp analysed its first 20 s of 60 s" in note for note in loaded["input_notes"])
    monkeypatch.setenv("MEDTS_DATA", str(hea.parent))  # the app reads records under the data folder
    ecg = read_choice(hea.name)
    assert ecg.n_samples == int(20.0 * FS) and any("the app analysed" in n for n in ecg.input_notes())
