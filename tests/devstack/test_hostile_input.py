"""Hostile profiles never crash or hang devstack: each is one clear problem and exit code 2.

Fixed examples (YAML bombs, recursion, numbers, dates, paths, non-finite numbers, NUL bytes, huge
values) and hypothesis-made ones go through the loader in-process and through the CLI
(`devstack validate -p FILE`, `devstack doctor -p FILE`). A timer per in-process case and a
timeout per subprocess are the guards against a hang: a hung case fails, nothing asserts on time.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
from helpers import REPO
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from devstack.profile import ProfileError, load_profile
from devstack.yamlfile import Problem, YamlDoc, parse_yaml

GOOD = (REPO / "profiles" / "local-kind.yaml").read_text()
CASE_SECONDS = 10  # the no-hang guard of one in-process case
CLI_SECONDS = 30  # the no-hang guard of one devstack process
LONGEST_LINE = 1000  # a problem line quotes values cut short, whatever the file holds


def laughs(levels: int = 7, width: int = 9) -> str:
    lines = ["name: &l0 [" + ", ".join(["lol"] * width) + "]"]
    lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]" for i in range(1, levels + 1)]
    return "\n".join(lines).replace("*l0", "*l0") + "\n"


def merges(levels: int = 30) -> str:
    lines = ["m0: &m0 {k0: 1}"]
    lines += [f"m{i}: &m{i} {{<<: [*m{i - 1}, *m{i - 1}], k{i}: 1}}" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def good_with(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new, 1)


CASES: dict[str, str] = {
    "alias-bomb": laughs().replace("name: &l0", "l0: &l0"),
    "alias-bomb-in-profile": GOOD + laughs().replace("name: &l0", "x0: &l0").replace("\nl", "\nx"),
    "merge-bomb": merges(),
    "deep-flow-600": "[" * 600 + "]" * 600,
    "deep-block-600": "- " * 600 + "x\n",
    "deep-mapping-600": "".join("  " * i + f"k{i}:\n" for i in range(600)),
    "recursive-anchor": "name: &a [*a]\n",
    "recursive-mapping": GOOD + "extra: &r {self: *r}\n",
    "recursive-merge": "&a {<<: *a}\n",
    "date-timeout": good_with("cluster: 300", "cluster: 2024-13-45"),
    "date-port": good_with("local_port: 3000", "local_port: 2024-13-45"),
    "int-4301-digits": good_with("local_port: 3000", "local_port: " + "9" * 4301),
    "int-hex-5000": good_with("local_port: 3000", "local_port: 0x" + "f" * 5000),
    "int-4000-digits-timeout": good_with("ready: 300", "ready: " + "9" * 4000),
    "kind-config-5000-chars": good_with("kind_config: kind/jetscale.yaml", "kind_config: " + "a" * 5000),
    "kind-config-nul": good_with("kind_config: kind/jetscale.yaml", 'kind_config: "kind/\\0x.yaml"'),
    "kind-config-bomb": good_with("kind_config: kind/jetscale.yaml", "kind_config: bomb.yaml"),
    "nan-timeout": good_with("deploy: 900", "deploy: .nan"),
    "inf-timeout": good_with("deploy: 900", "deploy: .inf"),
    "minus-inf-wait": good_with("local_port: 8000", "local_port: 8000\n    wait_ready: -.inf"),
    "1e999-timeout": good_with("ready: 300", "ready: 1e999"),
    "nul-in-value": good_with("name: local-kind", 'name: "local\\0kind"'),
    "escape-in-description": good_with("description: Inner", 'description: "\\e[2J\\e]0;pwned\\aInner'),
    "bidi-in-key": GOOD + '"safe\\u202ety": {}\n',
    "lone-surrogate": good_with("name: local-kind", 'name: "\\ud800"'),
    "raw-nul-byte": "name: a\x00b\n",
    "value-900k": good_with("name: local-kind", "name: [" + "x" * 900_000 + "]"),
    "value-2mb": good_with("name: local-kind", "name: " + "x" * 2_000_000),
    "key-500k": GOOD + "k" * 500_000 + ": 1\n",
    "bad-regex": good_with('body_pattern: \'"status"\\s*:\\s*"ok"\'', "body_pattern: '(('"),
    "deep-regex": good_with('body_pattern: \'"status"\\s*:\\s*"ok"\'', "body_pattern: '" + "(" * 3000 + "'"),
    "python-tag": "name: !!python/object/apply:os.system [echo pwned]\n",
    "undefined-alias": "name: *nothing\n",
    "two-documents": GOOD + "---\n" + GOOD,
    "not-utf8": "name: caf\udce9\n",
    "unhashable-key": "? [a, b]\n: 1\n",
    "null-key": GOOD + "~: 1\n",
    "int-key": GOOD + "7: 1\n",
    "binary-name": good_with("name: local-kind", "name: !!binary //79"),  # bytes ff fe: not UTF-8
    "set-forwards": good_with("forwards:", "forwards: !!set {a, b}\nx:"),
    "empty": "",
    "list": "- a\n",
}


@contextmanager
def no_hang(seconds: float) -> Iterator[None]:
    """Fail the case (instead of hanging the suite) if it runs past `seconds`."""

    def hung(_signum: int, _frame: object) -> None:
        raise TimeoutError(f"still running after {seconds}s: a hang")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def write_case(folder: Path, name: str, text: str) -> Path:
    """The case as profile file `name.yaml`, next to the files a profile may name."""
    (folder / "kind").mkdir(exist_ok=True)
    (folder / "kind" / "jetscale.yaml").write_text("kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\n")
    (folder / "bomb.yaml").write_text(laughs())
    path = folder / f"{name}.yaml"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    return path


def assert_clean_lines(lines: list[str], file: str) -> None:
    assert lines, "a problem must be reported"
    for line in lines:
        assert line.startswith(f"{file}:") or line.startswith(f"devstack: {file}"), line
        assert line.isprintable(), repr(line[:200])
        assert len(line) < LONGEST_LINE + len(file), line[:200]


def assert_profile_problems(path: Path) -> None:
    """Loading `path` is a ProfileError with clean lines, or (rarely, for fuzz) a valid profile."""
    try:
        with no_hang(CASE_SECONDS):
            load_profile(path)
    except ProfileError as err:
        assert_clean_lines(err.problems, str(path))


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_hostile_profile_is_one_clean_problem_in_process(tmp_path: Path, name: str) -> None:
    path = write_case(tmp_path, name, CASES[name])
    with pytest.raises(ProfileError) as caught, no_hang(CASE_SECONDS):
        load_profile(path)
    assert_clean_lines(caught.value.problems, str(path))
    assert "\x00" not in str(caught.value) and "x" * 200 not in str(caught.value)


def test_a_date_like_name_is_the_text_it_says() -> None:
    parsed = parse_yaml(good_with("name: local-kind", "name: 2024-13-45"), "p.yaml")
    assert isinstance(parsed, YamlDoc) and parsed.data["name"] == "2024-13-45"


def devstack(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "devstack", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=CLI_SECONDS,
    )


def assert_cli_exit_2(out: subprocess.CompletedProcess[str], path: Path) -> None:
    assert out.returncode == 2, (out.returncode, out.stderr[-2000:])
    assert "Traceback" not in out.stderr and "internal error" not in out.stderr, out.stderr[-2000:]
    assert len(out.stderr) < 20_000
    assert_clean_lines(out.stderr.splitlines(), path.name)


def test_every_fixed_case_through_the_cli_is_exit_2_without_a_traceback(tmp_path: Path) -> None:
    runs = []
    for index, name in enumerate(sorted(CASES)):
        path = write_case(tmp_path, name, CASES[name])
        command = "validate" if index % 2 == 0 else "doctor"
        runs.append((path, command))
    with ThreadPoolExecutor(max_workers=2) as pool:
        outs = list(pool.map(lambda run: devstack(tmp_path, run[1], "-p", run[0].name), runs))
    for (path, command), out in zip(runs, outs, strict=True):
        assert_cli_exit_2(out, path), command


# Fragments that YAML bombs, recursion and the crash list are made of, inserted into a good profile.
FRAGMENTS = st.sampled_from(
    [
        "&a", "*a", "<<: *a", "[*a, *a]", "{<<: [*a, *a]}", "[[[[[[[[", "]]]]", "- - - - -", "? ",
        "2024-13-45", "2024-02-30T25:61:00Z", "9" * 4400, "0x" + "f" * 4400, ".nan", ".inf", "-.inf",
        "1e999", "!!python/name:os.system", "!!binary", "!!set", "!!timestamp", "!!int", "!!float x", "!!bool", "!!omap",
        "~", "null", "\\0", '"\\0\\e\\u202e"', '"\\ud800"', "\t", "\x85", "\u2028", "%TAG", "---",
        "...", "a" * 5000, ":", ": ", "#", "|", ">-", "'", '"', "{", "}", "[", "]", ",", "&b *b",
    ]
)  # fmt: skip


@st.composite
def mutated_profiles(draw: st.DrawFn) -> str:
    lines = GOOD.splitlines()
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.integers(0, len(lines) - 1))
        column = draw(st.integers(0, len(lines[where])))
        line = lines[where]
        lines[where] = line[:column] + draw(FRAGMENTS) + " " + line[column:]
    return "\n".join(lines) + "\n"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=mutated_profiles() | st.text(max_size=300))
@example(text=CASES["alias-bomb-in-profile"])
@example(text=CASES["merge-bomb"])
@example(text=CASES["recursive-mapping"])
@example(text=CASES["int-hex-5000"])
def test_fuzzed_profiles_in_process_are_problems_never_crashes(tmp_path: Path, text: str) -> None:
    assert_profile_problems(write_case(tmp_path, "fuzz", text))
    with no_hang(CASE_SECONDS):
        parsed = parse_yaml(text, "fuzz.yaml")
    if isinstance(parsed, Problem):
        assert str(parsed).isprintable()


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=mutated_profiles())
def test_fuzzed_profiles_through_the_cli_are_exit_2(tmp_path: Path, text: str) -> None:
    path = write_case(tmp_path, "fuzz", text)
    try:
        load_profile(path)
    except ProfileError:
        assert_cli_exit_2(devstack(tmp_path, "validate", "-p", path.name), path)


def test_validate_outside_a_stack_and_json_failures_are_exit_2_with_one_document(tmp_path: Path) -> None:
    good = write_case(tmp_path, "good", GOOD)
    outside = devstack(tmp_path, "validate", "-p", good.name)
    assert outside.returncode == 2 and "Traceback" not in outside.stderr
    assert outside.stderr.startswith("devstack: no stack found for good.yaml"), outside.stderr
    bad = write_case(tmp_path, "bad", CASES["recursive-anchor"])
    for args in (("validate", "--json", "-p", good.name), ("validate", "--json", "-p", bad.name)):
        out = devstack(tmp_path, *args)
        document = json.loads(out.stdout)
        assert out.returncode == 2 and document["ok"] is False and document["exit_code"] == 2
        assert document["problems"] and "Traceback" not in out.stderr
    assert "recursive structure" in document["problems"][0]


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("a" * 5000, "no profile named"),
        ("a" * 5000 + ".yaml", "profile file not found"),
        ("x/" + "b" * 300 + "/c.yaml", "profile file not found"),
    ],
    ids=["long-name", "long-file", "long-folder"],
)
def test_an_impossible_profile_name_is_exit_2(spec: str, says: str) -> None:
    out = devstack(REPO, "status", "-p", spec)
    assert out.returncode == 2 and "Traceback" not in out.stderr and "internal error" not in out.stderr
    assert out.stderr.startswith(f"devstack: {says}") and len(out.stderr) < 500, out.stderr[:300]
