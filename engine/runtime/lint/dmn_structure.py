"""What SpiffWorkflow's DMN reader needs of a file, checked before it is asked to read it.

The library reads the first ``decision`` under the root, through the prefix ``dmn`` (the default
namespace, or the prefix spelled ``dmn``), takes one decision table per file and indexes the
columns by each rule's entries; a file that misses one of these fails inside it with
``list index out of range`` or ``KeyError: 'id'``, naming neither the decision nor the cause. A
rule with fewer entries than the table has columns is read without complaint, and then runs as if
the missing input cells were ``-`` and never sets the missing outputs. Each problem here names the
decision and what is wrong with its table, at the element concerned.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from lxml import etree

from engine.errors import phrase
from engine.runtime.lint.nodes import local_name

# The table's children the library reads; anything else makes it stop.
TABLE_PARTS = ("input", "output", "rule")
INPUT, OUTPUT = phrase("input"), phrase("output")
NO_ID = phrase("Decision %(decision)s: a %(part)s element of its table has no id")

DmnProblem = tuple[Any, str, dict[str, Any]]  # (element, template, parameters)


def _local(node: Any) -> str:
    return local_name(node.tag)


def _children(node: Any, local: str) -> list[Any]:
    return [child for child in node if _local(child) == local]


def dmn_problems(root: Any) -> list[DmnProblem]:
    """Every reason SpiffWorkflow could not read the DMN document ``root``, each with the element."""
    namespace = etree.QName(root.tag).namespace
    if root.prefix not in (None, "dmn"):
        named = "、".join(node.get("id") or "?" for node in root.iter() if _local(node) == "decision") or "-"
        return [(root, phrase("The DMN elements are written with the prefix %(prefix)s, which SpiffWorkflow does "
                              "not read (decisions %(decisions)s): save the file with the DMN namespace as its "
                              "default namespace (as DMN modelers do)"), {"prefix": root.prefix, "decisions": named})]
    decisions = list(root.iter(f"{{{namespace}}}decision")) if namespace else _children(root, "decision")
    if not decisions:
        return [(root, phrase("The DMN file holds no decision: a business rule task calls one decision table by "
                              "its id"), {})]
    if len(decisions) > 1:
        return [(decisions[1], phrase("The file holds %(count)s decisions (%(decisions)s); here a DMN file holds one "
                               "decision table: keep each decision in a file of its own"),
                 {"count": len(decisions), "decisions": "、".join(d.get("id") or "?" for d in decisions)})]
    return list(_decision_problems(decisions[0]))


def _decision_problems(decision: Any) -> Iterator[DmnProblem]:
    name = decision.get("id") or decision.get("name") or "?"
    if not decision.get("id"):
        yield decision, phrase("Decision %(decision)s has no id: a business rule task calls a decision by its id"), \
            {"decision": name}
    tables = _children(decision, "decisionTable")
    if not tables:
        kinds = [_local(child) for child in decision if _local(child) not in ("", "description", "extensionElements",
                                                                            "informationRequirement", "variable",
                                                                            "authorityRequirement",
                                                                            "knowledgeRequirement", "question",
                                                                            "allowedAnswers")]
        yield decision, phrase("Decision %(decision)s has no decision table (it holds %(kind)s): only decision "
                              "tables are run here"), {"decision": name, "kind": kinds[0] if kinds else "-"}
        return
    yield from _table_problems(name, tables[0])


def _table_problems(name: str, table: Any) -> Iterator[DmnProblem]:
    columns = {part: _children(table, part) for part in ("input", "output")}
    for child in table:
        if _local(child) not in TABLE_PARTS:
            yield child, phrase("Decision %(decision)s: its table holds the element %(element)s, which is not "
                               "read here: remove it"), {"decision": name, "element": _local(child) or "comment"}
        elif child.get("id") is None:
            yield child, NO_ID, {"decision": name, "part": _local(child)}
    if not columns["output"]:
        yield table, phrase("Decision %(decision)s: its table has no output column"), {"decision": name}
    for number, rule in enumerate(_children(table, "rule"), start=1):
        for part, word in (("input", INPUT), ("output", OUTPUT)):
            entries = _children(rule, f"{part}Entry")
            if len(entries) != len(columns[part]):
                yield rule, phrase("Decision %(decision)s: rule %(rule)s has %(entries)s %(part)s entries but "
                                   "the table has %(columns)s %(part)s columns"), {
                    "decision": name, "rule": rule.get("id") or number, "entries": len(entries),
                    "columns": len(columns[part]), "part": word}
            if any(entry.get("id") is None for entry in entries):
                yield rule, NO_ID, {"decision": name, "part": f"{part}Entry"}
