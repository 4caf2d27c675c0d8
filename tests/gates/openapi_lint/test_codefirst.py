"""Code-first apps: the document generated from a FastAPI app, linted at the code, checked
against a contract, and compared at ``--base`` (FastAPI is in qualgate's own venv; the
other frameworks are in test_frameworks.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from qualgate.gates.openapi_lint import appdetect
from tests.support import Run, git, git_init, run_qualgate, write_files

APP = """\
from enum import Enum

from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI(title="Shop", version="1.0")


class Color(str, Enum):
    red = "red"
    blue = "blue"


class Item(BaseModel):
    name: str
    price: float
    color: Color


class NewItem(BaseModel):
    name: str
    price: float
    sku: str


@app.get("/items", operation_id="listItems", tags=["items"])
def list_items(limit: int = 10) -> list[Item]:
    return []


@app.post("/items", operation_id="createItem", status_code=201, tags=["items"])
def create_item(item: NewItem) -> Item:
    return Item(name=item.name, price=item.price, color=Color.red)


@app.get("/items/{item_id}", operation_id="getItem", tags=["items"])
def get_item(item_id: int, verbose: bool) -> Item:
    return Item(name="x", price=1, color=Color.red)


@app.get("/health", operation_id="health")
def health() -> dict[str, str]:
    return {}
