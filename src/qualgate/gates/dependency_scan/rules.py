"""Every rule dependency-scan reports: default severity, why it matters, how to fix it.

A `vulnerable-dependency` finding's help is its advisory's own page when the record
names one; the catalogue's section otherwise.
"""

from __future__ import annotations

from qualgate.rules import Rule, catalogue
from qualgate.verdict import Severity

RULES = catalogue(
    "dependency-scan",
    Rule(
        id="parse-error",
        severity=Severity.ERROR,
        rationale="A dependency file that cannot be read as its format hides what it installs "
        "(an unknown pip option is only a warning).",
        fix="Fix the file so its own tool (pip, poetry, uv, npm...) can read it.",
        configurable=False,
    ),
    Rule(
        id="file-unreadable",
        severity=Severity.ERROR,
        rationale="A dependency file that leads outside the repository (a symbolic link), is "
        "not a regular file or is larger than 64 MiB is not read, so what it installs is not "
        "checked.",
        fix="Replace the link or device with the dependency file itself.",
        configurable=False,
    ),
    Rule(
        id="include-unreadable",
        severity=Severity.ERROR,
        rationale="A -r/-c include that is missing, remote, or not a requirements file inside "
        "the repository (outside it, a dotfile, in .git, not *.txt/*.in) is not followed: its "
        "requirements are unchecked.",
        fix="Point the include at a requirements file (*.txt, *.in) inside the repository.",
        configurable=False,
    ),
    Rule(
        id="include-cycle",
        severity=Severity.WARNING,
        rationale="Requirement files include each other; the loop is followed only once.",
        fix="Remove one of the includes.",
    ),
    Rule(
        id="unpinned-dependency",
        severity=Severity.WARNING,
        rationale="Without an exact version the installed version cannot be checked for "
        "vulnerabilities (error with require-pins, note in library metadata).",
        fix="Pin an exact version (name==x.y.z), e.g. with pip-compile or a lock file.",
    ),
    Rule(
        id="lock-outdated",
        severity=Severity.WARNING,
        rationale="The project has a lock file, so it is judged by the lock; a dependency "
        "declared in pyproject.toml that the lock does not list means the lock is out of date "
        "and the version installed is not checked.",
        fix="Update the lock (uv lock, poetry lock, pdm lock) and commit it.",
    ),
    Rule(
        id="unscannable-dependency",
        severity=Severity.WARNING,
        rationale="A URL, VCS, path or editable requirement is no registry release, so no "
        "advisory database covers it (error with require-pins).",
        fix="Depend on a registry release, or keep it and review it by hand.",
    ),
    Rule(
        id="installed-interpreter",
        severity=Severity.NOTE,
        rationale="--installed found no project interpreter and read the environment qualgate "
        "runs in.",
        fix="Pass --python (or create the project's .venv) to scan its environment.",
    ),
    Rule(
        id="vuln-db-unreadable",
        severity=Severity.WARNING,
        rationale="Record files of --vuln-db that cannot be read are advisories not checked.",
        fix="Repair or remove the record files, or refresh the database.",
    ),
    Rule(
        id="vulnerable-dependency",
        severity=Severity.ERROR,
        rationale="The pinned version is affected by a published advisory (OSV); below "
        "fail-on-severity it is a warning.",
        fix="Upgrade to a fixed version (see the verdict's next steps), or ignore the advisory "
        "with a reason and an until date.",
    ),
    Rule(
        id="ignore-expired",
        severity=Severity.ERROR,
        rationale="An ignore whose until date has passed no longer hides its advisory.",
        fix="Upgrade the dependency, or renew the ignore with a new reason and date.",
    ),
    Rule(
        id="ignore-unused",
        severity=Severity.NOTE,
        rationale="An ignore that matches no scanned dependency would silently hide a future "
        "advisory.",
        fix="Remove the ignore.",
    ),
    Rule(
        id="license-denied",
        severity=Severity.ERROR,
        rationale="The package's license is in license-deny.",
        fix="Replace the package, or change license-deny if the policy allows it.",
    ),
    Rule(
        id="license-not-allowed",
        severity=Severity.ERROR,
        rationale="The package's license is not in license-allow.",
        fix="Replace the package, or add its license to license-allow.",
    ),
    Rule(
        id="license-unknown",
        severity=Severity.WARNING,
        rationale="The package's metadata declares no license that can be judged against the "
        "license policy.",
        fix="Check the package's license by hand.",
    ),
)
