"""devstack simulator stand-ins for `kind`, `skaffold` and `tilt` (demo and tests only).

`devstack_sim/bin/kind`, `devstack_sim/bin/skaffold` and `devstack_sim/bin/tilt` run
`python -m devstack_sim.standins.kind`, `...skaffold` and `...tilt` (the tilt stand-in: `tilt.py`,
the contract is `shared/contracts/TILT.md`). They speak the real tools' command lines, output
lines, streams and exit codes (`shared/contracts/TOOLS.md` §1–2), but create simulated clusters:
a background `python -m devstack_sim serve` daemon per cluster, plus node containers in a real
Docker daemon when one is reachable. State lives under `$DEVSTACK_SIM_HOME` (one folder per
cluster); every invocation is appended to `$DEVSTACK_SIM_HOME/invocations.jsonl`.

Environment:
    DEVSTACK_SIM_HOME    required; the stand-ins' state (clusters, invocation log, built images)
    DEVSTACK_SIM_PYTHON  the interpreter the `bin/` wrappers run (default `python3`)
    DEVSTACK_SIM_DOCKER  `off` (no node containers), `on` (Docker required), else Docker when it answers
    DEVSTACK_SIM_IMAGES  image table for the clusters' pods (default devstack_sim/cluster/default_images.yaml)
    DEVSTACK_SIM_TILT_VERSION  the release `tilt version` claims (default 0.37.6; older releases
                         lose the flags and behaviour they did not have yet, `tiltversion.py`)
    DEVSTACK_SIM_SKAFFOLD_VERSION  the release `skaffold version` claims (default v2.19.0); configs
                         newer than that release are refused in Skaffold's words (`skversion.py`)

devstack itself never finds these programs outside demo and tests: `devstack.sources.tools`
drops `devstack_sim/bin` from PATH unless `ToolEnv(allow_sim=True)`.
"""
