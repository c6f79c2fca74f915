"""relu_course: the package behind the ReLU course.

Modules: :mod:`~relu_course.activations` (the registry), :mod:`~relu_course.device`,
:mod:`~relu_course.data`, :mod:`~relu_course.init`, :mod:`~relu_course.nets`,
:mod:`~relu_course.train`, :mod:`~relu_course.stats`, :mod:`~relu_course.probe`,
:mod:`~relu_course.claims`, :mod:`~relu_course.plot`, :mod:`~relu_course.bench`,
:mod:`~relu_course.theory`.

Shortcuts for every registered activation are available at the top level::

    >>> import relu_course
    >>> relu_course.relu([-1.0, 2.0])
    [0.0, 2.0]
    >>> relu_course.leaky_relu(-2.0, negative_slope=0.1)
    -0.2
"""

from __future__ import annotations

from importlib import metadata as _metadata
from typing import Any

from relu_course import activations
from relu_course import layers as _layers
from relu_course.activations import Activation, get, names, shortcut_doc
from relu_course.device import base_seed, derive_seed, get_device, seed, stream_seed

# Maxout, GLU and SwiGLU live in relu_course.layers; their old home, relu_course.activations,
# still offers them (notebooks and readers' code import them from there).
for _name in _layers.__all__:
    setattr(activations, _name, getattr(_layers, _name))


def _version() -> str:
    """The version in ``pyproject.toml``, its one home: from the installed package's
    metadata, or from the file itself when the package runs from a source tree."""
    try:
        return _metadata.version("relu-course")
    except _metadata.PackageNotFoundError:
        import re
        from pathlib import Path

        toml = Path(__file__).resolve().parent.parent / "pyproject.toml"
        found = (
            re.search(r'^version = "([^"]+)"', toml.read_text(), re.M) if toml.exists() else None
        )
        return found.group(1) if found else "0+unknown"


__version__ = _version()

__all__ = [
    "Activation",
    "activations",
    "get",
    "names",
    "get_device",
    "seed",
    "base_seed",
    "derive_seed",
    "stream_seed",
    "__version__",
]


def _shortcut(name: str):
    def apply(x: Any, **params: Any) -> Any:
        return get(name, **params)(x)

    apply.__name__ = name
    apply.__qualname__ = name
    apply.__doc__ = shortcut_doc(name)
    return apply


for _name in names():
    globals()[_name] = _shortcut(_name)
    __all__.append(_name)
del _name
