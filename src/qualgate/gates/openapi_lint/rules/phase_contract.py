"""The catalogue of the contract phase: the app's generated spec against the agreed contract.

Findings sit at the contract's line. The judgement is the breaking-change one, with the
contract as the older version and the implementation as the newer: what would break a
client written against the contract is a violation; an implementation that accepts
more or returns less than the contract says is a deviation.
"""

from __future__ import annotations

from qualgate.rules import Rule
from qualgate.verdict import Severity

E, W, N = Severity.ERROR, Severity.WARNING, Severity.NOTE

CONTRACT: tuple[Rule, ...] = (
    Rule(
        id="contract-violation",
        severity=E,
        rationale="The implementation breaks a client written against the contract: an "
        "operation, parameter, response or property the contract promises is missing, a "
        "type or enum differs against the client, or the implementation requires more "
        "(a new required parameter or property, a tighter constraint).",
        fix="change the code to match the contract, or agree a new contract with its clients",
    ),
    Rule(
        id="contract-operation-undocumented",
        severity=W,
        rationale="The implementation serves an operation the contract does not describe: no "
        "client written against the contract knows it exists.",
        fix="add it to the contract, or remove it from the code",
    ),
    Rule(
        id="contract-deviation",
        severity=N,
        rationale="The implementation differs from the contract without breaking its clients: it "
        "accepts more (an optional parameter, a wider type or enum) or returns less (a "
        "narrower enum, fewer error responses) than the contract says.",
        fix="keep the contract exact: update it, or the code",
    ),
)
