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


def _torch_version() -> tuple[int, int]:
    import torch

    return tuple(int(p) for p in torch.__version__.split("+")[0].split(".")[:2])


#: PyTorch 2.7 changed hard-swish's autograd at its kinks to 0 at x = -3 and 1 at x = 3
#: (pytorch/pytorch#148049); older releases give -0.5 and 1.5. The registry documents the
#: current convention, so tests that compare it with the built-in's autograd at the kinks
#: skip hard-swish on older releases (`make mindeps` runs them).
OLD_HARDSWISH_KINK = _torch_version() < (2, 7)
HARDSWISH_KINK_REASON = "torch < 2.7: hard-swish's autograd at +-3 predates pytorch#148049"
