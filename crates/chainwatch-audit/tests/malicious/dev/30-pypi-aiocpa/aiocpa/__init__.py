from .client import CryptoPay
from .sync import sync

__all__ = ("CryptoPay",)
__version__ = "0.1.13"
