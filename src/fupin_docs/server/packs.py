"""Evidence packs built for the browser: the library's build_pack in a worker
thread (a pack of many items takes seconds to minutes), its state polled by the
page. The zip is the one `fupin pack` builds from the same selection."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..pack import Selection, build_pack

MAX_PARALLEL = 2  # builds at once; more wait their turn (2 cores in a township office)
KEEP_SECONDS = 24 * 3600  # a built pack stays downloadable this long (until the server restarts)


@dataclass
class PackJob:
    id: str
    owner: str
    selection: Selection
    purpose: str
    target: Path
    ofd: bool = False  # OFD renditions beside the PDFs
    state: str = "queued"  # queued | building | done | failed
    error: str | None = None
    status: int | None = None  # HTTP status of the error
    result: object = None  # PackResult
    created: float = field(default_factory=time.time)
    finished: float | None = None
    # build_pack's latest progress report (stage, done, total); replaced whole by
    # the worker thread, so a reader never sees a stage with another stage's count
    progress: tuple[str, int, int] | None = None

    def report(self, stage: str, done: int, total: int) -> None:
        self.progress = (stage, done, total)

    @property
    def state_label(self) -> str:
        return {"queued": "排队中", "building": "正在生成", "done": "已完成", "failed": "未能生成"}[self.state]

    def to_json(self) -> dict:
        """GET /api/packs/ID: {id, state, error, progress, result} with progress = {stage, done, total}
        (build_pack's latest report, null before it starts) and result = `fupin pack --json` once done."""
        progress = self.progress
        return {"id": self.id, "state": self.state, "error": self.error,
                "progress": ({"stage": progress[0], "done": progress[1], "total": progress[2]}
                             if progress is not None else None),
                "result": self.result.as_dict() if self.result is not None else None}


class PackJobs:
    def __init__(self, workspace, root: Path):
        self.workspace = workspace
        self.root = Path(root)
        self._jobs: dict[str, PackJob] = {}
        self._lock = threading.Lock()
        self._slots = threading.Semaphore(MAX_PARALLEL)

    def start(self, owner: str, selection: Selection, purpose: str, on_done=None, *, ofd: bool = False) -> PackJob:
        job_id = secrets.token_urlsafe(12)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        target = self.root / job_id / f"佐证材料-{stamp}.zip"
        job = PackJob(job_id, owner, selection, purpose, target, ofd=ofd)
        with self._lock:
            self._forget_old()
            self._jobs[job_id] = job
        threading.Thread(target=self._run, args=(job, on_done), name=f"pack-{job_id}", daemon=True).start()
        return job

    def _run(self, job: PackJob, on_done) -> None:
        from .errors import message_for, status_for
        with self._slots:
            job.state = "building"
            state = "done"
            try:
                job.target.parent.mkdir(parents=True, exist_ok=True)
                job.result = build_pack(self.workspace, job.selection, job.target, purpose=job.purpose,
                                        progress=job.report, ofd=job.ofd)
            except Exception as err:  # shown on the page; the library's errors carry the message
                state, job.error, job.status = "failed", message_for(err), status_for(err)
            if on_done is not None:  # audited before anyone can see it done (and download it)
                try:
                    on_done(job)
                except Exception:
                    pass
            job.finished = time.time()
            job.state = state

    def get(self, job_id: str, owner: str | None) -> PackJob | None:
        """The job JOB_ID when OWNER started it (None: any owner)."""
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None or (owner is not None and job.owner != owner):
            return None
        return job

    def of(self, owner: str) -> list[PackJob]:
        with self._lock:
            return sorted((j for j in self._jobs.values() if j.owner == owner), key=lambda j: -j.created)

    def _forget_old(self) -> None:
        now = time.time()
        for job_id, job in list(self._jobs.items()):
            if job.finished and now - job.finished > KEEP_SECONDS:
                del self._jobs[job_id]
                try:
                    job.target.unlink()
                    job.target.parent.rmdir()
                except OSError:
                    pass
