"""A container's process never outlives the simulator that started it, even a SIGKILLed one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import psutil
from helpers import require, wait_for

SPAWNER = textwrap.dedent(
    """
    import asyncio
    from pathlib import Path
    from devstack_sim.cluster.process import ProcessInstance

    async def main():
        instance = await ProcessInstance.spawn(["sleep", "600"], Path("."), {"PATH": "/usr/bin:/bin"})
        print(instance.pid, flush=True)
        await asyncio.sleep(600)

    asyncio.run(main())
    """
)


def alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_a_container_process_is_killed_when_the_simulator_is_sigkilled() -> None:
    require(sys.platform.startswith("linux"), "Linux (PR_SET_PDEATHSIG)")
    simulator = subprocess.Popen([sys.executable, "-c", SPAWNER], stdout=subprocess.PIPE, text=True)
    assert simulator.stdout is not None
    container = psutil.Process(int(simulator.stdout.readline()))
    try:
        assert container.cmdline() == ["sleep", "600"]
        assert container.ppid() == simulator.pid, "a direct child, in a session of its own"
        assert os.getsid(container.pid) == container.pid
        simulator.send_signal(signal.SIGKILL)
        simulator.wait()
        wait_for(lambda: not alive(container), 10, "the container process to die with the simulator")
    finally:
        if alive(container):
            container.kill()
