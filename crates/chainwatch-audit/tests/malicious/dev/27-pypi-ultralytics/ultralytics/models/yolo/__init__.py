from .model import YOLO

__all__ = ("YOLO",)
