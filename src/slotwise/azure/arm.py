"""ARM Microsoft.Web through the unmodified azure-mgmt-web client, narrowed to what slotwise does.

``WebApps`` answers with slotwise's own types (``SlotInfo``...), never SDK models, and translates
every SDK error once, naming the app and slot. Swaps are started here and returned as azure-core
pollers (``poll_interval`` between polls: the SDK's default of 30 s would report a finished swap up
to half a minute late). Tags are written through ARM's tags API so a site's configuration is never
re-sent. Host names come from ``defaultHostName`` and ``hostNameSslStates``: never built from names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from azure.core.exceptions import ServiceRequestError, ServiceResponseError
from azure.core.polling import LROPoller
from azure.core.rest import HttpRequest
from azure.mgmt.web import WebSiteManagementClient
from azure.mgmt.web.models import CsmSlotEntity, Site, StringDictionary

from slotwise.azure.errors import translate
from slotwise.azure.http import IDEMPOTENT_PATCH, READING_POST
from slotwise.azure.models import (
    PRODUCTION,
    STACK_FIELDS,
    ConnectionString,
    FunctionInfo,
    HostKeys,
    SlotInfo,
    SlotRef,
    StickyNames,
    SwapStatus,
    slot_name,
)
from slotwise.errors import NotFoundError, RemoteError, SlotwiseError

TAGS_API_VERSION = "2021-04-01"


@contextmanager
def boundary(doing: str) -> Iterator[None]:
    """Translate any foreign error raised inside into a slotwise error about ``doing``."""
    try:
        yield
    except (NotFoundError, RemoteError):
        raise
    except Exception as error:
        raise translate(error, doing) from error


def _raw(model: Any, *path: str) -> Any:
    """A field of an SDK model's raw JSON that the model itself does not expose (e.g. deploymentId)."""
    value: Any = model
    for key in path:
        try:
            value = value[key]
        except (KeyError, TypeError, IndexError):
            return None
    return value


def _swap_status(site: Site) -> SwapStatus | None:
    status = site.slot_swap_status
    if status is None or status.timestamp_utc is None:
        return None
    return SwapStatus(
        timestamp=status.timestamp_utc,
        source=slot_name(status.source_slot_name or ""),
        destination=slot_name(status.destination_slot_name or ""),
    )


def slot_info(ref: SlotRef, site: Site) -> SlotInfo:
    """slotwise's view of an SDK ``Site``."""
    scm = next(
        (
            str(s.name)
            for s in site.host_name_ssl_states or []
            if str(s.host_type).lower().endswith("repository")
        ),
        None,
    )
    modified = site.last_modified_time_utc
    return SlotInfo(
        ref=ref,
        kind=str(site.kind or ""),
        state=str(site.state or ""),
        default_host_name=str(site.default_host_name or ""),
        scm_host_name=scm,
        deployment_id=_raw(site, "properties", "deploymentId"),
        last_modified=modified if isinstance(modified, datetime) else None,
        swap_status=_swap_status(site),
        target_swap_slot=site.target_swap_slot,
        tags=dict(site.tags or {}),
        in_progress_operation_id=site.in_progress_operation_id,
    )


