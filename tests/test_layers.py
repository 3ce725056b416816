"""The dependency rule of tests/layers.py holds for Perch's own source, and the checker catches what breaks it."""

from pathlib import Path

from tests import layers

ROOT = Path(__file__).resolve().parent.parent


def test_no_layer_imports_one_above_it():
    assert [str(i) for i in layers.forbidden(layers.imports(ROOT))] == []


def test_no_module_imports_itself_back_through_any_chain():
    assert layers.cycles(layers.imports(ROOT)) == []


def test_only_the_project_urls_and_the_demo_seed_reach_for_the_sandbox():
    assert [str(i) for i in layers.sandbox_leaks(layers.imports(ROOT))] == []


def test_every_module_has_a_layer_and_the_domain_is_where_the_readme_says():
    assert layers.layer_of("workspace.agents.models") == "base"
    assert layers.layer_of("workspace.infra.push") == "base"
    assert layers.layer_of("contacts.services") == "contacts"
    assert layers.layer_of("interactions.outbox") == "interactions"
    assert layers.layer_of("interactions.admin") == "ui"
    assert layers.layer_of("social.sending") == "social"
    assert layers.layer_of("workspace.desk.templatetags.tweets") == "ui"
    assert layers.layer_of("workspace.settings") == "project"


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for package in layers.PACKAGES:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    for name, source in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
    return tmp_path


def test_a_forbidden_import_inside_a_function_is_caught(tmp_path):
    root = _tree(tmp_path, {
        "social/models.py": "",
        "interactions/outbox.py": "def send():\n    from social.models import XAccount\n",
        "contacts/services.py": "from interactions import outbox\n",
        "workspace/agents/__init__.py": "",
        "workspace/agents/models.py": "import contacts.services\n",
    })  # fmt: skip
    assert sorted(str(i) for i in layers.forbidden(layers.imports(root))) == [
        "contacts.services imports interactions.outbox (line 1)",
        "interactions.outbox imports social.models (line 2)",
        "workspace.agents.models imports contacts.services (line 1)",
    ]


def test_the_domain_importing_a_screen_is_caught(tmp_path):
    root = _tree(tmp_path, {
        "workspace/desk/__init__.py": "",
        "workspace/desk/forms.py": "",
        "interactions/admin.py": "from workspace.desk import forms\n",  # admin is a screen: allowed
        "interactions/routing.py": "from workspace.desk.forms import SendForm\n",
    })  # fmt: skip
    assert [str(i) for i in layers.forbidden(layers.imports(root))] == [
        "interactions.routing imports workspace.desk.forms (line 1)"
    ]


def test_a_cycle_through_relative_imports_is_caught(tmp_path):
    root = _tree(tmp_path, {
        "social/ingest/__init__.py": "from .store import save\n",
        "social/ingest/store.py": "from . import threads\n",
        "social/ingest/threads.py": "def key():\n    from social.ingest import store\n",
        "social/polling.py": "from social import ingest\n",
    })  # fmt: skip
    assert layers.cycles(layers.imports(root)) == [["social.ingest.store", "social.ingest.threads"]]
