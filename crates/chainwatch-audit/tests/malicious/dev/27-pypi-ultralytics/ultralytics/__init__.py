# Ultralytics YOLO 🚀, AGPL-3.0 license

__version__ = "8.3.41"

import os

# Set ENV variables (place before imports)
if not os.environ.get("OMP_NUM_THREADS"):
    os.environ["OMP_NUM_THREADS"] = "1"  # default for reduced CPU utilization during training

from ultralytics.models.yolo.model import YOLO
from ultralytics.utils.downloads import download

__all__ = ("__version__", "YOLO", "download")
