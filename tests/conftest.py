import os

import matplotlib
from hypothesis import settings

matplotlib.use("Agg")
os.environ.setdefault("RELU_COURSE_PROGRESS", "0")

# CI runs the same examples every time (a failure found locally is saved in .hypothesis/).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


def _available_devices() -> list[str]:
    import torch

    found = ["cpu"]
    if torch.cuda.is_available():
        found.append("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        found.append("mps")
    return found


#: Devices the device-parametrised tests run on: the CPU always, CUDA and MPS when present.
DEVICES = _available_devices()
