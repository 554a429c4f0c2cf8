"""The bundled examples are what the simulator writes, and read back as 12-lead ECGs."""

from __future__ import annotations

import numpy as np

from medts.examples import EXAMPLE_DIR, EXAMPLES, load_example, simulate_example, write_examples


def test_bundled_examples_match_the_simulator(tmp_path) -> None:
    for name in EXAMPLES:
        bundled = load_example(name)
        assert bundled.leads[:2] == ("I", "II") and bundled.n_leads == 12
        assert bundled.fs == 500.0 and bundled.duration_s == 10.0
        assert bundled.age == EXAMPLES[name].age and bundled.sex == EXAMPLES[name].sex
        # 16-bit storage quantises to well under 1 uV
        np.testing.assert_allclose(bundled.signal, simulate_example(name).signal, atol=1e-4)


def test_write_examples_is_deterministic(tmp_path) -> None:
    paths = write_examples(tmp_path)
    assert sorted(p.name for p in paths) == sorted(f"{n}.hea" for n in EXAMPLES)
    for path in paths:
        bundled = EXAMPLE_DIR / path.name
        assert path.with_suffix(".dat").read_bytes() == bundled.with_suffix(".dat").read_bytes()
