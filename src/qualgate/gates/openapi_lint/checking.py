"""One run of the gate: the committed documents, the app's generated one, and their
comparisons (older versions, the contract), gathered into findings and checks.
"""

from __future__ import annotations

import time
from pathlib import Path

from qualgate.config import load_config
from qualgate.context import GateContext
from qualgate.errors import GateError
from qualgate.gates.openapi_lint import appdetect, appspec, older
from qualgate.gates.openapi_lint.discovery import DEFAULT_SPECS, Found, discover, shown
from qualgate.gates.openapi_lint.lint import PHASES, Result, Settings, check_document, to_findings
from qualgate.gates.openapi_lint.report import verdict_of
from qualgate.gates.openapi_lint.rules import CHECK_OF, RULES
from qualgate.verdict import Check, Finding, Status, Verdict, derive_status, plural


def repo_config_sets(ctx: GateContext, name: str) -> bool:
    """Whether the repository's own config file set option ``name`` to its current value
    (a pull request can change that file: what it names is not the user's choice)."""
    if ctx.config_file is not None:
        return False  # --config: the user's own file
    from qualgate.gates import GATES

    table = load_config(ctx.root, None, GATES).tables.get(ctx.gate, {})
    if name not in table:
        return False
    value = table[name]
    values = [value] if isinstance(value, str) else list(value) if isinstance(value, list) else []
    return [str(v) for v in values] == [str(v) for v in ctx.option(name) or ()]


