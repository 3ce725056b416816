"""Perch's dependency rule, read from the source: every import, also those inside functions, resolved to the module
it names. README's Architecture section draws the same layers.

    project   workspace (settings, urls, asgi, celery, health, middleware)      may import anything
    ui        workspace.desk, workspace.board, workspace.api, every admin/urls/  may import anything below
              views/forms/consumers module, management commands, the sandbox
    social    the X channel                                                      interactions, contacts, base
    interactions  conversations, routing, the outbox                             contacts, base
    contacts  the people customers are                                           base
    base      workspace.agents (agent models, audit, notices), workspace.infra   base only
              (pushes, events, tabs, logs, process plumbing)

and no module imports itself back, through any chain (no cycles at all).
"""

import ast
from dataclasses import dataclass
from pathlib import Path

PACKAGES = ("workspace", "contacts", "interactions", "social")
ORDER = ("base", "contacts", "interactions", "social", "ui", "project")
# What each layer may import besides itself.
ALLOWED = {
    "base": {"base"},
    "contacts": {"contacts", "base"},
    "interactions": {"interactions", "contacts", "base"},
    "social": {"social", "interactions", "contacts", "base"},
    "ui": set(ORDER),
    "project": set(ORDER),
}
UI_PACKAGES = ("workspace.desk", "workspace.board", "workspace.api", "social.sandbox")
UI_MODULE_NAMES = {"admin", "admin_audit", "admin_view_only", "views", "urls", "forms", "consumers", "management"}
BASE_PACKAGES = ("workspace.agents", "workspace.infra")


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int

    def __str__(self) -> str:
        return f"{self.importer} imports {self.imported} (line {self.line})"


def modules(root: Path) -> dict[str, Path]:
    """Every Perch module under root by dotted name; migrations are Django's history, not code that imports."""
    found = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if "migrations" in parts:
                continue
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def _resolve(name: str, known: dict[str, Path]) -> str | None:
    while name:
        if name in known:
            return name
        name = name.rpartition(".")[0]
    return None


def imports(root: Path) -> list[Import]:
    known = modules(root)
    found = []
    for module, path in known.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parent, base] if base else parent)
                # `from a import b` names module a.b when b is one, else a thing in a.
                names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
            else:
                continue
            for name in names:
                target = _resolve(name, known)
                if target and target != module:
                    found.append(Import(module, target, node.lineno))
    return found


def layer_of(module: str) -> str:
    parts = module.split(".")
    if module.startswith(UI_PACKAGES) or UI_MODULE_NAMES & set(parts) or "templatetags" in parts:
        return "ui"
    if module.startswith(BASE_PACKAGES):
        return "base"
    if parts[0] == "workspace":
        return "project"
    return parts[0]


def forbidden(found: list[Import]) -> list[Import]:
    return [i for i in found if layer_of(i.imported) not in ALLOWED[layer_of(i.importer)]]


def sandbox_leaks(found: list[Import]) -> list[Import]:
    """The sandbox stands in for X: only the project's URLs and the demo seed may reach for it."""
    allowed = ("social.sandbox", "workspace.urls", "workspace.desk.management.commands.seed_demo")
    return [i for i in found if i.imported.startswith("social.sandbox") and not i.importer.startswith(allowed)]


def cycles(found: list[Import]) -> list[list[str]]:
    """Strongly connected groups of modules (Tarjan), each a cycle of imports."""
    graph: dict[str, set[str]] = {}
    for i in found:
        graph.setdefault(i.importer, set()).add(i.imported)
        graph.setdefault(i.imported, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups
