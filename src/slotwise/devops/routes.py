"""The REST resources slotwise calls, as the ``azure-devops`` client's own methods call them.

Each ``Route`` is one location id with the version string the client's method sends, in the
``azure.devops.v7_1`` client (Azure DevOps Services) and in ``azure.devops.v7_0`` (Azure DevOps Server
2022), and the client class (``Area``) that sends it: the resource area decides which host serves it
(``vsrm.dev.azure.com`` for releases on Services; the collection URL on a Server). The task
definitions have no method in the client; their location and version are the REST API's.

Must not: send anything (``devops.connect`` does), or know what the answers mean.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Area:
    """A client of the ``azure-devops`` package: its module under ``azure.devops.v7_x`` and class,
    and its resource area id (None: the organization URL itself)."""

    module: str
    cls: str
    area_id: str | None


LOCATION = Area("location", "LocationClient", None)
CORE = Area("core", "CoreClient", "79134c72-4a58-4b42-976c-04e7115f32bf")
BUILD = Area("build", "BuildClient", "965220d5-5bb9-42cf-8d67-9b146df2a5a4")
TASK_AGENT = Area("task_agent", "TaskAgentClient", "a85b8835-c1a1-4aac-ae97-1c3d0ba72dbd")
SERVICE_ENDPOINT = Area("service_endpoint", "ServiceEndpointClient", "1814ab31-2f4f-4a9f-8761-f4d77dc5a5d7")
RELEASE = Area("release", "ReleaseClient", "efc2f575-36ef-48e9-b672-0c6fb4a48ac5")
IDENTITY = Area("identity", "IdentityClient", "8a3d49b8-91f0-46ef-b33d-dda338c25db3")
GRAPH = Area("graph", "GraphClient", "bb1e7ec9-e901-4b68-999a-de7012b920f8")
PIPELINES_CHECKS = Area("pipelines_checks", "PipelinesChecksClient", "4a933897-0488-45af-bd82-6fd3ad33f46a")


@dataclass(frozen=True)
class Route:
    """One REST resource: the client that calls it, its location id, and the version per API."""

    area: Area
    location_id: str
    v7_1: str
    v7_0: str

    def version(self, api_version: str) -> str:
        return self.v7_1 if api_version == "7.1" else self.v7_0


CONNECTION_DATA = Route(LOCATION, "00d9565f-ed9c-4a06-9a50-00e7896ccab4", "7.1-preview.1", "7.0-preview.1")
PROJECTS = Route(CORE, "603fe2ac-9723-48b9-88ad-09305aa6c6e1", "7.1-preview.4", "7.0")
BUILD_DEFINITIONS = Route(BUILD, "dbeaf647-6167-421a-bda9-c9327b25e2e6", "7.1-preview.7", "7.0")
QUEUES = Route(TASK_AGENT, "900fa995-c559-4923-aae7-f8424fe4fbea", "7.1-preview.1", "7.0")
VARIABLE_GROUPS = Route(TASK_AGENT, "f5b09dd5-9d54-45a1-8b5a-1c8287d634cc", "7.1-preview.2", "7.0")
TASKS = Route(TASK_AGENT, "60aac929-f0cd-4bc8-9ce4-6b30e8f1b1bd", "7.1-preview.1", "7.0-preview.1")
SERVICE_ENDPOINTS = Route(SERVICE_ENDPOINT, "e85f1c62-adfc-4b74-b618-11a150fb195e", "7.1-preview.4", "7.0")
DEFINITIONS = Route(RELEASE, "d8f96f24-8ea7-4cb6-baab-2df8fc515665", "7.1-preview.4", "7.0")
IDENTITIES = Route(IDENTITY, "28010c54-d0c0-4c89-a5b0-1c9e188b9fb7", "7.1-preview.1", "7.0")
GRAPH_USERS = Route(GRAPH, "005e26ec-6b77-4e4f-a986-b3827bf241f5", "7.1-preview.1", "7.0-preview.1")
GRAPH_GROUPS = Route(GRAPH, "ebbe6af8-0b91-4c13-8cf1-777c14858188", "7.1-preview.1", "7.0-preview.1")

# releases at run time (the release client's get_release, create_release, get_releases, get_task_log,
# get_approvals, update_release_approval, get_release_task_attachments,
# get_release_task_attachment_content; the build client's get_builds, get_build)
RELEASES = Route(RELEASE, "a166fde7-27ad-408e-ba75-703c2cc9d500", "7.1-preview.8", "7.0")
APPROVALS = Route(RELEASE, "b47c6458-e73b-47cb-a770-4df1e8813a91", "7.1-preview.3", "7.0")
APPROVAL = Route(RELEASE, "9328e074-59fb-465a-89d9-b09c82ee5109", "7.1-preview.3", "7.0")
TASK_ATTACHMENTS = Route(RELEASE, "a4d06688-0dfa-4895-82a5-f43ec9452306", "7.1-preview.1", "7.0")
TASK_ATTACHMENT = Route(RELEASE, "60b86efb-7b8c-4853-8f9f-aa142b77b479", "7.1-preview.1", "7.0")
TASK_LOG = Route(RELEASE, "17c91af7-09fd-4256-bff1-c24ee4f73bc0", "7.1-preview.2", "7.0")
BUILDS = Route(BUILD, "0cd358e1-9217-4d94-8269-1c1ee6f93dcf", "7.1-preview.7", "7.0")

# YAML pipelines' environments and their checks (the task agent client's add_environment,
# get_environments, update_environment; the pipelines checks client's add_check_configuration,
# get_check_configurations_on_resource, update_check_configuration)
ENVIRONMENTS = Route(TASK_AGENT, "8572b1fc-2482-47fa-8f74-7e3ed53ee54b", "7.1-preview.1", "7.0")
CHECK_CONFIGURATIONS = Route(
    PIPELINES_CHECKS, "86c8381e-5aee-4cde-8ae4-25c0c7f5eaea", "7.1-preview.1", "7.0-preview.1"
)
