"""Typed events: the only way anything changes the state.

Sources (kube watches, subprocesses, forwards, checks) create these; the store hands them to the
reducer in order. Events carry the time they happened (`at`, seconds since the epoch) because the
reducer must not read clocks.
"""

from __future__ import annotations

from dataclasses import dataclass

from devstack.core.checks import CheckResult
from devstack.core.model import DoctorCheck
from devstack.core.pipeline import RunPlan
from devstack.core.portforward import ForwardView
from devstack.core.resources import AnyInfo
from devstack.core.tilt import TiltResource, TiltSession


@dataclass(frozen=True)
class Event:
    """Base class of every event."""


@dataclass(frozen=True)
class SessionStarted(Event):
    """A command began; names the profile, the kube context it targets and what it sets up."""

    command: str
    profile: str
    context: str
    steps: tuple[str, ...] = ()
    plan: RunPlan | None = None


# ----------------------------------------------------------------------------- pipeline steps
@dataclass(frozen=True)
class StepStarted(Event):
    """A pipeline step began."""

    step: str
    at: float


@dataclass(frozen=True)
class StepProgress(Event):
    """A step reports what it is doing now (one line)."""

    step: str
    message: str
    at: float


@dataclass(frozen=True)
class StepFinished(Event):
    """A step succeeded."""

    step: str
    at: float
    detail: str = ""


@dataclass(frozen=True)
class StepSkipped(Event):
    """A step did not run, and why."""

    step: str
    reason: str
    at: float


@dataclass(frozen=True)
class StepFailed(Event):
    """A step failed: what went wrong and the command or action that fixes it."""

    step: str
    error: str
    at: float
    fix: str = ""


# ----------------------------------------------------------------------------- doctor
@dataclass(frozen=True)
class DoctorChecked(Event):
    """One machine check finished."""

    check: DoctorCheck


# ----------------------------------------------------------------------------- kubernetes
@dataclass(frozen=True)
class KubeSynced(Event):
    """A full (re)list of one kind: replaces everything known of that kind."""

    kind: str  # pods | deployments | services | endpointslices | events (any browsable kind in a scope)
    items: tuple[AnyInfo, ...]
    resource_version: str = ""
    scope: str = ""
    """"" for the namespace devstack watches; `Browse.scope` for the kind browser's watch."""


@dataclass(frozen=True)
class KubeChanged(Event):
    """One watch event: an object of `kind` was ADDED, MODIFIED or DELETED."""

    kind: str
    change: str
    item: AnyInfo
    scope: str = ""
    """As `KubeSynced.scope`."""

    def __init__(self, kind: str, change: str, item: AnyInfo, scope: str = "") -> None:
        # One per watch line (thousands a second): the frozen dataclass's generated __init__ sets
        # each field through object.__setattr__, 2.5x slower than filling the instance dict.
        fields = self.__dict__
        fields["kind"] = kind
        fields["change"] = change
        fields["item"] = item
        fields["scope"] = scope


@dataclass(frozen=True)
class KubeBatch(Event):
    """Several watch events applied at once (sources coalesce bursts)."""

    changes: tuple[KubeChanged, ...]


@dataclass(frozen=True)
class BrowseStarted(Event):
    """The kind browser now shows `kind` in `namespace` (its watch follows with scoped events)."""

    kind: str
    namespace: str


@dataclass(frozen=True)
class BrowseStopped(Event):
    """The kind browser closed: what it listed is dropped."""


@dataclass(frozen=True)
class ApiStatus(Event):
    """The API server became reachable or unreachable."""

    reachable: bool
    at: float
    error: str = ""
    server_version: str = ""


@dataclass(frozen=True)
class PodLogsFetched(Event):
    """The last lines of a container's log (fetched on demand, e.g. for a crashed container)."""

    pod: str  # namespace/name
    container: str
    previous: bool
    lines: tuple[str, ...]


# ----------------------------------------------------------------------------- deploy tool
@dataclass(frozen=True)
class DeployStarted(Event):
    """The deploy tool (skaffold run/dev, tilt) was started with this command line."""

    tool: str
    command: tuple[str, ...]
    mode: str
    at: float
    channel: str = ""
    """How it is followed: "" or `log` (its output), `pending` (its event API is being tried)."""


@dataclass(frozen=True)
class DeployOutput(Event):
    """One output line of the deploy tool (the reducer parses it into progress)."""

    line: str
    at: float


@dataclass(frozen=True)
class DeployExited(Event):
    """The deploy tool exited (`requested`: because devstack stopped it: down, quit, switch)."""

    code: int
    at: float
    requested: bool = False


