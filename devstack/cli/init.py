"""`devstack init`: write `profiles/local-kind.yaml` and `profiles/ci-kind.yaml` for a stack that has
a skaffold.yaml but no profiles, from what its files say, explaining each choice; then validate.

Nothing is overwritten without `--force`: an existing profile is left as it is, and said so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import yaml

from devstack.cli.options import Options
from devstack.errors import DevstackError
from devstack.exitcodes import OK, USAGE

PROFILES = ("local-kind", "ci-kind")
LOCAL_WORDS = ("local", "dev")
CI_WORDS = ("ci",)
FIRST_FREE_PORT = 1024


def run(options: Options, force: bool) -> int:
    """Write the two profiles (or leave existing ones), explain each choice, validate the stack.

    Returns:
        0 when `devstack validate` passes on the result, 2 when it finds problems.

    Raises:
        DevstackError: no skaffold.yaml here, or it does not say enough (exit 2); no helm (exit 3).
    """
    from devstack.profile.namespace import as_label_part
    from devstack.validation.stackfacts import StackFactsError, read_stack

    root = Path.cwd()
    if not (root / "skaffold.yaml").is_file():
        tilt = " (a Tiltfile-only stack: write profiles/NAME.yaml with `deploy.tool: tilt` by hand)"
        raise DevstackError(
            f"no skaffold.yaml in {root}" + (tilt if (root / "Tiltfile").is_file() else ""),
            fix="run devstack init at the root of your stack's repository, next to skaffold.yaml",
            exit_code=USAGE,
        )
    try:
        facts = read_stack(root)
    except StackFactsError as err:
        raise DevstackError(str(err), exit_code=USAGE) from None
    if not facts.skaffold_profiles:
        raise DevstackError(
            "skaffold.yaml defines no profiles: devstack runs skaffold with -p PROFILE",
            fix="add one to skaffold.yaml (e.g. `profiles: [{name: local}]`), then run devstack init again",
            exit_code=USAGE,
        )
    cluster = as_label_part(facts.name) or "devstack"
    say = click.echo
    say(f"devstack init: {root}")
    named = "skaffold.yaml's metadata.name or release"
    say(f"  cluster: kind cluster {cluster} ({named}), context kind-{cluster}")
    say(f"  namespace: {facts.namespace} (where skaffold.yaml's helm release {facts.release} goes)")
    forwards, notes = _forwards(facts)
    for note in notes:
        say(f"  {note}")
    written = 0
    for name in PROFILES:
        skaffold_profile, why = _skaffold_profile(
            facts.skaffold_profiles, CI_WORDS if name == "ci-kind" else LOCAL_WORDS
        )
        mode = "run" if name == "ci-kind" else "dev"
        say(f"  {name}: skaffold profile {skaffold_profile} ({why}), mode {mode}")
        profile = _profile(name, facts, cluster, skaffold_profile, forwards)
        path = root / "profiles" / f"{name}.yaml"
        if path.exists() and not force:
            say(f"profiles/{name}.yaml exists: left as it is (--force replaces it)")
            continue
        path.parent.mkdir(exist_ok=True)
        header = (
            f"# Written by `devstack init` from skaffold.yaml and the chart {facts.chart}; edit freely.\n"
        )
        path.write_text(header + yaml.safe_dump(profile, sort_keys=False), encoding="utf-8")
        say(f"wrote profiles/{name}.yaml")
        written += 1
    if not written:
        say("nothing changed")
    return _validate(root)


def _skaffold_profile(names: tuple[str, ...], words: tuple[str, ...]) -> tuple[str, str]:
    for name in names:
        if any(word in name.lower() for word in words):
            return name, f"its name says {'/'.join(words)}"
    return names[0], f"no profile named for {'/'.join(words)}: the first one"


def _local_port(port: int) -> int:
    return port if port >= FIRST_FREE_PORT else port + 8000


def _forwards(facts: Any) -> tuple[list[dict[str, Any]], list[str]]:
    """The forwards (frontend and backend when found, else one per Service) and why."""
    notes = []
    if facts.frontend is not None and facts.backend is not None:
        pairs = [("frontend", facts.frontend), ("backend", facts.backend)]
        notes.append(
            f"frontend: Service {facts.frontend.name} (it selects Deployment {facts.frontend_deployment}, "
            f"which sets VITE_API_BASE_URL={facts.api_base_url})"
        )
        notes.append(f"backend: Service {facts.backend.name} (what VITE_API_BASE_URL reaches)")
    else:
        pairs = [(service.name, service) for service in facts.services if service.ports]
        notes.append("no Deployment sets VITE_API_BASE_URL: one forward per Service, no API URL check")
    chosen = {"frontend": facts.frontend_local_port, "backend": facts.backend_local_port}
    why = {
        "frontend": "the localhost origin the backend's env allows",
        "backend": "the port VITE_API_BASE_URL names",
    }
    forwards = []
    for name, service in pairs:
        port = service.ports[0]
        local = chosen.get(name) or _local_port(port)
        reason = why[name] if chosen.get(name) else "the Service's own port"
        forwards.append({"name": name, "service": service.name, "remote_port": port, "local_port": local})
        notes.append(f"forward {name}: localhost:{local} → {service.name}:{port} ({reason})")
    return forwards, notes


def _profile(
    name: str, facts: Any, cluster: str, skaffold_profile: str, forwards: list[dict[str, Any]]
) -> dict[str, Any]:
    ci = name == "ci-kind"
    named = {f["name"] for f in forwards}
    checks: dict[str, Any] = {}
    if "frontend" in named:
        checks["http"] = [{"name": "frontend page", "forward": "frontend", "path": "/", "expect_status": 200}]
        checks["api_base_url"] = {
            "enabled": True,
            "frontend_forward": "frontend",
            "deployment": facts.frontend_deployment,
        }
    else:
        checks["api_base_url"] = {"enabled": False}
    return {
        "name": name,
        "description": "CI on a fresh kind cluster (skaffold run)."
        if ci
        else "Inner dev loop on kind (skaffold dev).",
        "cluster": {"provider": "kind", "name": cluster},
        "deploy": {
            "tool": "skaffold",
            "skaffold_profile": skaffold_profile,
            "mode": "run" if ci else "dev",
            "namespace": facts.namespace,
        },
        "forwards": forwards,
        "checks": checks,
        "safety": {"allowed_contexts": [f"kind-{cluster}"]},
    }


def _validate(root: Path) -> int:
    from devstack.validation import checked_files, validate_stack

    problems = validate_stack(root, [])
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(f"devstack validate: {len(problems)} problem(s): fix them, or edit the profiles")
        return USAGE
    click.echo(f"devstack validate: ok, {len(checked_files(root, []))} files validated")
    return OK
