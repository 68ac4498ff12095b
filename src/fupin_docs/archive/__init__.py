"""The archive: the source of truth for every document an office keeps.

    from fupin_docs.archive import Archive
    archive = Archive(workspace)
    result = archive.add("纪要.docx", kind="minutes", unit="三星村", date="2020-03-15")
    print(result.item.archive_no, result.created)
"""

from .errors import ArchiveDamaged, ArchiveError
from .kinds import KIND_LABELS, kind_label, normalize_kind
from .store import AddResult, Archive, ArchiveItem
from .verify import VerifyReport

__all__ = ["Archive", "ArchiveItem", "AddResult", "VerifyReport", "ArchiveError", "ArchiveDamaged",
           "KIND_LABELS", "kind_label", "normalize_kind"]
