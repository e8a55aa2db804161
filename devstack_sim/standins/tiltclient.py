"""The tilt stand-in's client commands (TILT.md §4, §8): `get`, `describe`, `wait`, `args`, `trigger`,
`enable`, `disable`, talking to the running `tilt up`/`ci` registered for `--port`/`TILT_PORT` in
the config file (`tiltconfig.py`), like the real kubectl-derived client.

No registered Tilt: `Error: No tilt apiserver found: tilt-default` (exit 1). Errors otherwise use
kubectl's wording (`Error from server (NotFound): ...`, `error: timed out waiting for the condition
on uiresources/x`) and exit 1. Output: `-o json` (4-space indent, sorted keys; a `List` for a type
or several names, the bare object for one name), `-o yaml`, `-o name`, the default table;
`-w/--watch` prints each change (polled every 0.5 s) until the Tilt goes away.
"""

from __future__ import annotations

import http.client
import json
import ssl
import sys
import time
from typing import Any
from urllib.parse import quote, urlparse

from devstack_sim.standins import godur, tiltconfig
from devstack_sim.standins.flags import Parsed

COMMANDS = ("get", "describe", "wait", "args", "trigger", "enable", "disable")
TYPES = {
    "uiresource": "uiresources",
    "uiresources": "uiresources",
    "session": "sessions",
    "sessions": "sessions",
    "tiltfile": "tiltfiles",
    "tiltfiles": "tiltfiles",
}
SINGULAR = {"uiresources": "uiresource", "sessions": "session", "tiltfiles": "tiltfile"}


class ClientError(Exception):
    """The command fails; the message is printed as is on stderr (exit 1)."""


def _port(parsed: Parsed) -> int:
    try:
        return int(parsed.text("port", str(tiltconfig.DEFAULT_WEB_PORT)))
    except ValueError:
        raise ClientError(f'Error: invalid argument "{parsed.text("port")}" for "--port" flag') from None


class Api:
    """Requests to the API server of the Tilt registered for a web port."""

    def __init__(self, parsed: Parsed) -> None:
        name = tiltconfig.api_server_name(_port(parsed))
        entry = tiltconfig.find_entry(name)
        if entry is None:
            raise ClientError(f"Error: No tilt apiserver found: {name}")
        self.server = entry["server"]
        self.token = entry["token"]
        self.context = ssl.create_default_context(cadata=entry["ca"])

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """(status, decoded JSON).

        Raises:
            ClientError: the server is unreachable (kubectl's connection-refused text).
        """
        data = json.dumps(body).encode() if body is not None else None
        where = urlparse(self.server)
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        connection = http.client.HTTPSConnection(
            where.hostname or "127.0.0.1", where.port or 443, context=self.context, timeout=10
        )
        try:
            connection.request(method, tiltconfig.PREFIX + quote(path), body=data, headers=headers)
            response = connection.getresponse()
            return response.status, json.loads(response.read() or b"null")
        except (OSError, http.client.HTTPException, ValueError):
            shown = self.server.removeprefix("https://")
            raise ClientError(
                f"The connection to the server {shown} was refused - did you specify the right host or port?"
            ) from None
        finally:
            connection.close()

    def get(self, plural: str, name: str = "") -> Any:
        """One object or the list; raises kubectl's NotFound error."""
        code, body = self.request("GET", plural + (f"/{name}" if name else ""))
        if code != 200:
            reason = (body or {}).get("reason") or "InternalError"
            raise ClientError(f"Error from server ({reason}): {(body or {}).get('message')}")
        return body


def _selected(items: list[dict[str, Any]], selector: str) -> list[dict[str, Any]]:
    """The items whose labels match a `-l` selector (`k=v`, `k!=v`, `k`, `!k`, comma-separated)."""
    for term in [t.strip() for t in selector.split(",") if t.strip()]:

        def keep(item: dict[str, Any], term: str = term) -> bool:
            labels = (item.get("metadata") or {}).get("labels") or {}
            if "!=" in term:
                key, value = term.split("!=", 1)
                return labels.get(key) != value
            if "=" in term:
                key, value = term.replace("==", "=").split("=", 1)
                return labels.get(key) == value
            if term.startswith("!"):
                return term[1:] not in labels
            return term in labels

        items = [i for i in items if keep(i)]
    return items


def _targets(args: list[str]) -> tuple[str, list[str]]:
    """(plural, names) from `TYPE [NAME...]` or `TYPE/NAME ...`."""
    if not args:
        raise ClientError(
            "error: You must specify the type of resource to get. "
            'Use "tilt api-resources" for a complete list of supported resources.'
        )
    if "/" in args[0]:
        pairs = [a.split("/", 1) for a in args]
        plurals = {TYPES.get(kind.split(".")[0]) for kind, _ in pairs}
        if None in plurals:
            raise ClientError(f'error: the server doesn\'t have a resource type "{pairs[0][0]}"')
        if len(plurals) != 1:
            raise ClientError("error: the stand-in reads one resource type at a time")
        return plurals.pop() or "", [name for _, name in pairs]
    plural = TYPES.get(args[0].split(".")[0])
    if plural is None:
        raise ClientError(f'error: the server doesn\'t have a resource type "{args[0]}"')
    return plural, args[1:]


def _print(
    objects: list[dict[str, Any]], single: bool, output: str, plural: str, headers: bool = True
) -> None:
    if output == "json":
        doc = (
            objects[0]
            if single
            else {"apiVersion": "v1", "kind": "List", "items": objects, "metadata": {"resourceVersion": ""}}
        )
        print(json.dumps(doc, indent=4, sort_keys=True), flush=True)
    elif output == "yaml":
        doc = (
            objects[0]
            if single
            else {"apiVersion": "v1", "kind": "List", "items": objects, "metadata": {"resourceVersion": ""}}
        )
        import yaml

        print(yaml.safe_dump(doc, sort_keys=True), end="", flush=True)
    elif output == "name":
        for obj in objects:
            print(f"{SINGULAR[plural]}.tilt.dev/{obj['metadata']['name']}", flush=True)
    elif output in ("", "wide"):
        width = max([len(o["metadata"]["name"]) for o in objects] + [4]) + 3
        if headers:
            print(f"{'NAME':<{width}}CREATED AT", flush=True)
        for obj in objects:
            print(f"{obj['metadata']['name']:<{width}}{obj['metadata'].get('creationTimestamp')}", flush=True)
    else:
        raise ClientError(
            f'error: unable to match a printer suitable for the output format "{output}" in the devstack '
            "tilt stand-in, allowed formats are: json,name,wide,yaml"
        )


def get(parsed: Parsed) -> int:
    """`tilt get TYPE [NAME...]`."""
    plural, names = _targets(parsed.args)
    api = Api(parsed)
    output = parsed.text("output")
    if names:
        objects = []
        for name in names:
            try:
                objects.append(api.get(plural, name))
            except ClientError:
                if not parsed.flag("ignore-not-found"):
                    raise
    else:
        objects = _selected(list(api.get(plural).get("items") or []), parsed.text("selector"))
    if not parsed.flag("watch-only"):
        if objects or output:
            _print(objects, len(names) == 1, output, plural)
        elif not names:
            print("No resources found", file=sys.stderr, flush=True)
    if not (parsed.flag("watch") or parsed.flag("watch-only")):
        return 0
    seen = {o["metadata"]["name"]: o["metadata"].get("resourceVersion") for o in objects}
    while True:
        time.sleep(0.5)
        try:
            current = (
                [api.get(plural, n) for n in names] if names else list(api.get(plural).get("items") or [])
            )
        except ClientError:
            return 0  # the Tilt went away: the watch ends
        for obj in current:
            meta = obj["metadata"]
            if seen.get(meta["name"]) != meta.get("resourceVersion"):
                seen[meta["name"]] = meta.get("resourceVersion")
                _print([obj], True, output, plural, headers=False)


