"""The engine's use cases, one transaction each, behind one facade: the engine's public face.

Callers outside the engine (the web layer) import from here, never from the modules below: the
facade ``Engine``, and the values its use cases return and take (pages, rows, queries) with the
constants that go with them. The modules may move; these names stay.
"""

from engine.service.facade import Engine
from engine.service.files import ChosenFile
from engine.service.ledger import SORTS
from engine.service.ledger import STATES
from engine.service.ledger import Dossier
from engine.service.ledger import LedgerPage
from engine.service.ledger import LedgerQuery
from engine.service.ledger import LedgerRow
from engine.service.org import Directory
from engine.service.progress_diagram import ProgressDiagram
from engine.service.progress_diagram import StepMark
from engine.service.signin import FIRST_WAIT
from engine.service.signin import FREE_FAILURES
from engine.service.signin import LONGEST_WAIT
from engine.service.tasks import TABS
from engine.service.tasks import TaskDetail
from engine.service.tasks import TaskRow

__all__ = [
    "FIRST_WAIT",
    "FREE_FAILURES",
    "LONGEST_WAIT",
    "SORTS",
    "STATES",
    "TABS",
    "ChosenFile",
    "Directory",
    "Dossier",
    "Engine",
    "LedgerPage",
    "LedgerQuery",
    "LedgerRow",
    "ProgressDiagram",
    "StepMark",
    "TaskDetail",
    "TaskRow",
]
