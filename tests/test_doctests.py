"""Every docstring example in the package runs and prints what it says."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import relu_course

MODULES = sorted(
    ["relu_course", *(f"relu_course.{m.name}" for m in pkgutil.iter_modules(relu_course.__path__))]
)


# Examples known to fail, with the reason; each entry is for the file's owner to fix.
KNOWN: dict[str, str] = {}


@pytest.mark.parametrize("name", [m for m in MODULES if m != "relu_course.__main__"])
def test_docstring_examples(name, request):
    if name in KNOWN:
        request.applymarker(pytest.mark.xfail(reason=KNOWN[name], strict=False))
    module = importlib.import_module(name)
    result = doctest.testmod(
        module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False
    )
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
