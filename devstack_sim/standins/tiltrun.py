"""`tilt up`, `tilt ci` and `tilt down` of the stand-in (TILT.md §1–3).

`up`/`ci`: bind the web port first (busy → the `Tilt cannot start ...` error, exit 1), start the API
server and register `tilt-<port>` in the config file, print the start lines, run the engine. `up`
runs until a signal (exit 0; the entry is removed); `ci` ends with `SUCCESS. All workloads are
healthy.` (exit 0) or `Error: <session error>` (exit 1), and a signal gives `Error: context
canceled` (exit 1). `down` loads the Tiltfile again and deletes its objects in reverse order.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
from pathlib import Path

from devstack_sim.standins import apply, godur, tiltconfig, tiltdeploy, tiltfile, tiltserver, tiltversion
from devstack_sim.standins.flags import Parsed
from devstack_sim.standins.home import StandinError, sim_home
from devstack_sim.standins.tiltengine import Engine, Options
from devstack_sim.standins.tiltlog import Exit, TiltLog
from devstack_sim.standins.tiltstate import EngineState

ANALYTICS_ENV = ("TILT_DISABLE_ANALYTICS", "DO_NOT_TRACK", "CI")


def fail(message: str) -> Exit:
    """`Error: MSG` on stderr; the Exit(1) to raise."""
    TiltLog.error(message)
    return Exit(1)


def cluster_of(parsed: Parsed) -> tiltdeploy.Cluster:
    """The kube context (`--context`, else the current one), its namespace and kind cluster name.

    Raises:
        Exit: no kubeconfig or no such context.
    """
    from kubernetes import config

    try:
        contexts, active = config.list_kube_config_contexts()
    except (config.ConfigException, OSError) as err:
        raise fail(f"Loading Kubernetes current context: {err}") from None
    name = parsed.text("context") or str((active or {}).get("name") or "")
    entry = next((c for c in contexts or [] if c.get("name") == name), None)
    if entry is None:
        # clientcmd's wording for a context missing from the kubeconfig
        raise fail(f"Loading Kubernetes current context: context was not found for specified context: {name}")
    details = entry.get("context") or {}
    namespace = parsed.text("namespace") or str(details.get("namespace") or "default")
    kind = ""
    cluster = str(details.get("cluster") or "")
    if name.startswith("kind-") or name == "kind":
        kind = (cluster or name).removeprefix("kind-") or "kind"
    return tiltdeploy.Cluster(name, None, namespace, kind)


def _web_socket(host: str, port: int) -> socket.socket:
    """`ProvideWebListener`: listen on host:port.

    Raises:
        Exit: the port is busy (Tilt's three-line explanation + the net error).
    """
    address = "127.0.0.1" if host in ("localhost", "") else host
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((address, port))
        listener.listen(64)
    except OSError as err:
        listener.close()
        if "in use" in str(err):
            raise _port_busy(address, port) from None
        raise fail(f"listen tcp {address}:{port}: bind: {(err.strerror or str(err)).lower()}") from None
    return listener


def _port_busy(address: str, port: int) -> Exit:
    return fail(
        f"Tilt cannot start because you already have another process on port {port}\n"
        "If you want to run multiple Tilt instances simultaneously,\n"
        "use the --port flag or TILT_PORT env variable to set a custom port\n"
        f"Original error: listen tcp {address}:{port}: bind: address already in use"
    )


def _start_lines(host: str, port: int, requested: int) -> list[str]:
    if requested == 0:
        status = "(without browser UI)"
    elif host == "0.0.0.0":
        status = f"on http://127.0.0.1:{port}/ (listening on 0.0.0.0)"
    else:
        status = f"on http://{host}:{port}/"
    return [f"Tilt started {status}", tiltversion.stamp()]


def up(command: str, parsed: Parsed, stop: threading.Event) -> int:
    """`tilt up` / `tilt ci`; returns the exit code."""
    mode = parsed.text("update-mode", "auto")
    if mode not in ("auto", "image", "container", "exec"):
        raise fail(f'unknown update mode "{mode}". Valid Values: [auto image container exec]')
    try:
        requested = int(parsed.text("port", str(tiltconfig.DEFAULT_WEB_PORT)))
        timeout = godur.parse(parsed.text("timeout", "30m")) if command == "ci" else 0.0
    except ValueError as err:
        raise fail(str(err)) from None
    host = parsed.text("host", "localhost")
    log = TiltLog()
    try:
        listener = _web_socket(host, requested)
    except Exit:
        for line in _start_lines(host, requested, requested):
            log.raw(line)
        raise
    port = int(listener.getsockname()[1])
    try:
        home = sim_home()
    except StandinError as err:
        listener.close()
        raise fail(str(err)) from None
    cluster = cluster_of(parsed)
    path = Path(parsed.text("file", "Tiltfile")).expanduser().resolve()
    ci_spec = (
        {"timeout": godur.format_duration(timeout), "readinessTimeout": "5m0s"} if command == "ci" else {}
    )
    state = EngineState(str(path), "ci" if command == "ci" else "manual", ci_spec)
    options = Options(path, list(parsed.args), command, host, cluster, home, timeout)
    engine = Engine(options, state, log, stop)
    hooks = tiltserver.Hooks(
        state, engine.trigger, engine.set_args, lambda: list(engine.o.args), engine.set_disabled
    )
    servers = tiltserver.Servers(listener, hooks)
    name = tiltconfig.api_server_name(requested if requested else 0)
    tiltconfig.add_entry(name, f"https://127.0.0.1:{servers.api_port}", servers.certs.ca_cert, servers.token)
    for line in _start_lines(host, port, requested):
        log.raw(line)
    for key in ANALYTICS_ENV:
        if os.environ.get(key):
            log.raw(f"Tilt analytics disabled: Environment variable {key}={os.environ[key]}")
            break
    _run_engine(engine, stop)
    try:
        _snapshot(parsed.text("output-snapshot-on-exit"), state)
    finally:
        engine.close()
        servers.close()
        tiltconfig.remove_entry(name)
    if engine.fatal:
        raise fail(engine.fatal)
    if command == "up":
        return 0
    if state.done and not state.error:
        log.raw("SUCCESS. All workloads are healthy.")
        return 0
    raise fail(state.error or "context canceled")


def _run_engine(engine: Engine, stop: threading.Event) -> None:
    """Run the engine until a signal (or, for ci, the end of the session)."""
    worker = threading.Thread(target=engine.run, name="tilt-engine", daemon=True)
    worker.start()
    while not stop.is_set() and not engine.finished.is_set():
        stop.wait(0.1)
    stop.set()
    engine.finished.wait(1.5)


def _snapshot(path: str, state: EngineState) -> None:
    if not path:
        return
    view = {"uiSession": state.session(), "uiResources": state.ui_resources()}
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    Path(path).write_text(json.dumps({"view": view, "createdAt": created}, indent=2) + "\n", encoding="utf-8")


def down(parsed: Parsed) -> int:
    """`tilt down`: delete what the Tiltfile declares (namespaces only with --delete-namespaces)."""
    from kubernetes.client import ApiException

    log = TiltLog()
    cluster = cluster_of(parsed)
    path = Path(parsed.text("file", "Tiltfile")).expanduser().resolve()
    started = time.time()
    try:
        loaded = tiltfile.load(path, list(parsed.args), cluster.context, "down")
    except tiltfile.TiltfileError as err:
        log.raw(f"Loading Tiltfile at: {path}")
        raise fail(str(err)) from None
    for line in loaded.logs:
        log.raw(line)
    log.raw(f"Successfully loaded Tiltfile ({godur.format_duration(time.time() - started)})")
    objects = []
    for resource in reversed(loaded.assembled.resources):
        if resource.name not in loaded.assembled.disabled:
            objects += list(reversed(resource.objects))
    keep = [
        o
        for o in objects
        if ((o.get("metadata") or {}).get("annotations") or {}).get("tilt.dev/down-policy") == "keep"
    ]
    namespaces = [o for o in objects if o.get("kind") == "Namespace"]
    doomed = [
        o for o in objects if o not in keep and (o not in namespaces or parsed.flag("delete-namespaces"))
    ]
    kube = apply.Kube(None, cluster.context)
    errors = []
    try:
        if doomed:
            log.raw("Deleting kubernetes objects:")
        for obj in doomed:
            ref = apply.ref_of(obj, cluster.namespace, kube)
            log.raw(f"→ {ref.kind}/{ref.name}")
            try:
                kube.delete(ref)
            except ApiException as err:
                errors.append(f"{ref.kind}/{ref.name}: {err.reason}")
    finally:
        kube.close()
    if namespaces and not parsed.flag("delete-namespaces"):
        names = ", ".join(str(o["metadata"]["name"]) for o in namespaces)
        log.raw(f"Not deleting namespaces: {names}")
        log.raw("Run with --delete-namespaces to delete namespaces as well.")
    if errors:
        raise fail("Deleting k8s entities: " + "; ".join(errors))
    return 0


def print_err(text: str) -> None:
    """A line on stderr."""
    print(text, file=sys.stderr, flush=True)
