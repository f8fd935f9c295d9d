"""The engine's use cases, one transaction each, behind one facade."""

from engine.persistence.schema import upgrade
from engine.service.collaboration import CollaborationUseCases
from engine.service.deadlines import DeadlineUseCases
from engine.service.deploy import DeployUseCases
from engine.service.documents import DocumentUseCases
from engine.service.instances import InstanceUseCases
from engine.service.jobs import JobUseCases
from engine.service.ledger import LedgerUseCases
from engine.service.lifecycle import LifecycleUseCases
from engine.service.maintenance import MaintenanceUseCases
from engine.service.matrix import MatrixUseCases
from engine.service.migrations import MigrationUseCases
from engine.service.org import OrgUseCases
from engine.service.plans import PlanUseCases
from engine.service.signin import SignInUseCases
from engine.service.tasks import TaskUseCases
from engine.service.timers import TimerUseCases
from engine.service.versions import VersionUseCases


class Engine(DeployUseCases, InstanceUseCases, TaskUseCases, CollaborationUseCases, TimerUseCases, DeadlineUseCases,
             OrgUseCases, SignInUseCases, MaintenanceUseCases, LedgerUseCases,
             LifecycleUseCases, MatrixUseCases, VersionUseCases, MigrationUseCases, DocumentUseCases,
             PlanUseCases, JobUseCases):
    """Everything the web layer and the CLI may ask of the engine."""

    def upgrade_schema(self) -> tuple[str | None, str | None]:
        """Create or migrate the database schema to the latest revision; returns the revision before
        (None: the schema was created) and after."""
        return upgrade(self.db.write_engine)