class Run:
    """Everything one run checks, and what it found."""

    def __init__(self, ctx: GateContext, settings: Settings) -> None:
        self.ctx = ctx
        self.settings = settings
        self.findings: list[Finding] = []
        self.timings = dict.fromkeys(PHASES, 0.0)
        self.checked: list[str] = []
        self.ignored: list[str] = []
        self.not_run: dict[str, list[str]] = {}
        self.results: dict[Path, Result] = {}
        self.extra_checks: list[Check] = []
        self.comparing = False
        self.contract: str | None = None
        self.generated: appspec.Generated | None = None

    def verdict(self) -> Verdict:
        ctx = self.ctx
        configured = tuple(ctx.option("specs") or ())
        trusted = bool(configured) and not repo_config_sets(ctx, "specs")
        found = discover(ctx.root, configured or DEFAULT_SPECS, trusted=trusted)
        against: Path | None = ctx.option("against")
        if against is not None and not against.is_file():
            raise GateError(f"--against {against}: no such file", "pass the older document's path")
        app = self._app()
        if not found and app is None:
            return self._nothing(configured)
        env = appspec.app_env(ctx) if app is not None else None
        if app is not None and env is not None:
            ctx.progress(f"generating the OpenAPI document of {app.target}")
            self.generated = appspec.generate(ctx, app, env)
            self.extra_checks.append(self.generated.check)
        readable = [f for f in found if f.readable]
        if against is not None and len(readable) > 1:
            raise GateError(
                f"--against compares one document, but {len(readable)} were found",
                "limit `specs` to the document that FILE is an older version of",
            )
        for document in found:
            self._document(document, against)
        if self.generated is not None and app is not None and env is not None:
            self._generated(app, env, against if not readable else None)
        return verdict_of(self)

    # -- the committed documents ------------------------------------------------------

    def _document(self, document: Found, against: Path | None) -> None:
        ctx = self.ctx
        if ctx.remaining() <= 1.0:
            raise GateError(
                f"timed out after checking {plural(len(self.checked), 'document')}",
                "raise --timeout or limit `specs`",
            )
        if not document.readable:
            self.checked.append(document.rel)
            self.findings.append(
                RULES.finding(
                    "document-outside-root",
                    f"{document.rel} is (or links to) a file outside the project: not read",
                    path=document.rel,
                    line=1,
                    check=CHECK_OF["document-outside-root"],
                    data={"pointer": ""},
                )
            )
            return
        ctx.progress(f"checking {document.rel}")
        root = ctx.root if not document.rel.startswith("../") else document.path.parent
        result = check_document(document.path, document.rel, root, self.settings)
        if not ctx.option("specs") and _not_openapi(result):
            # Discovered by name only (openapi-generator.yaml...): not a description.
            self.ignored.append(document.rel)
            return
        self._add(result)
        self.results[document.path.resolve()] = result
        if result.spec is not None and (against is not None or ctx.base is not None):
            self.comparing = True
            t0 = time.perf_counter()
            self.findings.extend(
                older.compare_for(
                    ctx, result.spec, document.path, document.rel, against, self.settings
                )
            )
            self.timings["breaking"] += time.perf_counter() - t0

    def _add(self, result: Result) -> None:
        self.checked.append(result.rel)
        if result.skipped_rules:
            self.not_run[result.rel] = result.skipped_rules
        for phase, seconds in result.timings.items():
            self.timings[phase] += seconds
        self.findings.extend(to_findings(result.issues, self.settings))

    def _nothing(self, configured: tuple[str, ...]) -> Verdict:
        from qualgate.gates.openapi_lint.report import skipped

        where = ", ".join(configured) if configured else "openapi.{yaml,yml,json}, swagger.*"
        app = "" if self.ctx.option("app") == "off" else " and no app to generate one from"
        return skipped(self.ctx, f"no OpenAPI document found (looked for {where}){app}")

    # -- the app ------------------------------------------------------------------------

    def _app(self) -> appdetect.Candidate | None:
        chosen = str(self.ctx.option("app") or "auto")
        if chosen == "off":
            return None
        if chosen == "auto":
            candidates = appdetect.detect(self.ctx.root)
            return candidates[0] if candidates else None
        if chosen == "django":
            found = [c for c in appdetect.detect(self.ctx.root) if c.target == "django"]
            settings = found[0].settings if found else None
            return appdetect.Candidate(
                target="django",
                framework="drf-spectacular",
                path="manage.py",
                line=1,
                settings=settings,
            )
        module = chosen.partition(":")[0]
        path = _module_path(self.ctx.root, module)
        settings = (
            next((c.settings for c in appdetect.detect(self.ctx.root) if c.settings), None)
            if (self.ctx.root / "manage.py").is_file()
            else None
        )
        return appdetect.Candidate(
            target=chosen if ":" in chosen else f"{chosen}:app",
            framework="",
            path=path or "",
            line=1,
            settings=settings,
        )

    def _generated(
        self, app: appdetect.Candidate, env: appspec.AppEnv, against: Path | None
    ) -> None:
        from qualgate.gates.openapi_lint import contract

        generated = self.generated
        assert generated is not None  # noqa: S101 - for mypy
        result = check_document(
            generated.doc.path, generated.doc.rel, self.ctx.root, self.settings, doc=generated.doc
        )
        self._add(result)
        if result.spec is None:
            return
        self._generated_breaking(app, env, result, against)
        target = self._contract_result()
        if target is None:
            return
        t0 = time.perf_counter()
        self.findings.extend(contract.check(target.spec, result.spec, self.settings))  # type: ignore[arg-type]
        self.extra_checks.append(
            Check(
                name="contract",
                status=self._status("contract"),
                duration_ms=int((time.perf_counter() - t0) * 1000),
            )
        )

    def _generated_breaking(
        self, app: appdetect.Candidate, env: appspec.AppEnv, result: Result, against: Path | None
    ) -> None:
        ctx = self.ctx
        assert result.spec is not None  # noqa: S101 - for mypy
        if against is not None:
            self.comparing = True
            t0 = time.perf_counter()
            self.findings.extend(
                older.compare_for(
                    ctx, result.spec, result.spec.doc.path, result.rel, against, self.settings
                )
            )
            self.timings["breaking"] += time.perf_counter() - t0
            return
        if ctx.base is None:
            return
        self.comparing = True
        t0 = time.perf_counter()
        ctx.progress(f"generating the OpenAPI document of {app.target} at {ctx.base}")
        base = appspec.generate_at_base(ctx, app, env)
        self.findings.extend(older.compare_generated(ctx, result.spec, base, self.settings))
        self.timings["breaking"] += time.perf_counter() - t0

    def _contract_result(self) -> Result | None:
        ctx = self.ctx
        chosen: Path | None = ctx.option("contract")
        if chosen is None:
            specs = [r for r in self.results.values() if r.spec is not None]
            if len(self.results) != 1 or len(specs) != 1:
                return None
            self.contract = specs[0].rel
            return specs[0]
        if not chosen.is_file():
            raise GateError(f"--contract {chosen}: no such file", "pass the contract's path")
        known = self.results.get(chosen.resolve())
        rel = shown(chosen, ctx.root)
        self.contract = rel
        if known is not None:
            return known if known.spec is not None else None
        root = ctx.root if not rel.startswith("../") else chosen.parent
        result = check_document(chosen, rel, root, self.settings)
        # The contract's own defects (it does not load, it is not valid) are findings.
        self.findings.extend(
            f
            for f in to_findings(result.issues, self.settings)
            if f.check in ("load", "refs", "structure")
        )
        return result if result.spec is not None else None

    def _status(self, check: str) -> Status:
        return derive_status((), [f for f in self.findings if f.check == check])


def _not_openapi(result: Result) -> bool:
    return any(i.rule == "oas-version" and not i.pointer for i in result.issues)


def _module_path(root: Path, module: str) -> str | None:
    parts = module.split(".")
    for base in (root, root / "src"):
        for candidate in (
            base.joinpath(*parts).with_suffix(".py"),
            base.joinpath(*parts, "__init__.py"),
        ):
            if candidate.is_file():
                return candidate.relative_to(root).as_posix()
    return None
