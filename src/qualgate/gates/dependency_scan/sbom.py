"""``--sbom FILE``: a CycloneDX 1.6 JSON bill of materials of what was scanned."""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from qualgate.errors import GateError
from qualgate.gates.dependency_scan.model import Dependency, Ecosystem, PinKind


def render(
    project: str, dependencies: Iterable[Dependency], vulns: Mapping[str, Sequence[str]]
) -> str:
    """The SBOM text; ``vulns`` maps ``ecosystem:name@version`` to the advisory ids found."""
    try:
        from cyclonedx.contrib.license.factories import LicenseFactory
    except ImportError:  # pragma: no cover - cyclonedx-python-lib before 11.x
        from cyclonedx.factory.license import LicenseFactory
    from cyclonedx.model import Property
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.output.json import JsonV1Dot6
    from packageurl import PackageURL

    bom = Bom()
    bom.metadata.component = Component(name=project, type=ComponentType.APPLICATION)
    licenses = LicenseFactory()
    seen: set[str] = set()
    for dep in dependencies:
        purl_type = "pypi" if dep.ecosystem is Ecosystem.PYPI else "npm"
        version = dep.version if dep.kind is PinKind.PINNED else None
        namespace, _, bare = dep.key.rpartition("/") if dep.key.startswith("@") else ("", "", "")
        if namespace:  # npm scoped package: @scope/name
            purl = PackageURL(type=purl_type, namespace=namespace, name=bare, version=version)
        else:
            purl = PackageURL(type=purl_type, name=dep.key, version=version)
        ref = str(purl) if version else f"{purl}#{dep.path}:{dep.line}"
        if ref in seen:
            continue
        seen.add(ref)
        component = Component(
            name=dep.name,
            version=version,
            type=ComponentType.LIBRARY,
            purl=purl,
            bom_ref=ref,
        )
        for text in dep.licenses:
            component.licenses.add(licenses.make_from_string(text))
        component.properties.add(Property(name="qualgate:location", value=f"{dep.path}:{dep.line}"))
        if dep.kind is not PinKind.PINNED:
            component.properties.add(Property(name="qualgate:pin", value=dep.kind.value))
        for vuln_id in vulns.get(f"{dep.ecosystem.value}:{dep.key}@{dep.version}", ()):
            component.properties.add(Property(name="qualgate:vulnerability", value=vuln_id))
        bom.components.add(component)
    with warnings.catch_warnings():
        # cyclonedx warns that a flat component list has no dependency graph: we know.
        warnings.simplefilter("ignore")
        return JsonV1Dot6(bom).output_as_string(indent=2)


def write(path: Path, text: str) -> None:
    from qualgate.fsutil import write_atomic

    try:
        write_atomic(path, text)
    except OSError as exc:
        raise GateError(f"--sbom {path}: cannot write: {exc.strerror or exc}") from exc
