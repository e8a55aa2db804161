"""`devstack doctor`: check the machine before anything else runs."""

from __future__ import annotations

import click

from devstack.cli.common import colour, echo_lines, load_profile, tools_for
from devstack.cli.options import Options
from devstack.core.events import SessionStarted
from devstack.core.model import CheckStatus, DoctorCheck
from devstack.core.store import Store
from devstack.errors import DevstackError
from devstack.exitcodes import MISSING_PREREQUISITE, OK, UNHEALTHY
from devstack.profile import LoadedProfile, Profile
from devstack.sources.doctor import doctor_plan, run_doctor
from devstack.views import jsonview, text


def run(options: Options, as_json: bool) -> int:
    """Run every check; exit 3 if a required tool is missing, 1 on other failures."""
    loaded, note = _profile_or_defaults(options.profile, options.settings.user)
    profile = loaded.profile if loaded is not None else None
    skaffold_file = loaded.root / loaded.profile.deploy.skaffold_file if loaded is not None else None
    tools, state_dir = tools_for(loaded, options.settings)
    store = Store()
    store.dispatch(SessionStarted("doctor", profile.name if profile else "", _context(profile)))
    if note is not None:
        from devstack.core.events import DoctorChecked

        store.dispatch(DoctorChecked(note))
    run_doctor(doctor_plan(profile, tools, skaffold_file, state_dir=state_dir), store.dispatch)
    state = store.state
    if as_json:
        click.echo(jsonview.dumps(jsonview.doctor_document(state)))
    else:
        echo_lines(text.doctor_lines(state.doctor, colour(options)))
        click.echo(text.doctor_summary(state))
    if state.missing_prerequisites:
        return MISSING_PREREQUISITE
    return UNHEALTHY if state.doctor_failures else OK


def _context(profile: Profile | None) -> str:
    return profile.context if profile else "kind-jetscale"


def _profile_or_defaults(spec: str | None, user: str = "") -> tuple[LoadedProfile | None, DoctorCheck | None]:
    """The profile; outside a stack (and without -p) devstack's defaults, with a warning."""
    try:
        return load_profile(spec, user), None
    except DevstackError as err:
        if spec is not None or "no stack found" not in err.message:
            raise
        note = DoctorCheck(
            "profile",
            CheckStatus.WARN,
            "no stack here (no profiles/ and skaffold.yaml upwards): checked devstack's defaults",
            fix="run inside your stack's repository, or pass -p PATH",
        )
        return None, note