class WebApps:
    """The App Service operations slotwise needs, on one subscription."""

    def __init__(self, client: WebSiteManagementClient, *, poll_interval: float = 1.0) -> None:
        self._client = client
        self._ops = client.web_apps
        self.poll_interval = poll_interval

    def close(self) -> None:
        self._client.close()

    # ---- reading -----------------------------------------------------------------------------------
    def get(self, ref: SlotRef) -> SlotInfo:
        with boundary(
            f"reading slot '{ref.slot}' of app '{ref.app}' in resource group '{ref.resource_group}'"
        ):
            site = (
                self._ops.get(ref.resource_group, ref.app)
                if ref.is_production
                else self._ops.get_slot(ref.resource_group, ref.app, ref.slot)
            )
        return slot_info(ref, site)

    def list_slots(self, resource_group: str, app: str) -> list[SlotInfo]:
        """Production first, then the other slots by name."""
        production = self.get(SlotRef(resource_group, app, PRODUCTION))
        with boundary(f"listing the slots of app '{app}'"):
            others = [
                slot_info(SlotRef(resource_group, app, slot_name(str(site.name).split("/")[-1])), site)
                for site in self._ops.list_slots(resource_group, app)
            ]
        return [production, *sorted(others, key=lambda s: s.ref.slot)]

    def exists(self, ref: SlotRef) -> bool:
        try:
            self.get(ref)
        except NotFoundError:
            return False
        return True

    def app_settings(self, ref: SlotRef) -> dict[str, str]:
        """The slot's app settings (a POST that only reads: retried like a GET). Values: register them."""
        with boundary(f"reading the app settings of {ref}"):
            result: StringDictionary = (
                self._ops.list_application_settings(ref.resource_group, ref.app, **READING_POST)
                if ref.is_production
                else self._ops.list_application_settings_slot(
                    ref.resource_group, ref.app, ref.slot, **READING_POST
                )
            )
        return {str(k): str(v) for k, v in (result.properties or {}).items()}

    def sticky_setting_names(self, resource_group: str, app: str) -> set[str]:
        return set(self.sticky_names(resource_group, app).app_settings)

    def sticky_names(self, resource_group: str, app: str) -> StickyNames:
        """The app settings and connection strings that stay with their slot (``slotConfigNames``)."""
        with boundary(f"reading the slot settings (sticky names) of app '{app}'"):
            names = self._ops.list_slot_configuration_names(resource_group, app)
        return StickyNames(
            frozenset(names.app_setting_names or []), frozenset(names.connection_string_names or [])
        )

    def connection_strings(self, ref: SlotRef) -> dict[str, ConnectionString]:
        with boundary(f"reading the connection strings of {ref}"):
            result = (
                self._ops.list_connection_strings(ref.resource_group, ref.app, **READING_POST)
                if ref.is_production
                else self._ops.list_connection_strings_slot(
                    ref.resource_group, ref.app, ref.slot, **READING_POST
                )
            )
        return {
            str(name): ConnectionString(str(entry.value or ""), str(entry.type or "Custom"))
            for name, entry in (result.properties or {}).items()
        }

    def stack(self, ref: SlotRef) -> dict[str, str]:
        """The stack versions of the slot's site config (``STACK_FIELDS``), as text; empty ones left out."""
        with boundary(f"reading the site configuration of {ref}"):
            config = (
                self._ops.get_configuration(ref.resource_group, ref.app)
                if ref.is_production
                else self._ops.get_configuration_slot(ref.resource_group, ref.app, ref.slot)
            )
        raw: dict[str, Any] = config.as_dict()
        props = raw.get("properties")
        fields: dict[str, Any] = props if isinstance(props, dict) else raw
        return {
            name: str(value).lower() if isinstance(value, bool) else str(value)
            for name in STACK_FIELDS
            if (value := fields.get(name)) not in (None, "")
        }

    def host_keys(self, ref: SlotRef) -> HostKeys:
        """The host's keys (a POST that only reads: retried on a dropped connection like a GET)."""
        with boundary(f"reading the host keys of {ref}"):
            keys = (
                self._ops.list_host_keys(ref.resource_group, ref.app, **READING_POST)
                if ref.is_production
                else self._ops.list_host_keys_slot(ref.resource_group, ref.app, ref.slot, **READING_POST)
            )
        return HostKeys(master=str(keys.master_key or ""), function_keys=dict(keys.function_keys or {}))

    def function_keys(self, ref: SlotRef, function: str) -> dict[str, str]:
        """One function's keys (a POST that only reads: retried like a GET)."""
        group, app = ref.resource_group, ref.app
        with boundary(f"reading the keys of function '{function}' on {ref}"):
            keys = (
                self._ops.list_function_keys(group, app, function, **READING_POST)
                if ref.is_production
                else self._ops.list_function_keys_slot(group, app, function, ref.slot, **READING_POST)
            )
        raw: dict[str, Any] = keys.as_dict() if hasattr(keys, "as_dict") else dict(keys)
        inner = raw.get("properties")
        flat: dict[str, Any] = inner if isinstance(inner, dict) else raw
        return {
            str(k): str(v) for k, v in flat.items() if isinstance(v, str) and k not in ("id", "name", "type")
        }

    def functions(self, ref: SlotRef) -> list[FunctionInfo]:
        with boundary(f"listing the functions of {ref}"):
            envelopes = list(
                self._ops.list_functions(ref.resource_group, ref.app)
                if ref.is_production
                else self._ops.list_instance_functions_slot(ref.resource_group, ref.app, ref.slot)
            )
        found = []
        for envelope in envelopes:
            props = envelope.properties
            config = (props.config if props else None) or {}
            bindings = [b for b in config.get("bindings") or [] if isinstance(b, dict)]
            trigger: dict[str, Any] = next(
                (b for b in bindings if str(b.get("type", "")).lower() == "httptrigger"), {}
            )
            found.append(
                FunctionInfo(
                    name=str(envelope.name).split("/")[-1],
                    invoke_url=props.invoke_url_template if props else None,
                    auth_level=trigger.get("authLevel"),
                    methods=tuple(str(m).upper() for m in trigger.get("methods") or ()),
                    triggers=tuple(
                        str(b["type"]) for b in bindings if str(b.get("type", "")).lower().endswith("trigger")
                    ),
                    disabled=bool((props.is_disabled if props else False) or config.get("disabled") is True),
                )
            )
        return found

    # ---- changing ----------------------------------------------------------------------------------
    def create_slot(self, ref: SlotRef) -> SlotInfo:
        """Create a deployment slot like production (same plan, location and kind)."""
        with boundary(f"creating slot '{ref.slot}' of app '{ref.app}'"):
            production = self._ops.get(ref.resource_group, ref.app)
            envelope = Site(
                {
                    "location": production.location,
                    "kind": production.kind,
                    "properties": {"serverFarmId": production.server_farm_id},
                }
            )
            site = self._ops.begin_create_or_update_slot(
                ref.resource_group, ref.app, ref.slot, envelope, polling_interval=self.poll_interval
            ).result()
        return slot_info(ref, site)

    def begin_swap(self, source: SlotRef, target: str, *, preserve_vnet: bool = True) -> LROPoller[None]:
        """Start swapping ``source`` with ``target``; the poller ends when the service has finished."""
        entity = CsmSlotEntity(target_slot=target, preserve_vnet=preserve_vnet)
        with boundary(f"starting the swap of {source} with '{target}'"):
            if source.is_production:
                return self._ops.begin_swap_slot_with_production(
                    source.resource_group, source.app, entity, polling_interval=self.poll_interval
                )
            return self._ops.begin_swap_slot(
                source.resource_group, source.app, source.slot, entity, polling_interval=self.poll_interval
            )

    def apply_swap_preview(self, source: SlotRef, target: str, *, preserve_vnet: bool = True) -> None:
        """Phase one of a swap with preview: ``source`` takes ``target``'s slot settings."""
        entity = CsmSlotEntity(target_slot=target, preserve_vnet=preserve_vnet)
        with boundary(f"preparing the swap of {source} with '{target}'"):
            if source.is_production:
                self._ops.apply_slot_config_to_production(source.resource_group, source.app, entity)
            else:
                self._ops.apply_slot_configuration_slot(
                    source.resource_group, source.app, source.slot, entity
                )

    def reset_swap_preview(self, source: SlotRef) -> None:
        """Cancel a swap with preview: ``source`` gets its own settings back."""
        with boundary(f"cancelling the prepared swap of {source}"):
            if source.is_production:
                self._ops.reset_production_slot_config(source.resource_group, source.app)
            else:
                self._ops.reset_slot_configuration_slot(source.resource_group, source.app, source.slot)

    def merge_tags(self, ref: SlotRef, tags: dict[str, str]) -> None:
        """Add or change tags on one slot (ARM's tags API, operation Merge)."""
        self._patch_tags(
            ref, "Merge", tags, written=lambda now: all(now.get(n.lower()) == v for n, v in tags.items())
        )

    def delete_tags(self, ref: SlotRef, names: list[str]) -> None:
        """Remove tags from one slot (values are ignored by ARM's Delete operation)."""
        if names:
            self._patch_tags(
                ref,
                "Delete",
                dict.fromkeys(names, ""),
                written=lambda now: not any(n.lower() in now for n in names),
            )

    def _patch_tags(
        self, ref: SlotRef, operation: str, tags: dict[str, str], *, written: Callable[[dict[str, str]], bool]
    ) -> None:
        """Merge or Delete ``tags``: idempotent, so retried like a PUT on a dropped connection or a
        failed read; when the retries run out that way (ARM may have written them, the answer was
        lost), the slot's tags are read back, and the write counts as done if ``written`` says they
        already hold what was asked (it is given the tags with lower-case names: ARM's names are
        case-insensitive)."""
        resource_id = self._resource_id(ref)
        request = HttpRequest(
            "PATCH",
            f"{resource_id}/providers/Microsoft.Resources/tags/default",
            params={"api-version": TAGS_API_VERSION},
            json={"operation": operation, "properties": {"tags": tags}},
        )
        with boundary(f"writing tags on {ref}"):
            try:
                response = self._client.send_request(request, **IDEMPOTENT_PATCH)
            except (ServiceRequestError, ServiceResponseError):
                if self._tags_read_back(ref, written):
                    return
                raise
            response.raise_for_status()

    def _tags_read_back(self, ref: SlotRef, written: Callable[[dict[str, str]], bool]) -> bool:
        """Whether ``ref``'s tags, read now, pass ``written``; False if they cannot be read."""
        try:
            now = {name.lower(): value for name, value in self.get(ref).tags.items()}
        except SlotwiseError:
            return False
        return written(now)

    def _resource_id(self, ref: SlotRef) -> str:
        sub = self._client._config.subscription_id
        group = f"/subscriptions/{sub}/resourceGroups/{ref.resource_group}"
        base = f"{group}/providers/Microsoft.Web/sites/{ref.app}"
        return base if ref.is_production else f"{base}/slots/{ref.slot}"
