"""Stage — evidence packs (佐证材料): a selection of the archive, zipped as a
BagIt 1.0 bag (RFC 8493) with a 目录 PDF first, optionally one stamped PDF of
everything printable, and a verifier.

Public API (`fupin pack` is a thin wrapper):
  Selection(query=, ids=, problem=, kind=, unit=, date_from=, date_to=, tags=, limit=, loose=)
    (a query takes only documents where every term occurs as typed, unless loose=True)
  build_pack(workspace, selection, target, *, purpose, title, merge, skip_missing) -> PackResult
  verify_pack(path, workspace=None) -> VerifyReport

Every pack records the archive chain head (seq, hash) it was built at
(fupin-pack.json, bag-info.txt ``Fupin-Archive-Head``, the 目录). verify_pack
with a workspace checks the archive still holds it and compares every file
with the archive; without one, report.checked_against is "pack_only".
"""

from .build import PackedItem, PackFile, PackResult, build_pack
from .select import Selection, select_items
from .verify import VerifyProblem, VerifyReport, verify_pack

__all__ = ["PackFile", "PackResult", "PackedItem", "Selection", "VerifyProblem", "VerifyReport",
           "build_pack", "select_items", "verify_pack"]
