"""Defer the execution of heavy packages that NeuroKit2 imports but a measurement never uses.

``import neurokit2`` runs every NeuroKit2 subpackage, and they import matplotlib (78 modules,
``import matplotlib.pyplot as plt`` at the top, for their ``show=True`` plots) and scikit-learn
(clustering, mixtures, complexity measures, example data sets). Neither is executed by the
functions ``medts measure`` / ``medts classify`` call (``ecg_clean``, ``ecg_peaks``,
``ecg_delineate``, ``hrv_time``, ...), yet together they were about 0.8 of the 2.3 CPU-s of a
one-record ``medts measure`` (eval/results/cli_startup.md).

:func:`defer` puts a finder first on :data:`sys.meta_path` that gives every pure-Python module of
the named top-level packages a lazy module, in the manner of :class:`importlib.util.LazyLoader`:
the module is registered in :data:`sys.modules` but its code runs only when one of its attributes
is first read. Two differences from the standard library's LazyLoader (which alone saved nothing
here, because the import system reads ``package.__path__`` to import ``package.sub``, and that read
executes the package):

- reading the import system's own attributes (``__path__``, ``__spec__``, ``__name__``, ...) or a
  submodule (``from matplotlib import pyplot``) does not execute the module;
- the first read of a deferred package's module ends the deferral of that package: the module
  runs (its parent packages first), then every module of the package still lazy, in the order they
  were imported, and what the package imports from then on is imported eagerly.

So ``import matplotlib.pyplot as plt`` at the top of a NeuroKit2 module costs a file-system lookup,
and a later ``plt.subplots()`` (``show=True``) runs matplotlib as the first import would have:
modules that register something in another at import (matplotlib's legend keywords in its
docstring registry) still do so before use. Drawn with a deferred matplotlib, medts's ECG page and
NeuroKit2's ``signal_plot`` / ``ecg_plot`` figures are byte-identical to an eager import's, and
scikit-learn fits the same (tests/test_lazy_imports.py). Limits, which is why :func:`defer` is
applied only to the commands that need it and only to packages named here:

- a module imported only for its side effects and never read (``import x.registers_something``)
  before the package's first use runs only at that first use;
- a name that is both a submodule and something else the package's ``__init__`` binds reads as
  the submodule (matplotlib and scikit-learn have no such name);
- extension modules and namespace packages are imported eagerly as usual (not wrapped), but an
  extension module that imports names from a deferred module still being imported fails: pandas
  cannot be deferred (``cannot import name Timestamp``), nor is it worth it (wfdb and
  ``hrv_time`` use it); scipy.stats runs anyway (scipy.signal uses it while it imports);
- like the standard library's LazyLoader before Python 3.12, the first attribute read is not
  thread-safe: defer before threads start.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types
from collections.abc import Iterable

DEFERRED = ("matplotlib", "sklearn")
"""Top-level packages that NeuroKit2 imports at the top of its modules but whose code none of the
NeuroKit2 functions medts calls executes (checked by tests/test_lazy_imports.py)."""

_IMPORT_ATTRS = frozenset({"__path__", "__name__", "__spec__", "__loader__", "__package__", "__file__",
                           "__class__", "__dict__"})
"""Attributes the import system reads while importing a submodule; they are set before execution."""


class _LazyModule(types.ModuleType):
    """A module whose code has not run yet; reading one of its attributes runs it."""

    def __getattribute__(self, attr: str):
        namespace = object.__getattribute__(self, "__dict__")
        if attr in _IMPORT_ATTRS or isinstance(namespace.get(attr), types.ModuleType):
            return object.__getattribute__(self, attr)
        if attr not in namespace and "__path__" in namespace and not attr.startswith("__"):
            submodule = f"{namespace['__name__']}.{attr}"
            if importlib.machinery.PathFinder.find_spec(submodule, namespace["__path__"]) is not None:
                return importlib.import_module(submodule)  # ``from package import submodule``
        _execute(self)
        return getattr(self, attr)

    def __delattr__(self, attr: str) -> None:
        _execute(self)
        delattr(self, attr)


def _execute(module: types.ModuleType) -> None:
    """First use of a deferred package: stop deferring it (what it imports from now on is imported
    eagerly, as usual), run the module read (after its parent packages), then every module of the
    package that is still lazy, in the order they were imported. Running the whole package keeps
    the side effects its modules have on each other at import (matplotlib's docstring registry, for
    one) in place. A lazy module read while that runs is run on its own, at that point."""
    root = object.__getattribute__(module, "__dict__")["__name__"].partition(".")[0]
    finder = next((f for f in sys.meta_path if isinstance(f, _DeferringFinder)), None)
    if finder is None or root not in finder.packages:
        _run(module)
        return
    finder.packages.discard(root)
    pending = [m for name, m in list(sys.modules.items()) if name.partition(".")[0] == root]
    for lazy in (module, *pending):
        if isinstance(lazy, _LazyModule):
            _run(lazy)


def _run(module: types.ModuleType) -> None:
    """Run a lazy module's code (its parent package's first), keeping what was set on it meanwhile
    (submodules the import system bound to it)."""
    name = object.__getattribute__(module, "__dict__")["__name__"]
    parent = sys.modules.get(name.rpartition(".")[0])
    if isinstance(parent, _LazyModule):
        _run(parent)
        if not isinstance(module, _LazyModule):
            return  # the parent's code imported and ran it
    module.__class__ = types.ModuleType  # from here on, attribute reads are plain
    spec = module.__spec__
    before = spec.loader_state
    added = {k: v for k, v in module.__dict__.items() if k not in before or before[k] is not v}
    spec.loader.exec_module(module)
    module.__dict__.update(added)


class _DeferringLoader(importlib.abc.Loader):
    """Wraps a source loader: makes the module lazy instead of running it (see :func:`_execute`)."""

    def __init__(self, loader: importlib.machinery.SourceFileLoader) -> None:
        self.loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: types.ModuleType) -> None:
        module.__spec__.loader = self.loader
        module.__loader__ = self.loader
        module.__spec__.loader_state = module.__dict__.copy()
        module.__class__ = _LazyModule


class _DeferringFinder(importlib.abc.MetaPathFinder):
    """First on :data:`sys.meta_path`: asks the finders after it and wraps the source loader of
    modules under :attr:`packages`."""

    def __init__(self, packages: set[str]) -> None:
        self.packages = packages  # a package leaves the set at its first use (see _execute)

    def find_spec(self, fullname: str, path, target=None) -> importlib.machinery.ModuleSpec | None:
        if fullname.partition(".")[0] not in self.packages:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if isinstance(spec.loader, importlib.machinery.SourceFileLoader):
                    spec.loader = _DeferringLoader(spec.loader)
                return spec
        return None


def defer(packages: Iterable[str] = DEFERRED) -> bool:
    """Make later imports of ``packages`` (top-level names) lazy in this process; False where
    they are already imported or deferred (nothing changes then)."""
    names = frozenset(packages)
    if any(isinstance(f, _DeferringFinder) for f in sys.meta_path) or names & sys.modules.keys():
        return False
    sys.meta_path.insert(0, _DeferringFinder(set(names)))
    return True


def executed(name: str) -> bool:
    """Whether module ``name`` is imported and its code has run (False while it is lazy)."""
    module = sys.modules.get(name)
    return module is not None and not isinstance(module, _LazyModule)
