"""Agencies, permissions and roles, declared as data.

A role is a named set of permissions; a user belongs to one agency and holds
roles. Domain services check permissions (never roles or agencies) so that
what a role may do is changed here, in one table.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Agency:
    code: str
    name: str
    name_sr: str


AGENCIES: dict[str, Agency] = {
    a.code: a
    for a in (
        Agency("BORDER_POLICE", "Border Police", "Uprava granične policije"),
        Agency("CRIMINAL_POLICE", "Criminal Police", "Uprava kriminalističke policije"),
        Agency("SIRENE", "SIRENE Bureau", "Biro SIRENE"),
        Agency("ASYLUM_OFFICE", "Asylum Office", "Kancelarija za azil"),
        Agency("CUSTOMS", "Customs Administration", "Uprava carina"),
        Agency("VETERINARY", "Veterinary Border Inspection", "Granična veterinarska inspekcija"),
        Agency("PHYTOSANITARY", "Phytosanitary Border Inspection", "Granična fitosanitarna inspekcija"),
        Agency("RISK_ANALYSIS", "Risk Analysis Unit", "Jedinica za analizu rizika"),
        Agency("DPO", "Data Protection Officer", "Lice za zaštitu podataka o ličnosti"),
        Agency("SYSADMIN", "System Administration", "Sistemska administracija"),
    )
}

# Every permission a service may check, with what it allows.
PERMISSIONS: dict[str, str] = {
    "alerts.person.read": "see person alerts (except discreet and specific check alerts)",
    "alerts.person.read_discreet": "see discreet, inquiry and specific check alerts on persons",
    "alerts.object.read": "see alerts on objects",
    "alerts.supplementary.read": "see supplementary information held by the SIRENE Bureau",
    "alerts.enter": "enter and edit draft alerts",
    "alerts.validate": "validate (four eyes) and extend alerts",
    "alerts.delete": "delete alerts",
    "alerts.import": "import the national copy of other countries' alerts",
    "alerts.export": "export alerts",
    "border.check": "check travellers at a border crossing point",
    "border.refuse": "decide refusals of entry",
    "border.supervise": "see the lane queue and the shift's checks",
    "border.admin": "seed the SLTD stand-in and erase expired border records (retention)",
    "sirene.operate": "work SIRENE cases and forms",
    "asylum.enrol": "enrol data subjects in the fingerprint database",
    "asylum.verify": "verify fingerprint hits as a fingerprint expert",
    "asylum.search": "search the fingerprint database on its own, for a documented purpose",
    "asylum.manage": "mark, block, correct and erase data subjects, run the retention job",
    "cooperation.read": "see shared inter-agency records",
    "cooperation.write": "enter shared inter-agency records",
    "cooperation.profiles": "write and retire joint risk profiles",
    "analysis.read": "see statistics and risk analysis",
    "audit.read": "read the audit log",
    "audit.verify": "verify the audit chain",
    "dpo.subject_access": "answer data subjects' access requests",
    "exchange.monitor": "see the state of the links to other nodes and test them (no content)",
    "users.manage": "create, disable users and issue tokens",
    "system.backup": "back up and restore the database",
}

ROLES: dict[str, frozenset[str]] = {
    "border_guard": frozenset(
        {"alerts.person.read", "alerts.object.read", "border.check", "border.refuse",
         "cooperation.read"}
    ),
    "border_supervisor": frozenset(
        {"alerts.person.read", "alerts.object.read", "border.check", "border.refuse",
         "border.supervise", "cooperation.read", "cooperation.write", "cooperation.profiles"}
    ),
    # a kiosk or e-gate client: checks only, no refusals (a guard decides those)
    "border_kiosk": frozenset({"alerts.person.read", "alerts.object.read", "border.check"}),
    "police_officer": frozenset(
        {"alerts.person.read", "alerts.person.read_discreet", "alerts.object.read", "alerts.enter"}
    ),
    "police_validator": frozenset(
        {"alerts.person.read", "alerts.person.read_discreet", "alerts.object.read",
         "alerts.enter", "alerts.validate", "alerts.delete"}
    ),
    "sirene_operator": frozenset(
        {"alerts.person.read", "alerts.person.read_discreet", "alerts.object.read",
         "alerts.supplementary.read", "alerts.enter", "alerts.validate", "alerts.delete",
         "alerts.import", "alerts.export", "sirene.operate", "exchange.monitor"}
    ),
    "asylum_officer": frozenset({"asylum.enrol", "asylum.manage", "alerts.person.read"}),
    "fingerprint_expert": frozenset({"asylum.enrol", "asylum.verify", "asylum.search"}),
    "customs_officer": frozenset({"alerts.object.read", "cooperation.read", "cooperation.write",
                                  "cooperation.profiles"}),
    "inspector": frozenset({"cooperation.read", "cooperation.write"}),
    "risk_analyst": frozenset({"analysis.read", "cooperation.read", "cooperation.profiles"}),
    "dpo": frozenset({"audit.read", "audit.verify", "dpo.subject_access"}),
    "sysadmin": frozenset({"users.manage", "system.backup", "audit.verify", "border.admin",
                           "exchange.monitor"}),
}

# Why a user of each role consults data when a request states no purpose (the audit log's
# `purpose`); every role has one.
ROLE_PURPOSES: dict[str, str] = {
    "border_guard": "border check",
    "border_supervisor": "border check supervision",
    "border_kiosk": "automated border check",
    "police_officer": "criminal investigation",
    "police_validator": "criminal investigation",
    "sirene_operator": "SIRENE cooperation",
    "asylum_officer": "asylum procedure",
    "fingerprint_expert": "fingerprint verification",
    "customs_officer": "customs control",
    "inspector": "border inspection",
    "risk_analyst": "risk analysis",
    "dpo": "data protection supervision",
    "sysadmin": "system administration",
}

# The roles a user of each agency may be given.
AGENCY_ROLES: dict[str, frozenset[str]] = {
    "BORDER_POLICE": frozenset({"border_guard", "border_supervisor", "border_kiosk"}),
    "CRIMINAL_POLICE": frozenset({"police_officer", "police_validator"}),
    "SIRENE": frozenset({"sirene_operator"}),
    "ASYLUM_OFFICE": frozenset({"asylum_officer", "fingerprint_expert"}),
    "CUSTOMS": frozenset({"customs_officer"}),
    "VETERINARY": frozenset({"inspector"}),
    "PHYTOSANITARY": frozenset({"inspector"}),
    "RISK_ANALYSIS": frozenset({"risk_analyst"}),
    "DPO": frozenset({"dpo"}),
    "SYSADMIN": frozenset({"sysadmin"}),
}


def permissions_of(roles: frozenset[str] | set[str] | list[str]) -> frozenset[str]:
    out: set[str] = set()
    for role in roles:
        out |= ROLES[role]
    return frozenset(out)
