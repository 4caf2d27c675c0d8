"""Every supported framework, each in a project whose interpreter has it installed: the
document is generated from the app, and its operations are located in the code.

One venv for the session (cached under its tmp dir) holds Litestar, Starlette, Django,
Django Ninja, Django REST framework + drf-spectacular, Flask + flask-smorest and apispec;
the gate reaches it through ``--python``, as a project's own ``.venv`` would be.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gates.openapi_lint.test_codefirst import line_of
from tests.support import run_qualgate, write_files

pytestmark = pytest.mark.slow

PACKAGES = (
    "litestar",
    "starlette",
    "django",
    "django-ninja",
    "djangorestframework",
    "drf-spectacular",
    "flask",
    "flask-smorest",
    "apispec",
    "marshmallow",
    "sqlalchemy",
)


@pytest.fixture(scope="session")
def framework_python(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One venv for the whole run: with xdist, the workers share it (built once, under
    a lock, in the run's common tmp folder)."""
    shared = tmp_path_factory.getbasetemp()
    if "PYTEST_XDIST_WORKER" in os.environ:
        shared = shared.parent
    venv = shared / "openapi-frameworks-venv"
    python = venv / "bin" / "python"
    with open(shared / "openapi-frameworks.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (venv / "ready").exists():
            subprocess.run(
                [sys.executable, "-m", "venv", "--clear", str(venv)],
                check=True,
                capture_output=True,
            )
            done = subprocess.run(
                [str(python), "-m", "pip", "install", "-q", *PACKAGES],
                capture_output=True,
                text=True,
                timeout=600,
            )
            if done.returncode != 0:
                pytest.fail(f"installing the frameworks failed: {done.stderr[-500:]}")
            (venv / "ready").touch()
    return str(python)


LITESTAR = """\
from dataclasses import dataclass

from litestar import Litestar, get, post


@dataclass
class Book:
    title: str
    pages: int


@get("/books/{book_id:int}")
async def get_book(book_id: int) -> Book:
    return Book("x", 1)


@post("/books")
async def add_book(data: Book) -> Book:
    return data


app = Litestar([get_book, add_book])
"""

STARLETTE = '''\
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.schemas import SchemaGenerator

schemas = SchemaGenerator({"openapi": "3.0.0", "info": {"title": "Users", "version": "1.0"}})


def list_users(request):
    """
    responses:
      200:
        description: The users.
    """
    return JSONResponse([])


app = Starlette(routes=[Route("/users", endpoint=list_users, methods=["GET"])])
'''

DJANGO = {
    "manage.py": 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")\n',
    "proj/__init__.py": "",
    "proj/settings.py": """\
SECRET_KEY = "x"
ROOT_URLCONF = "proj.urls"
INSTALLED_APPS = [
    "django.contrib.contenttypes", "django.contrib.auth", "rest_framework", "drf_spectacular",
    "shop",
]
# A server the generator must never reach.
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}
REST_FRAMEWORK = {"DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema"}
""",
    "proj/urls.py": """\
from django.urls import include, path
from rest_framework.routers import DefaultRouter

from shop.views import ProductViewSet

router = DefaultRouter()
router.register("products", ProductViewSet)
urlpatterns = [path("api/", include(router.urls))]
""",
    "shop/__init__.py": "",
    "shop/models.py": """\
from django.db import models


class Product(models.Model):
    name = models.CharField(max_length=100)

    class Meta:
        app_label = "shop"
""",
    "shop/views.py": """\
from rest_framework import serializers, viewsets

from shop.models import Product


class ProductSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = ["id", "name"]


class ProductViewSet(viewsets.ModelViewSet):
    queryset = Product.objects.all()
    serializer_class = ProductSerializer
""",
}

NINJA = {
    "manage.py": DJANGO["manage.py"],
    "proj/__init__.py": "",
    "proj/settings.py": 'SECRET_KEY = "x"\nROOT_URLCONF = "proj.urls"\nINSTALLED_APPS = []\n'
    'DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}\n',
    "proj/urls.py": "from django.urls import path\n\nfrom proj.api import api\n\n"
    'urlpatterns = [path("api/", api.urls)]\n',
    "proj/api.py": """\
from ninja import NinjaAPI, Schema

api = NinjaAPI()


class Greeting(Schema):
    message: str


@api.get("/hello", response=Greeting)
def hello(request, name: str = "world"):
    return {"message": f"Hello {name}"}
""",
}

SMOREST = """\
import marshmallow as ma
from flask import Flask
from flask.views import MethodView
from flask_smorest import Api, Blueprint

app = Flask(__name__)
app.config.update(API_TITLE="Pets", API_VERSION="v1", OPENAPI_VERSION="3.0.2")
api = Api(app)
blp = Blueprint("pets", "pets", url_prefix="/pets")


class PetSchema(ma.Schema):
    id = ma.fields.Int(dump_only=True)
    name = ma.fields.String(required=True)


@blp.route("/")
class Pets(MethodView):
    @blp.response(200, PetSchema(many=True))
    def get(self):
        return []


api.register_blueprint(blp)
app.run()  # unguarded: the generator must not start a server
"""

APISPEC = """\
from apispec import APISpec

spec = APISpec(title="Notes", version="1.0", openapi_version="3.0.2")
spec.path(path="/notes", operations={"get": {"responses": {"200": {"description": "ok"}}}})
"""

CASES = [
    ("litestar", {"main.py": LITESTAR}, "main:app", "main.py", "@get(", 2),
    ("starlette", {"app.py": STARLETTE}, "app:app", "app.py", "def list_users", 1),
    ("drf-spectacular", DJANGO, "django", "shop/views.py", "class ProductViewSet", 6),
    ("ninja", NINJA, "proj.api:api", "proj/api.py", "@api.get(", 1),
    ("flask-smorest", {"pets.py": SMOREST}, "pets:api", "pets.py", "    @blp.response(200", 1),
    ("apispec", {"notes.py": APISPEC}, "notes:spec", "notes.py", "spec = APISpec(", 1),
]


@pytest.mark.parametrize(
    ("framework", "files", "target", "path", "marker", "operations"),
    CASES,
    ids=[c[0] for c in CASES],
)
def test_framework(
    tmp_path: Path,
    framework_python: str,
    framework: str,
    files: dict[str, str],
    target: str,
    path: str,
    marker: str,
    operations: int,
) -> None:
    write_files(tmp_path, files)
    run = run_qualgate("openapi-lint", str(tmp_path), "--python", framework_python)
    assert run.verdict is not None
    assert run.verdict["status"] in ("pass", "fail"), run.verdict["summary"]
    generated = run.verdict["metrics"]["generated"]
    assert (generated["app"], generated["framework"]) == (target, framework)
    generate = next(c for c in run.verdict["checks"] if c["name"] == "generate")
    assert f": {operations} operations" in generate["summary"]
    # An operation's findings sit at the code that serves it.
    located = {(f["path"], f["line"]) for f in run.findings if "/paths/" in f["data"]["pointer"]}
    assert (path, line_of(files[path], marker)) in located, sorted(located)
    # Nothing was served and no database file appeared.
    assert not (tmp_path / "db.sqlite3").exists()
    if framework == "flask-smorest":
        assert "blocked while importing: Flask.run" in generate["summary"]
