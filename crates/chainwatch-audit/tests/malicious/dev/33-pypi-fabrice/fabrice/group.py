from .connection import Connection


class Group(list):
    def __init__(self, *hosts, **kwargs):
        super().__init__(Connection(h, **kwargs) for h in hosts)

    def run(self, *args, **kwargs):
        return {c: c.run(*args, **kwargs) for c in self}


class SerialGroup(Group):
    pass


class ThreadingGroup(Group):
    pass
