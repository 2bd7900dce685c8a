"""Reading ids and numbers from query strings and form posts, where they arrive as text."""


def whole_number(value) -> int | None:
    """`value` as a whole number if it is written in ASCII digits, else None. (str.isdigit()
    alone also passes '²' and other digits that int() refuses.)"""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return None


def carries_nul(request) -> bool:
    """Whether the path or query string has a NUL character, which PostgreSQL text cannot
    hold or be compared with (a query would fail) and no URL of ours has a use for."""
    return "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", "")
