"""Handy utilities for Python sets."""
from functools import reduce

from .utils import *  # noqa


def union_all(*sets):
    return reduce(lambda a, b: a | b, sets, set())


def intersect_all(*sets):
    sets = list(sets)
    if not sets:
        return set()
    return reduce(lambda a, b: a & b, sets[1:], set(sets[0]))


def symmetric_difference_all(*sets):
    return reduce(lambda a, b: a ^ b, sets, set())


def is_disjoint_all(*sets):
    seen = set()
    for s in sets:
        if seen & s:
            return False
        seen |= s
    return True
