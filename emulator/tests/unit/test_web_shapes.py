"""Written values are kept in the shape Microsoft.Web gives them, or refused with ARM's 400."""

from __future__ import annotations

from typing import Any

import pytest

from slotwise_emulator.backends.web_shapes import SITE_CONFIG, SITE_PROPERTIES, clean
from slotwise_emulator.errors import ServiceError


def test_unknown_fields_are_dropped_at_every_depth() -> None:
    written = {"rampUpRules": [{"name": "canary", "reroutePercentage": 10, "colour": "red"}], "x": 1}
    assert clean(SITE_CONFIG["experiments"], written, "siteConfig.experiments") == {
        "rampUpRules": [{"name": "canary", "reroutePercentage": 10}]
    }


def test_null_stays_null_and_numbers_take_integers() -> None:
    assert clean(SITE_PROPERTIES["virtualNetworkSubnetId"], None, "virtualNetworkSubnetId") is None
    assert clean(SITE_CONFIG["limits"], {"maxPercentageCpu": 80}, "siteConfig.limits") == {
        "maxPercentageCpu": 80
    }


def test_a_dictionary_keeps_its_keys() -> None:
    accounts = {"share": {"type": "AzureFiles", "accountName": "st"}}
    assert clean(SITE_CONFIG["azureStorageAccounts"], accounts, "siteConfig.azureStorageAccounts") == accounts


@pytest.mark.parametrize(
    ("shape", "value", "where", "message"),
    [
        ("alwaysOn", "yes", "siteConfig.alwaysOn", "'siteConfig.alwaysOn' has the wrong type"),
        ("numberOfWorkers", True, "siteConfig.numberOfWorkers", "has the wrong type"),  # a bool is no int
        (
            "virtualApplications",
            [{"preloadEnabled": "no"}],
            "siteConfig.virtualApplications",
            "[0].preloadEnabled",
        ),
        (
            "loadBalancing",
            "Random",
            "siteConfig.loadBalancing",
            "is not one of WeightedRoundRobin, LeastRequests",
        ),
    ],
)
def test_a_value_the_service_cannot_read_is_refused_naming_it(
    shape: str, value: Any, where: str, message: str
) -> None:
    with pytest.raises(ServiceError) as refused:
        clean(SITE_CONFIG[shape], value, where)
    assert (refused.value.status, refused.value.code, refused.value.shape) == (
        400,
        "InvalidRequestContent",
        "arm",
    )
    assert message in refused.value.message


def test_site_properties_refuse_a_value_outside_their_closed_enum() -> None:
    with pytest.raises(ServiceError, match="'clientCertMode' is not one of Required, Optional"):
        clean(SITE_PROPERTIES["clientCertMode"], "Sometimes", "clientCertMode")
    assert clean(SITE_PROPERTIES["clientCertMode"], "Optional", "clientCertMode") == "Optional"