"""

CONTRACT = """\
openapi: 3.1.0
info: {title: Shop, version: "1.0"}
paths:
  /items:
    get:
      operationId: listItems
      parameters:
        - {name: limit, in: query, schema: {type: integer}}
        - {name: q, in: query, schema: {type: string}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: array, items: {$ref: "#/components/schemas/Item"}}
    post:
      operationId: createItem
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/NewItem"}
      responses:
        "201":
          description: created
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Item"}
  /items/{item_id}:
    get:
      operationId: getItem
      parameters:
        - {name: item_id, in: path, required: true, schema: {type: integer}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Item"}
    delete:
      operationId: deleteItem
      parameters:
        - {name: item_id, in: path, required: true, schema: {type: integer}}
      responses:
        "204": {description: gone}
components:
  schemas:
    Item:
      type: object
      required: [id, name, price, color]
      properties:
        id: {type: string}
        name: {type: string}
        price: {type: integer}
        color: {type: string, enum: [red, blue, green]}
    NewItem:
      type: object
      required: [name, price]
      properties:
        name: {type: string}
        price: {type: number}
"""


def line_of(text: str, fragment: str) -> int:
    """The 1-based line of the first line of ``text`` containing ``fragment``."""
    for number, line in enumerate(text.splitlines(), 1):
        if fragment in line:
            return number
    raise AssertionError(f"{fragment!r} not in the text")


def project(root: Path, app: str = APP, **files: str) -> Path:
    write_files(root, {"app/__init__.py": "", "app/main.py": app, **files})
    return root


def test_a_fastapi_app_is_found_and_generated(tmp_path: Path) -> None:
    run = run_qualgate("openapi-lint", str(project(tmp_path)), "--require")
    assert run.code == 0, run.verdict
    assert run.verdict is not None
    generate = next(c for c in run.verdict["checks"] if c["name"] == "generate")
    assert generate["summary"].startswith("fastapi app app.main:app: 4 operations")
    assert generate["command"][-1].endswith("inproject/spec_worker.py")
    assert run.verdict["metrics"]["generated"] == {
        "app": "app.main:app",
        "framework": "fastapi",
        "path": "app/main.py",
    }
    assert "contract" not in [c["name"] for c in run.verdict["checks"]]


def test_a_default_app_yields_at_most_notes(tmp_path: Path) -> None:
    # Tags used but never declared, no servers, no descriptions: FastAPI's default
    # output is what a default app looks like, not a wall of warnings.
    run = run_qualgate("openapi-lint", str(project(tmp_path)))
    assert run.code == 0
    assert run.findings and {f["severity"] for f in run.findings} == {"note"}
    rules = {f["rule"] for f in run.findings}
    assert {"operation-tag-defined", "servers-defined", "operation-description"} <= rules


def test_findings_point_at_the_code(tmp_path: Path) -> None:
    run = run_qualgate("openapi-lint", str(project(tmp_path)))
    at = {(f["rule"], f["data"]["pointer"]): (f["path"], f["line"]) for f in run.findings}
    assert at[("operation-description", "/paths/~1health/get")] == (
        "app/main.py",
        line_of(APP, '@app.get("/health"'),
    )
    assert at[("servers-defined", "")] == ("app/main.py", line_of(APP, "app = FastAPI("))


@pytest.mark.slow
def test_configured_severities_apply_to_generated_documents(tmp_path: Path) -> None:
    run = run_qualgate(
        "openapi-lint", str(project(tmp_path)), "--rules", '{"operation-description": "error"}'
    )
    assert run.code == 1
    assert {f["severity"] for f in run.findings if f["rule"] == "operation-description"} == {
        "error"
    }


def _contract_run(root: Path) -> Run:
    project(root, **{"contract/openapi.yaml": CONTRACT})
    return run_qualgate(
        "openapi-lint", str(root), "--contract", str(root / "contract/openapi.yaml")
    )


def test_every_kind_of_deviation_is_reported_at_the_contracts_line(tmp_path: Path) -> None:
    run = _contract_run(tmp_path)
    assert run.code == 1
    assert run.verdict is not None
    contract = [f for f in run.findings if f["check"] == "contract"]
    assert {f["path"] for f in contract} == {"contract/openapi.yaml"}
    found = {(f["rule"], f["line"], f["data"]["category"]) for f in contract}
    c = CONTRACT
    expected = {
        # An operation the contract promises is not implemented.
        ("contract-violation", line_of(c, "    delete:"), "breaking-operation-removed"),
        # A parameter the contract promises is ignored by the implementation.
        ("contract-violation", line_of(c, "name: q, in: query"), "breaking-parameter-removed"),
        # The implementation requires a parameter the contract does not have.
        (
            "contract-violation",
            line_of(c, "  /items/{item_id}:") + 1,
            "breaking-parameter-required",
        ),
        # The implementation requires a request property the contract does not have.
        (
            "contract-violation",
            line_of(c, "    NewItem:") + 3,
            "breaking-request-property-required",
        ),
        # A response property the contract promises is not returned.
        (
            "contract-violation",
            line_of(c, "id: {type: string}"),
            "breaking-response-property-removed",
        ),
        # A response type wider than the contract's (number for integer).
        ("contract-violation", line_of(c, "price: {type: integer}"), "breaking-type-changed"),
        # An operation the contract does not describe.
        # (at the contract's `paths`, the nearest thing it has).
        ("contract-operation-undocumented", line_of(c, "paths:"), "api-change"),
    }
    assert expected <= found, sorted(found - expected)
    # Returning fewer enum values than the contract allows breaks no client: a deviation.
    enum = [f for f in contract if "enum values 'green'" in f["message"]]
    assert [(f["rule"], f["severity"], f["line"]) for f in enum] == [
        ("contract-deviation", "note", line_of(c, "color: {type: string, enum"))
    ]
    # Where in the code the implementation is.
    required = next(f for f in contract if f["data"]["category"] == "breaking-parameter-required")
    assert required["data"]["implementation"] == f"app/main.py:{line_of(APP, '/items/{item_id}')}"
    assert "6 contract violations" in run.verdict["summary"]
    # A response code the implementation documents beyond the contract's: a deviation.
    extra_code = [f for f in contract if "response 422 is in the implementation" in f["message"]]
    post = line_of(c, "    post:")
    responses = post + line_of("\n".join(c.splitlines()[post:]), "      responses:")
    assert ("contract-deviation", responses) in {(f["rule"], f["line"]) for f in extra_code}
    # A default the contract leaves open is the implementation's choice: a deviation.
    default = [f for f in contract if "default 10" in f["message"]]
    assert [f["rule"] for f in default] == ["contract-deviation"]


@pytest.mark.slow
def test_direction_matters(tmp_path: Path) -> None:
    """An implementation accepting more than the contract is not a violation."""
    lenient = APP.replace("    sku: str\n", "    sku: str | None = None\n").replace(
        "verbose: bool)", "verbose: bool = False)"
    )
    project(tmp_path, lenient, **{"contract/openapi.yaml": CONTRACT})
    run = run_qualgate(
        "openapi-lint", str(tmp_path), "--contract", str(tmp_path / "contract/openapi.yaml")
    )
    categories = {
        (f["rule"], f["data"]["category"]) for f in run.findings if f["check"] == "contract"
    }
    assert ("contract-violation", "breaking-parameter-required") not in categories
    assert ("contract-violation", "breaking-request-property-required") not in categories
    messages = [f["message"] for f in run.findings if f["rule"] == "contract-deviation"]
    assert any("optional query parameter 'verbose'" in m for m in messages), messages


@pytest.mark.slow
def test_the_committed_document_is_the_contract(tmp_path: Path) -> None:
    project(tmp_path, **{"openapi.yaml": CONTRACT})
    run = run_qualgate("openapi-lint", str(tmp_path))
    assert run.verdict is not None and run.verdict["metrics"]["contract"] == "openapi.yaml"
    assert any(f["rule"] == "contract-violation" for f in run.findings)


def test_a_contract_outside_the_project_is_shown_relative(tmp_path: Path) -> None:
    root = project(tmp_path / "repo")
    write_files(tmp_path, {"shared/openapi.yaml": CONTRACT})
    run = run_qualgate(
        "openapi-lint", str(root), "--contract", str(tmp_path / "shared/openapi.yaml")
    )
    assert run.verdict is not None  # validated against the schema by run_qualgate
    paths = {f["path"] for f in run.findings if f["check"] == "contract"}
    assert paths == {"../shared/openapi.yaml"}
    assert run.verdict["metrics"]["contract"] == "../shared/openapi.yaml"


def test_an_app_that_fails_to_import_is_an_error_with_the_import_error(tmp_path: Path) -> None:
    app = "import os\n\nDATABASE_URL = os.environ['SHOP_DATABASE_URL']\n" + APP
    run = run_qualgate("openapi-lint", str(project(tmp_path, app)))
    assert run.code == 2
    assert run.verdict is not None and run.verdict["status"] == "error"
    assert "KeyError" in run.verdict["summary"] and "SHOP_DATABASE_URL" in run.verdict["summary"]
    assert "app/main.py:3" in run.verdict["summary"]
    assert any("--app-env" in step for step in run.verdict["next_steps"])


def test_an_app_for_a_newer_python_says_which_python_it_needs(tmp_path: Path) -> None:
    # Deferred annotations (Python 3.14): a NameError on an older interpreter, not a defect.
    app = "class User:\n    items: list[Item]\n\n\nclass Item:\n    pass\n\n\n" + APP
    pyproject = '[project]\nname = "shop"\nrequires-python = ">=3.99"\n'
    run = run_qualgate("openapi-lint", str(project(tmp_path, app, **{"pyproject.toml": pyproject})))
    assert run.code == 2 and run.verdict is not None
    assert "the project requires Python >=3.99 and its interpreter" in run.verdict["summary"]
    assert run.verdict["next_steps"][0].startswith("point --python at an interpreter")


@pytest.mark.slow
def test_app_env_and_dotenv_give_the_app_its_environment(tmp_path: Path) -> None:
    app = "import os\n\nDATABASE_URL = os.environ['SHOP_DATABASE_URL']\n" + APP
    project(tmp_path, app)
    given = run_qualgate("openapi-lint", str(tmp_path), "--app-env", "SHOP_DATABASE_URL=sqlite://")
    assert given.code == 0, given.verdict
    write_files(tmp_path, {".env": "# local\nexport SHOP_DATABASE_URL='sqlite://'\n"})
    assert run_qualgate("openapi-lint", str(tmp_path)).code == 0


def test_secrets_from_dotenv_are_masked_in_errors(tmp_path: Path) -> None:
    secret = "s3cr3t-Pa55word-value"
    app = "import os\n\nraise RuntimeError('cannot log in with ' + os.environ['SHOP_PASSWORD'])\n"
    project(tmp_path, app + APP, **{".env": f"SHOP_PASSWORD={secret}\n"})
    run = run_qualgate("openapi-lint", str(tmp_path))
    assert run.code == 2
    assert secret not in run.stdout
    assert "cannot log in with ***" in run.stdout


def test_app_off_never_imports_the_project(tmp_path: Path) -> None:
    canary = tmp_path / "imported"
    app = f"open({str(canary)!r}, 'w').close()\n" + APP
    run = run_qualgate("openapi-lint", str(project(tmp_path, app)), "--app", "off")
    assert run.verdict is not None and run.verdict["status"] == "skipped"
    assert not canary.exists()


@pytest.mark.slow
def test_an_app_factory(tmp_path: Path) -> None:
    factory = APP.replace('app = FastAPI(title="Shop", version="1.0")', "app = None").replace(
        "@app.", "@router."
    )
    factory = factory.replace(
        "from fastapi import FastAPI",
        "from fastapi import APIRouter, FastAPI\n\nrouter = APIRouter()",
    )
    factory += (
        "\n\ndef create_app() -> FastAPI:\n    made = FastAPI()\n"
        "    made.include_router(router)\n    return made\n"
    )
    factory = factory.replace("app = None\n", "")
    run = run_qualgate("openapi-lint", str(project(tmp_path, factory)))
    assert run.verdict is not None
    assert run.verdict["metrics"]["generated"]["app"] == "app.main:create_app", run.verdict


def test_an_app_built_by_a_factory_in_another_module(tmp_path: Path) -> None:
    """igorbenav/FastAPI-boilerplate's shape: main.py imports no framework and builds the
    app with a factory (that needs arguments) from the package's own core/setup.py."""
    routes = APP.replace('app = FastAPI(title="Shop", version="1.0")', "router = APIRouter()")
    routes = routes.replace("@app.", "@router.").replace(
        "from fastapi import FastAPI", "from fastapi import APIRouter"
    )
    files = {
        "src/app/__init__.py": "",
        "src/app/api.py": routes,
        "src/app/core/__init__.py": "",
        "src/app/core/setup.py": "from fastapi import APIRouter, FastAPI\n\n\n"
        "def create_application(router: APIRouter, title: str) -> FastAPI:\n"
        "    application = FastAPI(title=title)\n"
        "    application.include_router(router)\n    return application\n",
        "src/app/main.py": "from .api import router\nfrom .core.setup import create_application\n\n"
        'app = create_application(router=router, title="Shop")\n',
    }
    run = run_qualgate("openapi-lint", str(write_files(tmp_path / "p", files)))
    assert run.verdict is not None and run.code == 0, run.verdict
    assert run.verdict["metrics"]["generated"]["app"] == "app.main:app"


@pytest.mark.slow
def test_explicit_app_option(tmp_path: Path) -> None:
    project(tmp_path)
    write_files(
        tmp_path, {"other/__init__.py": "", "other/api.py": APP.replace("/health", "/ping")}
    )
    run = run_qualgate("openapi-lint", str(tmp_path), "--app", "other.api:app")
    assert run.verdict is not None
    assert run.verdict["metrics"]["generated"]["app"] == "other.api:app"
    bad = run_qualgate("openapi-lint", str(tmp_path), "--app", "not a target")
    assert bad.code == 2


@pytest.mark.slow
def test_a_route_change_since_base_is_a_breaking_change_at_the_code(tmp_path: Path) -> None:
    project(tmp_path)
    git_init(tmp_path)
    changed = APP.replace("def list_items(limit: int = 10)", "def list_items(limit: int)")
    changed = changed.replace("    price: float\n    color: Color\n", "    color: Color\n")
    write_files(tmp_path, {"app/main.py": changed})
    run = run_qualgate("openapi-lint", str(tmp_path), "--base", "HEAD")
    assert run.code == 1, run.verdict
    breaking = {
        (f["rule"], f["path"], f["line"], f["data"]["side"])
        for f in run.findings
        if f["check"] == "breaking" and f["severity"] != "note"
    }
    assert (
        "breaking-parameter-required",
        "app/main.py",
        line_of(changed, '@app.get("/items"'),
        "new",
    ) in breaking
    # The removed property was declared at the base: located there.
    assert (
        "breaking-response-property-removed",
        "app/main.py",
        line_of(APP, "    price: float"),
        "base",
    ) in breaking
    assert all(f["data"]["base"] == "HEAD" for f in run.findings if f["check"] == "breaking")
    # The repository's .git is not used for a worktree.
    assert "worktree" not in git(tmp_path, "worktree", "list").split("\n", 1)[-1]


@pytest.mark.slow
def test_an_app_new_since_base_has_nothing_to_break(tmp_path: Path) -> None:
    write_files(tmp_path, {"README.md": "hi"})
    git_init(tmp_path)
    project(tmp_path)
    run = run_qualgate("openapi-lint", str(tmp_path), "--base", "HEAD")
    assert run.code == 0
    assert [f for f in run.findings if f["check"] == "breaking"] == []


@pytest.mark.parametrize(
    ("files", "target"),
    [
        ({"main.py": "from fastapi import FastAPI\napp = FastAPI()\n"}, "main:app"),
        (
            {
                "src/shop/__init__.py": "",
                "src/shop/web.py": "import fastapi\napi = fastapi.FastAPI()\n",
                "tests/test_app.py": "from fastapi import FastAPI\napp = FastAPI()\n",
            },
            "shop.web:api",
        ),
        (
            {
                "svc/app.py": "from litestar import Litestar\napp = Litestar([])\n",
                "examples/demo.py": "from fastapi import FastAPI\napp = FastAPI()\n",
            },
            "svc.app:app",
        ),
        (
            {
                "manage.py": 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", '
                '"site_cfg.settings")\n',
                "site_cfg/__init__.py": "",
                "site_cfg/settings.py": 'INSTALLED_APPS = ["rest_framework", "drf_spectacular"]\n',
            },
            "django",
        ),
        (
            {
                "web/__init__.py": "from flask import Flask\nfrom flask_smorest import Api\n"
                "app = Flask(__name__)\napi = Api(app)\n"
            },
            "web:api",
        ),
        (
            {
                "project/app/main.py": "from fastapi import FastAPI\n\n\n"
                "def create_application() -> FastAPI:\n    return FastAPI()\n\n\n"
                "app = create_application()\n"
            },
            "project.app.main:app",
        ),
        (
            {"svc.py": "import litestar\n\n\ndef build():\n    return litestar.Litestar([])\n"},
            "svc:build",
        ),
        ({"notes.py": "app = dict()\n"}, None),
    ],
)
def test_detection_reads_sources_without_running_them(
    tmp_path: Path, files: dict[str, str], target: str | None
) -> None:
    write_files(tmp_path, files)
    found = appdetect.detect(tmp_path)
    assert (found[0].target if found else None) == target


def test_the_result_cache_never_replays_a_stale_generated_document(tmp_path: Path) -> None:
    project(tmp_path, **{"openapi.yaml": CONTRACT})
    first = run_qualgate("openapi-lint", str(tmp_path))
    changed = APP.replace("def get_item(item_id: int, verbose: bool)", "def get_item(item_id: int)")
    write_files(tmp_path, {"app/main.py": changed})
    second = run_qualgate("openapi-lint", str(tmp_path))
    categories = [
        {f["data"].get("category") for f in run.findings if f["check"] == "contract"}
        for run in (first, second)
    ]
    assert "breaking-parameter-required" in categories[0]
    assert "breaking-parameter-required" not in categories[1]
    # What only the app reads (.env) is part of the answer too.
    app = "import os\n\nif os.environ.get('SHOP_BROKEN'):\n    raise RuntimeError('broken')\n"
    write_files(tmp_path, {"app/main.py": app + changed})
    assert run_qualgate("openapi-lint", str(tmp_path)).code != 2
    write_files(tmp_path, {".env": "SHOP_BROKEN=1\n"})
    assert run_qualgate("openapi-lint", str(tmp_path)).code == 2
