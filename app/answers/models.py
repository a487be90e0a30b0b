"""Tables of answer templates: a template (its category, or every category), its versions
(each edit is a new one; a version is never changed), the texts of a version per language, and
each use (a letter that was started from a version)."""


from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..clock import now_utc
from ..database import UTCDateTime
from ..extensions import db

#: The longest title a template takes (the officer's list shows it).
TITLE_MAX_LENGTH = 200


class AnswerTemplate(db.Model):
    """A template: for one category (its code) or, with none, for every category."""

    __tablename__ = "answer_templates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category: Mapped[str | None] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: Retired: no longer offered to officers; its versions and uses stay.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    retired_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    versions: Mapped[list["AnswerTemplateVersion"]] = relationship(
        back_populates="template", order_by="AnswerTemplateVersion.number")

    @property
    def current(self) -> "AnswerTemplateVersion":
        """The newest version: the one offered and edited."""
        return self.versions[-1]


class AnswerTemplateVersion(db.Model):
    """One version of a template's texts, numbered from 1 per template; never changed."""

    __tablename__ = "answer_template_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("answer_templates.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    template: Mapped[AnswerTemplate] = relationship(back_populates="versions")
    created_by: Mapped[User] = relationship()
    texts: Mapped[list["AnswerTemplateText"]] = relationship(order_by="AnswerTemplateText.language")

    __table_args__ = (UniqueConstraint("template_id", "number"),)

    def text(self, language: str) -> "AnswerTemplateText | None":
        return next((t for t in self.texts if t.language == language), None)

    def title(self, language: str) -> str:
        """The title in `language`, else in the first language it has."""
        text = self.text(language) or self.texts[0]
        return text.title


class AnswerTemplateText(db.Model):
    """A version's title and body in one language (a language left out has no row)."""

    __tablename__ = "answer_template_texts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("answer_template_versions.id"))
    language: Mapped[str] = mapped_column(String(5))
    title: Mapped[str] = mapped_column(String(TITLE_MAX_LENGTH))
    body: Mapped[str] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("version_id", "language"),)


class AnswerTemplateUse(db.Model):
    """A letter to the complainant that was started from a template version (one per letter)."""

    __tablename__ = "answer_template_uses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("answer_template_versions.id"), index=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("case_messages.id"), unique=True)
    used_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc, index=True)
    used_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    version: Mapped[AnswerTemplateVersion] = relationship()
