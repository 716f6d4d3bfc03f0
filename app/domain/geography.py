"""Reference geography: region -> district -> makhalla, maintained by HQ."""

from __future__ import annotations

import uuid

from sqlmodel import Field

from app.domain.base import Replicated


class Region(Replicated, table=True):
    __tablename__ = "region"

    code: str = Field(max_length=16, index=True)
    name_latn: str = Field(max_length=120)
    name_cyrl: str = Field(default="", max_length=120)
    name_ru: str = Field(default="", max_length=120)


class District(Replicated, table=True):
    __tablename__ = "district"

    region_id: uuid.UUID = Field(foreign_key="region.id", index=True)
    code: str = Field(max_length=16, index=True)
    name_latn: str = Field(max_length=120)
    name_cyrl: str = Field(default="", max_length=120)
    name_ru: str = Field(default="", max_length=120)


class Makhalla(Replicated, table=True):
    __tablename__ = "makhalla"

    district_id: uuid.UUID = Field(foreign_key="district.id", index=True)
    code: str = Field(max_length=16, index=True)
    name_latn: str = Field(max_length=120)
    name_cyrl: str = Field(default="", max_length=120)
    name_ru: str = Field(default="", max_length=120)