def describe(parsed: Parsed) -> int:
    """`tilt describe TYPE [NAME]`: every field, kubectl-describe style."""
    plural, names = _targets(parsed.args)
    api = Api(parsed)
    import yaml

    items = [api.get(plural, n) for n in names] if names else list(api.get(plural).get("items") or [])
    for index, obj in enumerate(items):
        if index:
            print("\n", flush=True)
        print(f"Name:         {obj['metadata']['name']}")
        print("Namespace:    ")
        print(f"API Version:  {obj.get('apiVersion')}")
        print(f"Kind:         {obj.get('kind')}")
        for section in ("metadata", "spec", "status"):
            print(f"{section.capitalize()}:")
            for line in yaml.safe_dump(obj.get(section) or {}, sort_keys=True).splitlines():
                print(f"  {line}")
        sys.stdout.flush()
    return 0


def _condition_met(obj: dict[str, Any], wanted: str, value: str) -> bool:
    for condition in (obj.get("status") or {}).get("conditions") or []:
        if str(condition.get("type")).lower() == wanted.lower():
            return str(condition.get("status")).lower() == value.lower()
    return False


def wait(parsed: Parsed) -> int:
    """`tilt wait --for=condition=Ready|delete uiresource/NAME [--timeout=30s]`."""
    spec = parsed.text("for")
    if not spec:
        raise ClientError("error: --for must be specified")
    kind, _, rest = spec.partition("=")
    if kind not in ("condition", "delete", "create"):
        raise ClientError(
            f'error: unrecognized condition: "{spec}" '
            "(the devstack tilt stand-in waits for condition=, create, delete)"
        )
    condition, _, value = rest.partition("=")
    plural, names = _targets(parsed.args)
    try:
        timeout = godur.parse(parsed.text("timeout", "30s"))
    except ValueError as err:
        raise ClientError(f"error: {err}") from None
    timeout = 7 * 24 * 3600 if timeout < 0 else timeout
    api = Api(parsed)
    if not names and not parsed.flag("all") and not parsed.text("selector"):
        raise ClientError("error: resource(s) were provided, but no name was specified")
    if parsed.flag("all") or not names:
        items = _selected(list(api.get(plural).get("items") or []), parsed.text("selector"))
        names = [o["metadata"]["name"] for o in items]
        if not names:
            raise ClientError("error: no matching resources found")
    deadline = time.monotonic() + timeout
    for name in names:
        while True:
            code, body = api.request("GET", f"{plural}/{name}")
            if kind == "delete" and code == 404:
                break
            if code != 200 and kind != "create":
                raise ClientError(f"Error from server (NotFound): {(body or {}).get('message')}")
            if kind == "create" and code == 200:
                break
            if kind == "condition" and code == 200 and _condition_met(body, condition, value or "True"):
                break
            if time.monotonic() >= deadline:
                raise ClientError(f"error: timed out waiting for the condition on {plural}/{name}")
            time.sleep(0.25)
        operation = "condition met" if kind == "condition" else ("deleted" if kind == "delete" else "created")
        print(f"{SINGULAR[plural]}.tilt.dev/{name} {operation}", flush=True)
    return 0


def args(parsed: Parsed) -> int:
    """`tilt args [--clear] [-- ARGS]`: set the Tiltfile args of the running Tilt (stderr output)."""
    if parsed.flag("clear") and parsed.args:
        raise ClientError("Error: --clear cannot be specified with other values")
    if not parsed.flag("clear") and not parsed.args:
        raise ClientError(
            "Error: the devstack tilt stand-in does not open an editor: pass the args or --clear"
        )
    api = Api(parsed)
    current = (api.get("tiltfiles", "(Tiltfile)").get("spec") or {}).get("args") or []
    wanted = [] if parsed.flag("clear") else list(parsed.args)
    if current == wanted:
        print("Tilt is already running with those args -- no action taken", file=sys.stderr, flush=True)
        return 0
    api.request("PUT", "tiltfiles/(Tiltfile)", {"spec": {"args": wanted}})
    where = f"{parsed.text('host', 'localhost')}:{_port(parsed)}"
    print(
        f"Changed config args for Tilt running at {where} to [{' '.join(wanted)}]",
        file=sys.stderr,
        flush=True,
    )
    return 0


