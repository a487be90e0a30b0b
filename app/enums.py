"""Enums whose members have display titles (cf. Indico's RichEnum): one place for the pattern
"a string value stored in the database, a translated title shown to people"."""

from __future__ import annotations

import enum
from typing import Any


class TitledEnum(enum.StrEnum):
    """A string enum whose members are written `NAME = "value", _l("Title")`: the value is what is
    stored and compared, `member.title` the title in the current language."""

    _title: Any

    def __new__(cls, value: str, title: Any = None) -> TitledEnum:
        member = str.__new__(cls, value)
        member._value_ = value
        member._title = title
        return member

    @property
    def title(self) -> str:  # type: ignore[override]  (str.title() is not used on these)
        if self._title is None:
            raise LookupError(f"{type(self).__name__}.{self.name} has no title")
        return str(self._title)
