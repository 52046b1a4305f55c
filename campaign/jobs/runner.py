"""Start work in a background thread and report its progress.

Work is a plain function returning a :class:`Result`. Inside it, ``step(label, total)`` and
``advance()`` (or ``track(items, label)``) say how far it has got; outside a job they do nothing, so
the same code serves the command line and tests. Progress is kept in this process for the page to
poll and, on PostgreSQL, also written to the job's row (SQLite allows one writer, and an import holds
it) so that another worker process can show it too.
"""
from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Flask, current_app, has_request_context
from flask_babel import force_locale, get_locale
from flask_babel import lazy_gettext as _l

from campaign.core.errors import DomainError
from campaign.core.types import utcnow
from campaign.extensions import db

from .models import Job, JobState

log = logging.getLogger(__name__)
T = TypeVar("T")

# A job still "running" after this long was cut off (its worker process restarted).
ABANDONED_AFTER = timedelta(hours=2)
# Finished jobs, and the files they made, are kept this long, then dropped when someone starts a job.
KEPT_FOR = timedelta(days=7)


@dataclass
class Result:
    """What a job leaves behind: a file to download, or an outcome to show, and a sentence."""

    message: str = ""
    file_name: str = ""
    file_type: str = ""
    file_data: bytes | None = None
    outcome: dict[str, Any] | None = None


@dataclass
class Progress:
    job_id: str
    step: str = ""
    done: int = 0
    total: int = 0
    saved_at: float = field(default=0.0)
    on_change: Callable[[Progress], None] | None = None  # the command line prints each stage
    deadline: float | None = None  # time.monotonic() past which the work is stopped
    time_limit: float = 0


class TimeLimitExceeded(Exception):
    """The job ran past its time limit; raised where it next reports progress, so nothing is written."""

    def __init__(self, seconds: float):
        super().__init__(str(_l("The work took longer than %(seconds)s seconds and was stopped; nothing was "
                                "written. Split the file into smaller ones and import them one by one.",
                                seconds=int(seconds))))


_live: dict[str, Progress] = {}
_threads: dict[str, threading.Thread] = {}
_current: ContextVar[Progress | None] = ContextVar("job_progress", default=None)


def step(label, total: int = 0) -> None:
    """A new stage of the work, with how many items it has (0 when unknown)."""
    progress = _current.get()
    if progress is not None:
        progress.step, progress.done, progress.total = str(label), 0, total
        _save(progress, force=True)


def advance(count: int = 1) -> None:
    progress = _current.get()
    if progress is not None:
        progress.done += count
        check_time()
        _save(progress)


def check_time() -> None:
    """Stop the current job (raise :class:`TimeLimitExceeded`) once it is past its time limit."""
    progress = _current.get()
    if progress is not None and progress.deadline is not None and time.monotonic() > progress.deadline:
        raise TimeLimitExceeded(progress.time_limit)


def track(items: Iterable[T], label, total: int | None = None) -> Iterator[T]:
    """Iterate over ``items`` as a stage of the current job, one step per item."""
    if total is None:
        total = len(items) if hasattr(items, "__len__") else 0
    step(label, total)
    for item in items:
        yield item
        advance()


def _save(progress: Progress, force: bool = False) -> None:
    """Write progress to the job's row at most once a second, on a connection of its own."""
    now = time.monotonic()
    if not force and now - progress.saved_at < 1.0:
        return
    progress.saved_at = now
    if progress.on_change is not None:
        progress.on_change(progress)
        return
    if db.engine.dialect.name == "sqlite":
        return
    with db.engine.begin() as connection:
        connection.execute(sa.update(Job).where(Job.id == progress.job_id)
                           .values(step=progress.step[:200], done=progress.done, total=progress.total))


@contextmanager
def watching(on_change: Callable[[Progress], None]) -> Iterator[None]:
    """Run work in the foreground and hear of each stage (the command line prints them)."""
    token = _current.set(Progress("", on_change=on_change))
    try:
        yield
    finally:
        _current.reset(token)


