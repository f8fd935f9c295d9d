"""The engine's one front door: the services built with their dependencies, and every use case the
web layer and the CLI may call, each delegated to the service that owns it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Concatenate
from typing import Generic
from typing import ParamSpec
from typing import TypeVar

from engine.domain import GENERIC
from engine.domain import Domain
from engine.persistence.db import Database
from engine.persistence.schema import upgrade
from engine.service.base import Core
from engine.service.claims import ClaimService
from engine.service.collaboration import CollaborationService
from engine.service.completion import CompletionService
from engine.service.deploy import DeployService
from engine.service.documents import DocumentService
from engine.service.instances import InstanceService
from engine.service.jobs import JobService
from engine.service.ledger import LedgerService
from engine.service.maintenance import MaintenanceService
from engine.service.matrix import MatrixService
from engine.service.org import OrgService
from engine.service.plans import PlanService
from engine.service.progress_diagram import ProgressDiagramService
from engine.service.reminders import ReminderService
from engine.service.signin import SignInService
from engine.service.tasks import TaskService
from engine.service.timers import TimerService
from engine.service.version_changes import VersionChangeService
from engine.service.versions import VersionService
from engine.settings import EngineSettings

S = TypeVar("S")
P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class Services:
    """One object per group of use cases; a service that needs another receives it here."""

    jobs: JobService
    deploy: DeployService
    versions: VersionService
    version_changes: VersionChangeService
    instances: InstanceService
    tasks: TaskService
    claims: ClaimService
    completion: CompletionService
    collaboration: CollaborationService
    documents: DocumentService
    plans: PlanService
    matrix: MatrixService
    ledger: LedgerService
    progress_diagram: ProgressDiagramService
    timers: TimerService
    reminders: ReminderService
    org: OrgService
    signin: SignInService
    maintenance: MaintenanceService

    @classmethod
    def build(cls, core: Core) -> Services:
        jobs, deploy, instances = JobService(core), DeployService(core), InstanceService(core)
        matrix, reminders = MatrixService(core), ReminderService(core, jobs)
        return cls(jobs=jobs, deploy=deploy, versions=VersionService(core, deploy),
                   version_changes=VersionChangeService(core), instances=instances, tasks=TaskService(core),
                   claims=ClaimService(core), completion=CompletionService(core),
                   collaboration=CollaborationService(core, instances), documents=DocumentService(core),
                   plans=PlanService(core), matrix=matrix, ledger=LedgerService(core, instances, matrix, reminders),
                   progress_diagram=ProgressDiagramService(core), timers=TimerService(core),
                   reminders=reminders, org=OrgService(core), signin=SignInService(core),
                   maintenance=MaintenanceService(core))


class via(Generic[S, P, R]):
    """A facade method: ``method`` run on the engine's service named ``service``."""

    def __init__(self, service: str, method: Callable[Concatenate[S, P], R]) -> None:
        self.service = service
        self.name = method.__name__
        self.__doc__ = method.__doc__

    def __get__(self, engine: Engine | None, owner: type | None = None) -> Callable[P, R]:
        if engine is None:
            raise AttributeError(f"Engine.{self.name} is a method of an engine, not of the class")
        bound: Callable[P, R] = getattr(getattr(engine.services, self.service), self.name)
        return bound


