from .connection import Config, Connection
from .group import Group, SerialGroup, ThreadingGroup

__version__ = "1.0.0"