@dataclass(frozen=True)
class StackRemoved(Event):
    """`down` removed what `up` deployed: deploy, readiness, forwards and checks no longer hold."""

    at: float
    detail: str = ""


# ----------------------------------------------------------------------------- forwards and checks
@dataclass(frozen=True)
class ForwardChanged(Event):
    """A forward's state or counters changed (sources coalesce counter updates)."""

    forward: ForwardView


@dataclass(frozen=True)
class ForwardsClosed(Event):
    """devstack closed these forwards (down, quit, re-open): their ports serve nothing now."""

    names: tuple[str, ...]
    at: float


@dataclass(frozen=True)
class ChecksStarted(Event):
    """A round of checks began (previous results are kept until replaced)."""

    names: tuple[str, ...]
    at: float


@dataclass(frozen=True)
class CheckReported(Event):
    """One check finished."""

    result: CheckResult
    at: float


# ----------------------------------------------------------------------------- the dev loop (any tool)
@dataclass(frozen=True)
class DeployChannel(Event):
    """How devstack follows the deploy tool: `events` (its event API) or `log` (its output text)."""

    channel: str
    detail: str
    at: float


@dataclass(frozen=True)
class LoopIterationStarted(Event):
    """The deploy tool began an iteration (`first`: the first deploy of this run)."""

    tool_iteration: int
    first: bool
    at: float


@dataclass(frozen=True)
class LoopTriggered(Event):
    """What the current iteration is about: the changed files (relative to the stack) and when the
    change was saved, the files per artifact, and the artifacts with sync rules (None: unknown)."""

    files: tuple[str, ...]
    saved_at: float | None
    changed: tuple[tuple[str, tuple[str, ...]], ...] = ()
    sync_rules: tuple[str, ...] | None = None


@dataclass(frozen=True)
class LoopPhase(Event):
    """A phase of the current iteration began or ended (`core/timeline.py` names the phases)."""

    phase: str
    at: float
    subject: str = ""
    ended: bool = False
    ok: bool = True
    detail: str = ""


@dataclass(frozen=True)
class LoopIterationEnded(Event):
    """The current iteration ended: ok (the browser sees it) or failed, and why."""

    ok: bool
    at: float
    error: str = ""


# ----------------------------------------------------------------------------- Tilt
@dataclass(frozen=True)
class TiltPolled(Event):
    """One read of Tilt's API objects (`tilt get uiresources` and `session Tiltfile`).

    `images` are (image, `Tiltfile:N`) of the Tiltfile's `docker_build` calls, for explanations.
    """

    resources: tuple[TiltResource, ...]
    session: TiltSession | None
    at: float
    web_port: int | None = None
    images: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class TiltStarted(Event):
    """devstack started Tilt on this web port; `images` are the Tiltfile's `docker_build`s (image,
    `Tiltfile:N`), known before any read of Tilt's state."""

    web_port: int
    images: tuple[tuple[str, str], ...]
    at: float


@dataclass(frozen=True)
class TiltUnreachable(Event):
    """Tilt's API did not answer a read (not started yet, or gone): why, in one line."""

    detail: str
    at: float


# ----------------------------------------------------------------------------- Skaffold's event API v2
@dataclass(frozen=True)
class SkaffoldTask(Event):
    """`taskEvent`: DevLoop, Build, Deploy, StatusCheck, ... InProgress / Succeeded / Failed."""

    task: str
    iteration: int
    status: str
    at: float
    description: str = ""
    error: str = ""
    code: str = ""


@dataclass(frozen=True)
class SkaffoldBuildStep(Event):
    """`buildSubtaskEvent`: one artifact's `Cache` check (Succeeded: hit, Failed: miss) or `Build`."""

    artifact: str
    step: str
    status: str
    at: float
    error: str = ""


@dataclass(frozen=True)
class SkaffoldDeployStep(Event):
    """`deploySubtaskEvent`: one deployer's progress."""

    id: str
    status: str
    at: float
    error: str = ""


@dataclass(frozen=True)
class SkaffoldStatusCheck(Event):
    """`statusCheckSubtaskEvent`: one resource (`deployment/x`, `ns:deployment/x`) of the status check."""

    resource: str
    status: str
    at: float
    message: str = ""
    code: str = ""


@dataclass(frozen=True)
class SkaffoldFileSync(Event):
    """`fileSyncEvent`: files copied into an image's running containers."""

    image: str
    file_count: int
    status: str
    at: float
    error: str = ""


@dataclass(frozen=True)
class SkaffoldTerminated(Event):
    """`terminationEvent`: the session ended (Completed or Failed)."""

    status: str
    at: float
    error: str = ""