class Engine:
    """Everything the web layer and the CLI may ask of the engine."""

    def __init__(self, settings: EngineSettings, domain: Domain = GENERIC, database: Database | None = None) -> None:
        """An engine running the process of ``domain`` (the generic one: no domain functions, no
        year plan form, no matrix columns). ``database`` shares another engine's connection pools
        (tests that play a second server process); by default the engine opens its own."""
        self.core = Core.open(settings, domain, database)
        self.settings = settings
        self.domain = domain
        self.db = self.core.db
        self.models = self.core.models
        self.runs = self.core.runs
        self.services = Services.build(self.core)

    def upgrade_schema(self) -> tuple[str | None, str | None]:
        """Create or migrate the database schema to the latest revision; returns the revision before
        (None: the schema was created) and after."""
        return upgrade(self.db.write_engine)



    # Deploying diagrams
    lint_paths = via("deploy", DeployService.lint_paths)
    deploy = via("deploy", DeployService.deploy)
    deploy_sources = via("deploy", DeployService.deploy_sources)
    diagram = via("deploy", DeployService.diagram)
    processes = via("deploy", DeployService.processes)
    versions = via("deploy", DeployService.versions)

    # Versions and forms of a process
    process_versions = via("versions", VersionService.process_versions)
    model_file = via("versions", VersionService.model_file)
    form_files = via("versions", VersionService.form_files)
    form_text = via("versions", VersionService.form_text)
    check_form = via("versions", VersionService.check_form)
    deploy_form = via("versions", VersionService.deploy_form)
    check_model = via("versions", VersionService.check_model)
    deploy_model = via("versions", VersionService.deploy_model)
    make_version_current = via("versions", VersionService.make_version_current)
    compare_versions = via("versions", VersionService.compare_versions)

    # Moving running projects to another version
    version_change_preview = via("version_changes", VersionChangeService.version_change_preview)
    change_version = via("version_changes", VersionChangeService.change_version)
    revert_version_change = via("version_changes", VersionChangeService.revert_version_change)

    # Projects (process instances)
    start = via("instances", InstanceService.start)
    launch = via("instances", InstanceService.launch)
    withdraw = via("instances", InstanceService.withdraw)
    instance = via("instances", InstanceService.instance)
    workflow_history = via("instances", InstanceService.workflow_history)
    suspend = via("instances", InstanceService.suspend)
    resume = via("instances", InstanceService.resume)
    terminate = via("instances", InstanceService.terminate)
    retry = via("instances", InstanceService.retry)

    # Tasks and the inbox
    inbox = via("tasks", TaskService.inbox)
    task = via("tasks", TaskService.task)
    my_task_in = via("tasks", TaskService.my_task_in)
    claim = via("claims", ClaimService.claim)
    unclaim = via("claims", ClaimService.unclaim)
    reassign = via("claims", ClaimService.reassign)
    save_draft = via("completion", CompletionService.save_draft)
    complete = via("completion", CompletionService.complete)

    # Attachments, comments, extensions, notices
    upload = via("collaboration", CollaborationService.upload)
    delete_attachment = via("collaboration", CollaborationService.delete_attachment)
    download = via("collaboration", CollaborationService.download)
    comment = via("collaboration", CollaborationService.comment)
    request_extension = via("collaboration", CollaborationService.request_extension)
    decide_extension = via("collaboration", CollaborationService.decide_extension)
    extension_requests = via("collaboration", CollaborationService.extension_requests)
    notifications = via("collaboration", CollaborationService.notifications)
    mark_read = via("collaboration", CollaborationService.mark_read)
    startable_processes = via("collaboration", CollaborationService.startable_processes)

    # Formal documents
    application_document = via("documents", DocumentService.application_document)

    # The year plan
    plan_years = via("plans", PlanService.plan_years)
    plan_form = via("plans", PlanService.plan_form)
    save_year_plan = via("plans", PlanService.save_year_plan)
    copy_year_plan = via("plans", PlanService.copy_year_plan)

    # Ledger, project page, dossier, supervision
    ledger = via("ledger", LedgerService.ledger)
    project = via("ledger", LedgerService.project)
    dossier = via("ledger", LedgerService.dossier)
    supervision = via("ledger", LedgerService.supervision)
    bottlenecks = via("ledger", LedgerService.bottlenecks)

    # The matrix chart
    matrix = via("matrix", MatrixService.matrix)

    # The progress diagram
    progress_diagram = via("progress_diagram", ProgressDiagramService.progress_diagram)

    # Timers and stalled projects
    fire_due_timers = via("timers", TimerService.fire_due_timers)
    resolve_stalled = via("timers", TimerService.resolve_stalled)
    put_in_error = via("timers", TimerService.put_in_error)
    compact_stored = via("timers", TimerService.compact_stored)

    # Reminders (临期提醒, 催办, 督办, 人工催办, 质量节点滞后催办)
    process_deadlines = via("reminders", ReminderService.process_deadlines)
    send_reminder = via("reminders", ReminderService.send_reminder)
    notify_late_quality_nodes = via("reminders", ReminderService.notify_late_quality_nodes)

    # Jobs, outbox, leases
    outbox_channels = via("jobs", JobService.outbox_channels)
    deliver_outbox = via("jobs", JobService.deliver_outbox)
    purge_outbox = via("jobs", JobService.purge_outbox)
    purge_idempotency_keys = via("jobs", JobService.purge_idempotency_keys)
    renew_leases = via("jobs", JobService.renew_leases)
    seconds_until_work = via("jobs", JobService.seconds_until_work)
    backlog = via("jobs", JobService.backlog)
    readiness = via("jobs", JobService.readiness)
    wakeups = via("jobs", JobService.wakeups)

    # Units, users, reference data
    add_unit = via("org", OrgService.add_unit)
    directory = via("org", OrgService.directory)
    units = via("org", OrgService.units)
    add_user = via("org", OrgService.add_user)
    update_user = via("org", OrgService.update_user)
    users = via("org", OrgService.users)
    user = via("org", OrgService.user)
    actor = via("org", OrgService.actor)
    set_reference = via("org", OrgService.set_reference)
    reference = via("org", OrgService.reference)
    set_language = via("org", OrgService.set_language)

    # Sign-in, sessions, API tokens
    authenticate = via("signin", SignInService.authenticate)
    session_actor = via("signin", SignInService.session_actor)
    end_sessions = via("signin", SignInService.end_sessions)
    change_password = via("signin", SignInService.change_password)
    reset_password = via("signin", SignInService.reset_password)
    set_active = via("signin", SignInService.set_active)
    issue_api_token = via("signin", SignInService.issue_api_token)
    api_tokens = via("signin", SignInService.api_tokens)
    revoke_api_token = via("signin", SignInService.revoke_api_token)
    actor_by_token = via("signin", SignInService.actor_by_token)

    # Backup and restore
    backup = via("maintenance", MaintenanceService.backup)
    restore = via("maintenance", MaintenanceService.restore)
