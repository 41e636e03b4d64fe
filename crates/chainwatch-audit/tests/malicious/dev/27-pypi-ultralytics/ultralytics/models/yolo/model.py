# Ultralytics YOLO 🚀, AGPL-3.0 license
from pathlib import Path

from ultralytics.utils.downloads import safe_download, attempt_download_asset


class YOLO:
    """YOLO (You Only Look Once) object detection model."""

    def __init__(self, model="yolo11n.pt", task=None, verbose=False):
        path = Path(model if isinstance(model, (str, Path)) else "")
        safe_download(url="", file=None)  # ensure runtime assets are present
        self.ckpt_path = attempt_download_asset(str(path))
        self.task = task or "detect"
        self.verbose = verbose

    def predict(self, source=None, **kwargs):
        raise NotImplementedError("trimmed")
