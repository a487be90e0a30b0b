"""What a verification reports: one finding each, the same shape for the registry's chain, the
audit trail and the checkpoints, in words for people and as JSON for machines."""

from __future__ import annotations

from msgspec import Struct


class Problem(Struct, frozen=True):
    """One finding: where (chain position and/or number), what is wrong, and, where it can be
    said, what the signed record expects and what was found instead."""

    what: str
    position: int | None = None
    number: str | None = None
    expected: str | None = None
    found: str | None = None

    def __str__(self) -> str:
        where = " ".join(
            part
            for part in (
                f"entry #{self.position}" if self.position is not None else "",
                f"complaint {self.number}" if self.number else "",
            )
            if part
        )
        text = f"{where}: {self.what}" if where else self.what
        if self.expected is not None or self.found is not None:
            text += f" (expected {self.expected}; found {self.found})"
        return text

    def as_json(self) -> dict[str, str | int | None]:
        return {"number": self.number, "position": self.position, "what": self.what,
                "expected": self.expected, "found": self.found}
