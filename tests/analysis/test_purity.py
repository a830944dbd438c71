"""analysis/ is pure statistics: importing it must not pull in Flask or SQLAlchemy, nor scipy until a
statistic needs it."""
import pkgutil
import subprocess
import sys
from pathlib import Path

import analysis

ROOT = Path(__file__).resolve().parents[2]


def _module_names():
    return sorted(f"analysis.{info.name}" for info in pkgutil.iter_modules(analysis.__path__))


def test_the_purity_check_imports_every_module_of_the_package():
    """The check below is only as good as its list: every .py file of analysis/ must be on it."""
    on_disk = {f"analysis.{path.stem}" for path in (ROOT / "analysis").glob("*.py") if path.stem != "__init__"}
    assert set(_module_names()) == on_disk and len(on_disk) > 10


def test_importing_analysis_loads_no_web_or_database_framework():
    modules = ["analysis", *_module_names()]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "frameworks = {'flask', 'sqlalchemy', 'flask_sqlalchemy'}\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in frameworks)\n"
        "assert not bad, bad\n"
        "print('ok')\n"
    )
    assert fresh_interpreter(code).strip() == "ok"


def test_scipy_is_imported_by_the_first_statistic_not_by_the_package():
    modules = ["analysis", *_module_names()]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'scipy', 'numpy'}))\n"
        "sys.modules['analysis'].wilson(3, 10)\n"  # the standard library's normal distribution
        "print('scipy' in sys.modules)\n"
        "sys.modules['analysis'].bounded_mean({1: 3, 4: 30, 5: 40}, 1, 5)\n"  # a t quantile: scipy.special
        "print('scipy' in sys.modules)\n"
    )
    assert fresh_interpreter(code).split() == ["[]", "False", "True"]


def fresh_interpreter(code: str) -> str:
    """What `code` prints in a new Python process (this one has imported everything already)."""
    completed = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    return completed.stdout
