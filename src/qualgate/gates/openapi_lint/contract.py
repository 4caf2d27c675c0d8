"""Contract conformance: the app's generated document against the agreed contract.

The comparison is the breaking-change one (`breaking.Comparison`), with the contract as
the older side and the implementation as the newer: a change that would break a client
written against the contract is a `contract-violation`; an operation the contract does
not describe is `contract-operation-undocumented`; any other difference (the
implementation accepts more, or returns less, than the contract says) is a
`contract-deviation`. Every finding sits at the contract's line (for something the
contract lacks, at its nearest parent there), and names the implementation's place in
the code in ``data.implementation``.
"""

from __future__ import annotations

from qualgate.gates.openapi_lint.breaking import Comparison
from qualgate.gates.openapi_lint.compare_base import API_CHANGE, ContractWords
from qualgate.gates.openapi_lint.issues import Issue
from qualgate.gates.openapi_lint.lint import Settings, to_findings
from qualgate.gates.openapi_lint.model import Spec
from qualgate.verdict import Finding

UNDOCUMENTED = "contract-operation-undocumented"


def check(contract: Spec, implementation: Spec, settings: Settings) -> list[Finding]:
    """Findings for every deviation of ``implementation`` from ``contract``."""
    issues = Comparison(contract, implementation, words=ContractWords()).run()
    return to_findings([_translate(issue) for issue in issues], settings)


def _translate(issue: Issue) -> Issue:
    if issue.data.get("side") == "base" or issue.counterpart is None:
        contract_at = (issue.doc, issue.pointer)
        implementation_at = issue.counterpart
    else:
        contract_at = issue.counterpart
        implementation_at = (issue.doc, issue.pointer) if issue.doc is not None else None
    if issue.data.get("kind") == "default-added":
        # The contract leaves the default open; the implementation picks one.
        rule = "contract-deviation"
    elif issue.rule == API_CHANGE:
        undocumented = issue.data.get("kind") in ("operation-added", "path-added")
        rule = UNDOCUMENTED if undocumented else "contract-deviation"
    else:
        rule = "contract-violation"
    data = {k: v for k, v in issue.data.items() if k not in ("side", "kind")}
    data["category"] = issue.rule
    if implementation_at is not None:
        doc, pointer = implementation_at
        data["implementation_pointer"] = pointer
        if doc is not None and doc.sources is not None:
            path, line = doc.sources.locate(pointer)
            data["implementation"] = f"{path}:{line}"
    return Issue(
        rule=rule,
        message=issue.message,
        doc=contract_at[0],
        pointer=contract_at[1],
        data=data,
    )
