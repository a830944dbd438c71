"""One clock: only survey/clock.py reads the wall clock; every other module takes `now` (or asks clock.py).

A module that read the clock itself made a test fail once the calendar passed the date it pinned
(followups.assign stamped its webhook with the wall clock), and `changes.public_version` read the server's
local date instead of the organisation's."""
import ast
from pathlib import Path

import analysis
import survey

# Calls that read business time. time.monotonic and time.perf_counter measure durations and stay allowed.
CLOCK_READS = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today"),
               ("time", "time"), ("time", "time_ns"), ("time", "localtime"), ("time", "gmtime")}


def clock_reads(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", None)
            if (name, node.func.attr) in CLOCK_READS:
                found.append(f"{path}:{node.lineno} {name}.{node.func.attr}()")
    return found


def test_only_the_clock_module_reads_the_clock():
    modules = [*Path(survey.__file__).parent.rglob("*.py"), *Path(analysis.__file__).parent.rglob("*.py")]
    reads = [read for path in modules if path.name != "clock.py" or path.parent.name != "survey"
             for read in clock_reads(path)]
    assert reads == []


def test_the_scan_finds_each_kind_of_read(tmp_path):
    """The scan itself can fail: each spelling of a clock read is found."""
    sample = tmp_path / "sample.py"
    sample.write_text("import datetime, time\nfrom datetime import date\n"
                      "a = datetime.datetime.now()\nb = datetime.datetime.utcnow()\nc = date.today()\n"
                      "d = time.time()\ne = time.monotonic()\n")
    assert [read.split(" ")[1] for read in clock_reads(sample)] == [
        "datetime.now()", "datetime.utcnow()", "date.today()", "time.time()"]
