from .ansi import Fore, Back, Style, Cursor

__version__ = '0.1.6'
