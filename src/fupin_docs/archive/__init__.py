"""The archive: the source of truth for every document an office keeps.

    from fupin_docs.archive import Archive
    archive = Archive(workspace)
    result = archive.add("纪要.docx", kind="minutes", unit="三星村", date="2020-03-15")
    print(result.item.archive_no, result.created)

Filing with the search index kept in step is fupin_docs.filing's job.
"""

from .errors import ArchiveDamaged, ArchiveError
from .item import EDITABLE_FIELDS, ArchiveItem
from .kinds import KIND_LABELS, kind_label, normalize_kind
from .store import AddResult, Archive, ChangeResult
from .verify import VerifyReport

__all__ = ["Archive", "ArchiveItem", "AddResult", "ChangeResult", "VerifyReport", "ArchiveError",
           "ArchiveDamaged", "EDITABLE_FIELDS", "KIND_LABELS", "kind_label", "normalize_kind"]
