"""Safe redirect targets: only paths on this site, never another host."""

from urllib.parse import urlsplit


def local_path(target: str | None, default: str) -> str:
    """`target` if it is a path on this site, else `default`.

    Refuses '//evil.example', 'https://evil.example', '/\\evil.example' (browsers read a
    backslash as a slash) and 'javascript:...'.
    """
    if not target or not target.startswith("/") or "\\" in target:
        return default
    if any(ord(char) < 0x20 or char == "\x7f" for char in target):  # browsers drop tabs, CR, LF
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("//"):
        return default
    return target