def start(kind: str, title, user, work: Callable[[], Result], *, time_limit: float | None = None) -> Job:
    """Record the job, start ``work`` in a thread with its own app context and session, and return.
    With a ``time_limit`` (seconds) the work is stopped the next time it reports progress past it."""
    _drop_old()
    job = Job(id=uuid.uuid4().hex, kind=kind, title=str(title)[:200], user_id=user.id, state=JobState.RUNNING,
              step=str(_l("Waiting to start")))
    db.session.add(job)
    db.session.commit()
    app = current_app._get_current_object()
    locale = str(get_locale()) if has_request_context() else None  # the job speaks the starter's language
    thread = threading.Thread(target=_run, args=(app, job.id, work, locale), name=f"job-{job.id}", daemon=True)
    _live[job.id] = Progress(job.id, step=job.step, time_limit=time_limit or 0,
                             deadline=time.monotonic() + time_limit if time_limit else None)
    _threads[job.id] = thread
    thread.start()
    return job


def _drop_old() -> None:
    db.session.execute(sa.delete(Job).where(Job.created_at < utcnow() - KEPT_FOR))


def keep(kind: str, title, user, result: Result) -> Job:
    """A finished job holding ``result``, for work done in the request whose file is offered for
    download on the job's terms: only to its owner, for a week. Flushed, not committed."""
    _drop_old()
    job = Job(id=uuid.uuid4().hex, kind=kind, title=str(title)[:200], user_id=user.id, state=JobState.DONE,
              message=result.message, outcome=result.outcome, file_name=result.file_name,
              file_type=result.file_type, file_data=result.file_data, finished_at=utcnow())
    db.session.add(job)
    db.session.flush()
    return job


def _run(app: Flask, job_id: str, work: Callable[[], Result], locale: str | None) -> None:
    with app.app_context(), force_locale(locale) if locale else nullcontext():
        progress = _live[job_id]
        token = _current.set(progress)
        try:
            result, state = work(), JobState.DONE
        except (DomainError, TimeLimitExceeded) as error:
            result, state = Result(message=str(error)), JobState.FAILED
        except Exception:  # noqa: BLE001  (the job says it failed; the log keeps the details)
            log.exception("job %s failed", job_id)
            result, state = Result(message=str(_l("The work failed. Please try again or tell the county office."))), \
                JobState.FAILED
        finally:
            _current.reset(token)
        db.session.rollback()
        _finish(job_id, state, result, progress)
        _live.pop(job_id, None)
        _threads.pop(job_id, None)
        db.session.remove()


def _finish(job_id: str, state: JobState, result: Result, progress: Progress) -> None:
    job = db.session.get(Job, job_id)
    if job is None:  # deleted meanwhile
        return
    job.state, job.message, job.outcome = state, result.message, result.outcome
    job.step, job.done, job.total = progress.step, progress.done, progress.total
    job.file_name, job.file_type, job.file_data = result.file_name, result.file_type, result.file_data
    job.finished_at = utcnow()
    db.session.commit()


def live(job: Job) -> Progress | None:
    """This process's view of a running job (None once finished or when another process runs it)."""
    return _live.get(job.id)


def abandoned(job: Job) -> bool:
    return not job.finished and job.id not in _live and utcnow() - job.created_at > ABANDONED_AFTER


def wait(job_id: str, timeout: float | None = None) -> None:
    """Block until the job's thread ends (the command line and tests use this)."""
    thread = _threads.get(job_id)
    if thread is not None:
        thread.join(timeout)


def stage(index: int, stages: int, label) -> None:
    """Work counted in stages: stage ``index`` of ``stages`` (from 0) begins, the ones before are done."""
    progress = _current.get()
    if progress is not None:
        progress.step, progress.done, progress.total = str(label), index, stages
        _save(progress, force=True)


def wait_all(timeout: float = 120) -> None:
    """Block until every job of this process has ended (tests call this before clearing tables)."""
    for job_id in list(_threads):
        wait(job_id, timeout)
