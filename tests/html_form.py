"""Read a rendered HTML form the way a browser would submit it."""

from __future__ import annotations

from html.parser import HTMLParser


class _FormReader(HTMLParser):
    def __init__(self, action_part: str, form_id: str | None = None) -> None:
        super().__init__(convert_charrefs=True)
        self.action_part = action_part
        self.form_id = form_id
        self.inside = False
        self.values: dict[str, str] = {}
        self.labels_for: set[str] = set()
        self.control_ids: list[str] = []
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "label" and "for" in a:
            self.labels_for.add(a["for"])
        if tag == "form":
            self.inside = (self.action_part in a.get("action", "")
                           and self.form_id in (None, a.get("id")))
        if not self.inside:
            return
        if tag == "input":
            kind = a.get("type", "text")
            if kind not in ("hidden", "submit"):
                self.control_ids.append(a.get("id", ""))
            if kind in ("radio", "checkbox"):
                if "checked" in a:
                    self.values[a["name"]] = a.get("value", "y")
            elif kind != "submit" and "name" in a:
                self.values[a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select = a.get("name")
            self.control_ids.append(a.get("id", ""))
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None


def read_form(html: str, action_part: str, form_id: str | None = None) -> _FormReader:
    """Parse the form whose action contains `action_part` (and whose id is `form_id`)."""
    reader = _FormReader(action_part, form_id)
    reader.feed(html)
    return reader


def form_values(html: str, action_part: str, form_id: str | None = None) -> dict[str, str]:
    """The values the browser would send for that form, before the user changes anything."""
    return read_form(html, action_part, form_id).values
