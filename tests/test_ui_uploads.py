"""Tests of medts.ui.uploads: every accepted upload shape, and the ones that must be refused."""

from __future__ import annotations

import io
import tempfile
import stat
import zipfile
from pathlib import Path

import numpy as np
import pytest
import wfdb

from medts.errors import ECGReadError
from medts.simulate import simulate_12lead
from medts.ui.uploads import UploadError, extract_zip_safely, load_upload, safe_member_name


@pytest.fixture
def wfdb_pair(tmp_path: Path) -> tuple[Path, Path, np.ndarray]:
    """A 12-lead WFDB record written with wfdb.wrsamp (not by medts) in its own folder."""
    ecg = simulate_12lead(duration_s=4.0, fs=250.0, hr_bpm=75.0, seed=3)
    folder = tmp_path / "src"
    folder.mkdir()
    wfdb.wrsamp("rec1", fs=250, units=["mV"] * 12, sig_name=list(ecg.leads), p_signal=ecg.signal.astype(np.float64),
                fmt=["16"] * 12, adc_gain=[1000.0] * 12, baseline=[0] * 12, write_dir=str(folder))
    return folder / "rec1.hea", folder / "rec1.dat", ecg.signal


def test_wfdb_pair_from_different_temp_folders(wfdb_pair, tmp_path: Path) -> None:
    hea, dat, signal = wfdb_pair
    # Gradio stores each uploaded file in its own temporary folder; the pair must meet again.
    a, b = tmp_path / "u1", tmp_path / "u2"
    a.mkdir(), b.mkdir()
    (a / hea.name).write_bytes(hea.read_bytes())
    (b / dat.name).write_bytes(dat.read_bytes())
    result = load_upload([a / hea.name, b / dat.name], workdir=tmp_path / "stage")
    assert result.ecg.fs == 250.0 and result.ecg.n_leads == 12
    np.testing.assert_allclose(result.ecg.signal, signal, atol=1e-3)


def test_zip_of_wfdb_pair_in_a_subfolder(wfdb_pair, tmp_path: Path) -> None:
    hea, dat, signal = wfdb_pair
    archive = tmp_path / "rec.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(hea, "records/rec1.hea")
        zf.write(dat, "records/rec1.dat")
    result = load_upload([archive], workdir=tmp_path / "stage")
    np.testing.assert_allclose(result.ecg.signal, signal, atol=1e-3)
    assert result.path.is_relative_to(tmp_path / "stage")


def test_npy_needs_and_uses_fs(tmp_path: Path) -> None:
    p = tmp_path / "x.npy"
    np.save(p, np.random.default_rng(0).normal(size=(1500, 3)).astype(np.float32))
    assert load_upload([p], fs=500, workdir=tmp_path / "s1").ecg.duration_s == pytest.approx(3.0)
    with pytest.raises(ECGReadError, match="x.npy"):
        load_upload([p], workdir=tmp_path / "s2")


def test_dat_without_header_is_refused_with_advice(wfdb_pair, tmp_path: Path) -> None:
    _, dat, _ = wfdb_pair
    with pytest.raises(UploadError, match=r"rec1\.dat: a WFDB signal file needs its \.hea"):
        load_upload([dat], workdir=tmp_path / "stage")


def test_corrupt_header_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "broken.hea"
    bad.write_text("this is not a header\n\x00\x01garbage")
    with pytest.raises(ECGReadError) as info:
        load_upload([bad], workdir=tmp_path / "stage")
    assert str(info.value).startswith("broken.hea:")
    assert str(tmp_path) not in str(info.value)  # the staging folder is not shown to the user


def test_unsupported_type_and_size_limit(tmp_path: Path) -> None:
    exe = tmp_path / "run.exe"
    exe.write_bytes(b"MZ")
    with pytest.raises(UploadError, match="unsupported file type"):
        load_upload([exe], workdir=tmp_path / "s1")
    big = tmp_path / "big.npy"
    np.save(big, np.zeros((300_000, 2), np.float32))  # 2.4 MB
    with pytest.raises(UploadError, match="limit is 1 MB"):
        load_upload([big], fs=500, workdir=tmp_path / "s2", max_bytes=1024**2)


