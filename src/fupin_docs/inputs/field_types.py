"""The pydantic field types every input kind shares, built from the plain
parsers in inputs/fields.py (which stay importable without pydantic)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer

from .fields import (_flag, _names, _paragraph, _paragraph_list, _tags, _text, _title, parse_copy_number, parse_date,
                     parse_doc_number)

Text = Annotated[str, BeforeValidator(_text)]

# One line of a heading and of Word's file properties: at most TITLE_MAX characters.
TitleText = Annotated[str, BeforeValidator(_title)]

# Each paragraph is validated on its own, so every bad line gets its own FILE:LINE:COL.
Paragraphs = Annotated[list[Annotated[str, BeforeValidator(_paragraph)]], BeforeValidator(_paragraph_list)]

Names = Annotated[list[str], BeforeValidator(_names)]

Tags = Annotated[list[str], BeforeValidator(_tags)]

DocDate = Annotated[dt.date, BeforeValidator(parse_date), PlainSerializer(lambda d: d.isoformat())]

DocNumber = Annotated[str, BeforeValidator(parse_doc_number)]

CopyNumber = Annotated[str, BeforeValidator(parse_copy_number)]

Flag = Annotated[bool, BeforeValidator(_flag)]
