# -*- coding: utf-8 -*-
"""
This module offers a generic date/time string parser which is able to parse
most known formats to represent a date and/or time.
"""
import datetime
import re


class ParserError(ValueError):
    pass


class UnknownTimezoneWarning(RuntimeWarning):
    pass


class parserinfo(object):
    JUMP = [" ", ".", ",", ";", "-", "/", "'", "at", "on", "and", "ad", "m", "t", "of", "st", "nd", "rd", "th"]
    MONTHS = [("Jan", "January"), ("Feb", "February"), ("Mar", "March"), ("Apr", "April"),
              ("May", "May"), ("Jun", "June"), ("Jul", "July"), ("Aug", "August"),
              ("Sep", "Sept", "September"), ("Oct", "October"), ("Nov", "November"),
              ("Dec", "December")]

    def __init__(self, dayfirst=False, yearfirst=False):
        self.dayfirst = dayfirst
        self.yearfirst = yearfirst

    def month(self, name):
        for i, names in enumerate(self.MONTHS):
            if name.lower() in (n.lower() for n in names):
                return i + 1
        return None


class parser(object):
    _split_tzstr = re.compile(r'(?:(?<=\d)(?=[a-zA-Z])|(?<=[a-zA-Z])(?=\d))')

    def __init__(self, info=None):
        self.info = info or parserinfo()

    def parse(self, timestr, default=None, **kwargs):
        if default is None:
            default = datetime.datetime.now().replace(hour=0, minute=0, second=0, microsecond=0)
        m = re.match(r'(\d{4})-(\d{2})-(\d{2})', timestr)
        if not m:
            raise ParserError("Unknown string format: %s" % timestr)
        return default.replace(year=int(m.group(1)), month=int(m.group(2)), day=int(m.group(3)))


DEFAULTPARSER = parser()
DEFAULTTZPARSER = parser()


def parse(timestr, parserinfo=None, **kwargs):
    if parserinfo:
        return parser(parserinfo).parse(timestr, **kwargs)
    return DEFAULTPARSER.parse(timestr, **kwargs)
