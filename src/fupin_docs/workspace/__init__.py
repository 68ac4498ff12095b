"""The user's working folder: fupin.toml and the stage folders."""

from .config import Config, Workspace, load_config, open_workspace
from .init import init_workspace

__all__ = ["Config", "Workspace", "init_workspace", "load_config", "open_workspace"]
