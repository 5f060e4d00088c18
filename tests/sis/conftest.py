"""Principals of the agencies that use the alert register, and small alert payloads."""

from __future__ import annotations

from typing import Any

import pytest

from granica.auth.permissions import permissions_of
from granica.auth.principal import Principal


def make_principal(username: str, agency: str, *roles: str) -> Principal:
    return Principal(user_id=f"u-{username}", username=username, agency=agency,
                     roles=frozenset(roles), permissions=permissions_of(set(roles)), via="session")


@pytest.fixture()
def officer() -> Principal:
    return make_principal("officer", "CRIMINAL_POLICE", "police_officer")


@pytest.fixture()
def validator() -> Principal:
    return make_principal("validator", "CRIMINAL_POLICE", "police_validator")


@pytest.fixture()
def guard() -> Principal:
    return make_principal("guard", "BORDER_POLICE", "border_guard")


@pytest.fixture()
def customs() -> Principal:
    return make_principal("customs", "CUSTOMS", "customs_officer")


@pytest.fixture()
def sirene() -> Principal:
    return make_principal("sirene", "SIRENE", "sirene_operator")


@pytest.fixture()
def inspector() -> Principal:
    return make_principal("inspector", "VETERINARY", "inspector")


def arrest_payload(**data: Any) -> dict[str, Any]:
    base = {"surname": "Jovanović", "forenames": "Đorđe", "sex": "M", "date_of_birth": "1980-04-12",
            "nationalities": ["RS"], "reason": "wanted for armed robbery",
            "issuing_authority": "Viši sud u Beogradu", "warrant_reference": "EAW-2026-00017",
            "warning_markers": ["armed"]}
    base.update(data)
    return {"category": "arrest", "data": {k: v for k, v in base.items() if v is not None},
            "supplementary_information": "SIRENE note: co-operates with the K. group"}


def vehicle_payload(vin: str = "WVWZZZ1KZ8W000012", plate: str = "BG 123-AB") -> dict[str, Any]:
    return {"category": "motor_vehicle",
            "data": {"vin": vin, "plate": plate, "plate_country": "RS", "make": "Volkswagen",
                     "model": "Golf", "purpose": "seizure", "reason": "stolen",
                     "issuing_authority": "PU Beograd"}}
