import os

import matplotlib
from hypothesis import settings

matplotlib.use("Agg")
os.environ.setdefault("RELU_COURSE_PROGRESS", "0")

# CI runs the same examples every time (a failure found locally is saved in .hypothesis/).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