def trigger(parsed: Parsed) -> int:
    """`tilt trigger RESOURCE`: POST /api/trigger on the web port."""
    if len(parsed.args) != 1:  # cobra.ExactArgs(1): a cobra-level error (also printed on stdout)
        message = f"accepts 1 arg(s), received {len(parsed.args)}"
        print(message, flush=True)
        raise ClientError(f"Error: {message}")
    name = parsed.args[0]
    host = parsed.text("host", "localhost")
    url = f"http://{host}:{_port(parsed)}/api/trigger"
    body = json.dumps({"manifest_names": [name], "build_reason": 32}).encode()
    headers = {"Content-Type": "application/json"}
    from devstack_sim.standins import tiltversion

    if tiltversion.at_least((0, 37, 4)):
        headers["X-Tilt-Token"] = tiltconfig.web_token()
    connection = http.client.HTTPConnection(host, _port(parsed), timeout=10)
    try:
        connection.request("POST", "/api/trigger", body=body, headers=headers)
        response = connection.getresponse()
        code, text = response.status, response.read().decode()
    except (OSError, http.client.HTTPException) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else err
        raise ClientError(f"Could not connect to Tilt at {url}: {reason}") from None
    finally:
        connection.close()
    if code != 200:
        raise ClientError(f"Error: ({code}): {text.strip()}")
    if text.strip():
        raise ClientError(f"Error: {text.strip()}")
    print(f'Successfully triggered update for resource: "{name}"', flush=True)
    return 0


def enable_disable(command: str, parsed: Parsed) -> int:
    """`tilt enable|disable {--all | NAME...}` via the `<name>-disable` ConfigMaps."""
    everything = parsed.flag("all")
    if everything and parsed.flag("only"):
        raise ClientError("Error: cannot use --all with --only")
    if everything and parsed.args:
        raise ClientError("Error: cannot use --all with resource names")
    api = Api(parsed)
    resources = list(api.get("uiresources").get("items") or [])
    known = {r["metadata"]["name"]: r for r in resources}
    names = list(parsed.args)
    for label in parsed.items("labels"):
        names += [n for n, r in known.items() if label in (r["metadata"].get("labels") or {})]
    if everything:
        names = [n for n, r in known.items() if (r["status"].get("disableStatus") or {}).get("sources")]
    if not names:
        raise ClientError("Error: must specify at least one resource")
    for name in names:
        if name not in known:
            raise ClientError(f'Error: no such resource "{name}"')
        if not (known[name]["status"].get("disableStatus") or {}).get("sources"):
            raise ClientError(f"Error: {name} cannot be enabled or disabled")
    changes = {n: command == "disable" for n in names}
    if command == "enable" and parsed.flag("only"):
        changes.update(
            {
                n: True
                for n in known
                if n not in names
                and n in known
                and (known[n]["status"].get("disableStatus") or {}).get("sources")
            }
        )
    for name, disabled in changes.items():
        api.request(
            "PUT", f"configmaps/{name}-disable", {"data": {"isDisabled": "true" if disabled else "false"}}
        )
    return 0


def run(command: str, parsed: Parsed) -> int:
    """Run a client command; errors go to stderr (exit 1)."""
    handlers = {"get": get, "describe": describe, "wait": wait, "args": args, "trigger": trigger}
    try:
        if command in ("enable", "disable"):
            return enable_disable(command, parsed)
        return handlers[command](parsed)
    except ClientError as err:
        print(str(err), file=sys.stderr, flush=True)
        return 1
