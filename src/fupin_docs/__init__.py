"""fupin-docs: GB/T 9704 official documents, a tamper-evident archive,
inspection-time search and evidence packs for poverty-alleviation offices.

The package is laid out as the pipeline it runs:
inputs → compose → render (docx, pdf) → archive → search → pack, with the
problem ledger beside them. The CLI in ``cli/`` is a thin layer on top.
"""

__version__ = "0.1.0"
