"""The app's configuration: settings groups read from CDK context (`app:` keys) by app.py.

Only app.py reads CDK context; it hands the whole mapping to `AppConfig.from_context`, which
either returns a frozen, typed object or raises `ConfigError` naming the key, the value and the
reason in one line. Constructs receive their group; stacks and constructs never read context.
"""

from infra.config.alarms import AlarmSettings
from infra.config.api import ApiSettings
from infra.config.app_config import AppConfig
from infra.config.cors import CorsSettings
from infra.config.environment import EnvironmentSettings
from infra.config.fields import PREFIX, ConfigError
from infra.config.function import Architecture, FunctionSettings
from infra.config.logs import LogSettings
from infra.config.network import NetworkSettings
from infra.config.security import SecuritySettings
from infra.config.service import ServiceSettings
from infra.config.site import SiteSettings
from infra.config.tasks import TaskSettings
from infra.config.topology import Compute, Ingress, TopologySettings
from infra.config.waf import WafSettings

__all__ = [
    "PREFIX",
    "AlarmSettings",
    "ApiSettings",
    "AppConfig",
    "Architecture",
    "Compute",
    "ConfigError",
    "CorsSettings",
    "EnvironmentSettings",
    "FunctionSettings",
    "Ingress",
    "LogSettings",
    "NetworkSettings",
    "SecuritySettings",
    "ServiceSettings",
    "SiteSettings",
    "TaskSettings",
    "TopologySettings",
    "WafSettings",
]