@pytest.mark.parametrize("name", ["../evil.hea", "/etc/evil.hea", "a/../../evil.hea", "C:/evil.hea", "..\\evil.hea"])
def test_traversal_names_are_refused(name: str, tmp_path: Path) -> None:
    with pytest.raises(UploadError, match="outside the archive"):
        safe_member_name(name)
    archive = tmp_path / "t.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(name, "x")
    with pytest.raises(UploadError):
        extract_zip_safely(archive, tmp_path / "out")
    assert not (tmp_path / "evil.hea").exists()


def test_zip_bomb_is_stopped(tmp_path: Path) -> None:
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("zeros.dat", b"\x00" * (20 * 1024**2))  # deflates ~1000x
    with pytest.raises(UploadError, match="zip bomb"):
        extract_zip_safely(archive, tmp_path / "out")
    with pytest.raises(UploadError, match="unpacks to"):
        extract_zip_safely(archive, tmp_path / "out2", max_bytes=1024**2, max_ratio=1e9)


def test_zip_with_lying_size_header_is_refused(tmp_path: Path) -> None:
    # The central directory claims 10 bytes for a 3 MB member: extraction must fail cleanly.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("a.dat", b"\x01" * (3 * 1024**2))
    data = bytearray(buf.getvalue())
    central = data.rfind(b"PK\x01\x02")
    data[central + 24:central + 28] = (10).to_bytes(4, "little")  # uncompressed size field
    archive = tmp_path / "liar.zip"
    archive.write_bytes(bytes(data))
    with zipfile.ZipFile(archive) as zf:
        assert zf.infolist()[0].file_size == 10
    with pytest.raises(UploadError, match="liar.zip"):
        extract_zip_safely(archive, tmp_path / "out")


def test_symlink_member_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "link.zip"
    info = zipfile.ZipInfo("rec.hea")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(UploadError, match="link or special file"):
        extract_zip_safely(archive, tmp_path / "out")
    assert not (tmp_path / "out" / "rec.hea").exists()


def test_not_a_zip(tmp_path: Path) -> None:
    fake = tmp_path / "fake.zip"
    fake.write_bytes(b"not a zip at all")
    with pytest.raises(UploadError, match="not a readable zip"):
        load_upload([fake], workdir=tmp_path / "stage")


def _uploaded(tmp_path: Path, *files: Path) -> list[Path]:
    """Copies of ``files`` each in its own temporary folder, as a browser upload delivers them."""
    out = []
    for k, f in enumerate(files):
        folder = tmp_path / f"gradio-tmp-{k}"
        folder.mkdir()
        out.append(folder / f.name)
        out[-1].write_bytes(f.read_bytes())
    return out


def test_edf_upload(tmp_path: Path) -> None:
    pyedflib = pytest.importorskip("pyedflib")
    ecg = simulate_12lead(duration_s=4.0, fs=250.0, hr_bpm=75.0, seed=3)
    path = tmp_path / "holter.edf"
    writer = pyedflib.EdfWriter(str(path), 2, file_type=pyedflib.FILETYPE_EDFPLUS)
    writer.setSignalHeaders([{"label": f"ECG {lead}", "dimension": "mV", "sample_frequency": 250, "physical_max": 5.0,
                              "physical_min": -5.0, "digital_max": 32767, "digital_min": -32768} for lead in ("I", "II")])
    writer.writeSamples([ecg.signal[:, 0].astype(np.float64), ecg.signal[:, 1].astype(np.float64)])
    writer.close()
    got = load_upload(_uploaded(tmp_path, path), workdir=tmp_path / "stage").ecg
    assert got.leads == ("I", "II") and got.fs == 250.0 and got.n_samples == 1000
    np.testing.assert_allclose(got.signal, ecg.signal[:, :2], atol=5e-3)  # 16-bit over +-5 mV


def test_csv_upload_with_time_column(tmp_path: Path) -> None:
    from medts.io.tabular import write_csv

    ecg = simulate_12lead(duration_s=3.0, fs=500.0, hr_bpm=60.0, seed=2)
    path = write_csv(ecg, tmp_path / "export.csv")
    got = load_upload(_uploaded(tmp_path, path), workdir=tmp_path / "stage").ecg
    assert got.fs == 500.0 and got.leads == ecg.leads  # the rate comes from the time column
    np.testing.assert_allclose(got.signal, ecg.signal, atol=1e-3)


