from __future__ import absolute_import, print_function


class Implicit(object):
    """Mix-in providing implicit acquisition of attributes from ``aq_parent``."""

    aq_parent = None

    def __of__(self, parent):
        self.aq_parent = parent
        return self

    def __getattr__(self, name):
        parent = self.__dict__.get('aq_parent')
        if parent is not None:
            return getattr(parent, name)
        raise AttributeError(name)


def aq_parent(obj):
    return getattr(obj, 'aq_parent', None)


def aq_inner(obj):
    return obj
