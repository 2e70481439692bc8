"""The house's dependency rules, read from the source's import statements:
gomoku imports nothing of the project; mcts imports only gomoku; net only gomoku; the pipeline's
library never imports a command; commands import no other command (only their shared module)."""
import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("gomoku", "mcts", "net", "pipeline")
COMMANDS = "pipeline.commands"
SHARED = "pipeline.commands.common"
DISPATCHER = "pipeline.cli"  # the entry point: it alone looks commands up by name


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Project modules imported anywhere in ``path`` (top-level or inside functions)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {m for m in found if m.split(".")[0] in PACKAGES}


MODULES = {module_name(p): imports_of(p) for package in PACKAGES
           for p in (REPO / package).rglob("*.py")}


def existing(imports: set[str]) -> set[str]:
    """Imported names that are modules (``from x import Name`` also lists ``x.Name``)."""
    return {m for m in imports if m in MODULES}


def test_the_rules_see_every_module():
    assert {"gomoku.board", "mcts.tree", "net.policy_value_net", "pipeline.training_run",
            "pipeline.commands.train", SHARED, DISPATCHER} <= set(MODULES)


@pytest.mark.parametrize("package,allowed", [("gomoku", {"gomoku"}), ("mcts", {"gomoku", "mcts"}),
                                             ("net", {"gomoku", "net"})])
def test_lower_layers_import_only_what_is_below_them(package, allowed):
    for name, imports in MODULES.items():
        if name.split(".")[0] == package:
            outside = {m for m in imports if m.split(".")[0] not in allowed}
            assert not outside, f"{name} imports {sorted(outside)}"


def test_the_library_never_imports_a_command():
    for name, imports in MODULES.items():
        if name.startswith("pipeline") and not name.startswith(COMMANDS) and name != DISPATCHER:
            commands = {m for m in existing(imports) if m.startswith(COMMANDS)}
            assert not commands, f"{name} imports {sorted(commands)}"


def test_commands_import_no_other_command():
    for name, imports in MODULES.items():
        if name.startswith(COMMANDS + ".") and name != SHARED:
            others = {m for m in existing(imports)
                      if m.startswith(COMMANDS + ".") and m not in (SHARED, name)}
            assert not others, f"{name} imports {sorted(others)}"
