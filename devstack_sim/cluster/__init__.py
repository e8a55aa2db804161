"""The cluster side of the simulator: scheduler, kubelet (real local processes) and controllers.

Use `Cluster(store, images, options)`, `await cluster.start()`, and `await cluster.stop()`; the
cluster implements `devstack_sim.runtime.PodRuntime` for logs and port-forwards.
"""

from .cluster import Cluster
from .images import ImageSpec, ImageTable, ImageTableError

__all__ = ["Cluster", "ImageSpec", "ImageTable", "ImageTableError"]
