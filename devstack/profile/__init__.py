"""Profiles: `profiles/NAME.yaml` files saying which cluster, deploy tool, ports and checks to use."""

from devstack.profile.loader import (
    DEFAULT_PROFILE,
    LoadedProfile,
    ProfileError,
    find_stack_root,
    load,
    load_profile,
)
from devstack.profile.models import Profile

__all__ = [
    "DEFAULT_PROFILE",
    "LoadedProfile",
    "Profile",
    "ProfileError",
    "find_stack_root",
    "load",
    "load_profile",
]
