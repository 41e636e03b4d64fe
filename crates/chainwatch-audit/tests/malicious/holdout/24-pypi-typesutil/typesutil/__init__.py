from typing import Any, Union, get_type_hints


def is_optional(tp: Any) -> bool:
    return getattr(tp, '__origin__', None) is Union and type(None) in tp.__args__


def hints(obj: Any) -> dict:
    try:
        return get_type_hints(obj)
    except Exception:
        return {}