def test_cinc_mat_and_header_upload(tmp_path: Path) -> None:
    import scipy.io

    ecg = simulate_12lead(duration_s=4.0, fs=500.0, hr_bpm=80.0, seed=4)
    val = np.round(ecg.signal.T * 1000).astype(np.int16)  # [leads, samples] in uV steps
    scipy.io.savemat(tmp_path / "A0007.mat", {"val": val})
    lines = [f"A0007 12 500 {ecg.n_samples} 05-Feb-2020 11:39:16"]
    lines += [f"A0007.mat 16+24 1000/mV 16 0 {row[0]} 0 0 {lead}" for lead, row in zip(ecg.leads, val)]
    (tmp_path / "A0007.hea").write_text("\n".join(lines + ["#Age: 61", "#Sex: Female"]) + "\n")
    result = load_upload(_uploaded(tmp_path, tmp_path / "A0007.mat", tmp_path / "A0007.hea"), workdir=tmp_path / "stage")
    assert result.ecg.metadata["format"] == "cinc" and result.ecg.n_leads == 12 and result.ecg.age == 61.0
    np.testing.assert_allclose(result.ecg.signal, val.T / 1000.0, atol=1e-6)


def _many_small_members(path: Path, n: int, size: int = 1024**2) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(n):
            zf.writestr(f"part{i:03d}.dat", b"\x00" * size)
    return path


def test_zip_of_many_small_members_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    """299 one-megabyte files in a ~300 kB zip passed every per-member check and wrote 300 MB per upload."""
    archive = _many_small_members(tmp_path / "many.zip", 299)
    assert archive.stat().st_size < 1024**2
    with pytest.raises(UploadError, match="299 files in the zip"):
        load_upload([archive], workdir=tmp_path / "a")
    with pytest.raises(UploadError, match="refused as a zip bomb"):  # few enough files: the total ratio stops it
        extract_zip_safely(_many_small_members(tmp_path / "fewer.zip", 40), tmp_path / "b")
    assert not (tmp_path / "a").exists() and not any((tmp_path / "b").rglob("*.dat"))


def test_staged_copies_are_deleted_after_reading_whether_it_worked_or_not(wfdb_pair, tmp_path: Path) -> None:
    hea, dat, _ = wfdb_pair
    result = load_upload([hea, dat], workdir=tmp_path / "ok")
    assert result.ecg.n_leads == 12 and result.path.name == "rec1.hea"
    assert not (tmp_path / "ok").exists()
    (tmp_path / "bad.csv").write_text("I,II\nx,y\n")
    with pytest.raises(ECGReadError):
        load_upload([tmp_path / "bad.csv"], fs=250, workdir=tmp_path / "bad")
    assert not (tmp_path / "bad").exists()
    before = {p.name for p in Path(tempfile.gettempdir()).glob("medts-upload-*")}
    load_upload([hea, dat])  # default staging folder
    assert {p.name for p in Path(tempfile.gettempdir()).glob("medts-upload-*")} <= before


def test_session_folders_are_deleted_when_the_server_process_is_stopped(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys

    script = (
        "import sys, time\n"
        "from medts.ui.uploads import install_shutdown_cleanup\n"
        "from medts.ui.state import SessionState\n"
        "install_shutdown_cleanup()\n"
        "folder = SessionState.new().fresh_dir('upload')\n"
        "(folder / 'staged.dat').write_bytes(b'x' * 1000)\n"
        "print(folder.parent, flush=True)\n"
        "time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    workdir = Path(proc.stdout.readline().strip())
    assert workdir.is_dir() and any(workdir.rglob("staged.dat"))
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 128 + signal.SIGTERM
    assert not workdir.exists()


def test_session_folders_are_deleted_when_a_process_that_never_started_a_server_exits() -> None:
    # A script or test driving the app never calls install_shutdown_cleanup; its folders go too.
    import subprocess
    import sys

    script = (
        "from medts.ui.state import SessionState\n"
        "folder = SessionState.new().fresh_dir('report')\n"
        "(folder / 'report.md').write_text('draft')\n"
        "print(folder.parent)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    workdir = Path(done.stdout.strip())
    assert workdir.name.startswith("medts-ui-")
    assert not workdir.exists()
