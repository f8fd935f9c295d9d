"""Engine settings: plain values, read from nothing. The web config and the CLI fill them in."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite:///{ROOT / 'instance' / 'dangjian.db'}"

@dataclass(frozen=True)
class EngineSettings:
    database_url: str = DEFAULT_DATABASE_URL
    workflows_dir: Path = ROOT / "workflows"
    forms_dir: Path = ROOT / "forms" / "schemas"
    script_cpu_seconds: float = 1.0
    # Run scripts (and expressions that are not plain) in evaluator processes under OS limits on
    # memory and CPU (engine.runtime.isolation); off, they run in the server process.
    isolate_scripts: bool = True
    # A task whose date has passed when it starts gets this many working days instead of being
    # born overdue.
    late_start_workdays: int = 5
    # Reminder (催办) this many days before a task's due date; escalation (督办) this many
    # working days after it.
    remind_days_before: int = 3
    escalate_workdays_after: int = 5
    tree_size_alarm: int = 5000
    # Move finished sub-workflows and tasks out of the live state on every save (see
    # engine.runtime.compaction). Off only to make states as older versions stored them.
    compact_state: bool = True
    # How long a user's roles and unit are trusted before they are read again.
    actor_cache_seconds: float = 5.0
    max_upload_bytes: int = 20 * 1024 * 1024
    # All files of one project together (MB-sized scans add up; a quota keeps one project from
    # filling the disk).
    upload_quota_bytes: int = 200 * 1024 * 1024
    # A saved draft, as JSON.
    max_draft_bytes: int = 1024 * 1024
    # Processes one user may start in one (Beijing) day: applications are a few a year.
    max_starts_per_day: int = 20
    # Jobs shared by workers (engine.persistence.jobs): a claimed job is another worker's this
    # many seconds after its worker's last heartbeat; a worker claims at most ``job_batch`` at once.
    lease_seconds: float = 60.0
    job_batch: int = 20
