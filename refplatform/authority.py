"""Who may act for whom (授权管理): legal representatives, authorised agents (经办人) and delegations (代办).

Fictitious seed data, kept by the platform in SQLite (refplatform.grants loads it):

- every business's legal representative (devices.sim_people and the generated businesses);
- authorised agents of a business, each with a scope of services and an end date;
- delegations between people: who, for whom, which certificate types, until when. 李秀英 (75,
  sample person 3) has delegated her household and social-insurance proofs to 张伟明 (sample
  person 1, her son in this fiction); an expired one shows the refusal.
"""

from __future__ import annotations

from typing import Any

from devices.sim_people import SAMPLE_BUSINESSES, SAMPLE_PEOPLE

ZHANG, AYGUL, LI, CHEN, BATER = (SAMPLE_PEOPLE[i].number for i in (0, 1, 2, 3, 6))
HANGZHOU_TECH, BEIJING_FOOD, _ = (b["uscc"] for b in SAMPLE_BUSINESSES)

# (uscc, holder code of the agent, services, valid until ISO date)
AGENTS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    (HANGZHOU_TECH, AYGUL, ("business_certs",), "2030-12-31"),  # 经办人 of 杭州示例科技有限公司
    (BEIJING_FOOD, CHEN, ("business_certs",), "2025-06-30"),  # an agency that has ended
)

# (delegation id, delegator code, delegate code, certificate type codes, valid until ISO date)
DELEGATIONS: tuple[tuple[str, str, str, tuple[str, ...], str], ...] = (
    ("dlg-li-to-zhang", LI, ZHANG, ("01001", "02001"), "2030-12-31"),  # household + social insurance
    ("dlg-bater-to-aygul", BATER, AYGUL, ("01001",), "2025-01-31"),  # expired
)


def representations() -> list[dict[str, Any]]:
    """Every (business, person, role, services, valid_until) the platform knows."""
    from refplatform.seed import _generated_businesses, _generated_citizens

    rows = [{"uscc": b["uscc"], "name": b["name"], "holder_code": b["legal_rep"], "role": "legal_rep",
             "services": ["business_certs"], "valid_until": None}
            for b in (*SAMPLE_BUSINESSES, *_generated_businesses(_generated_citizens()))]
    names = {b["uscc"]: b["name"] for b in SAMPLE_BUSINESSES}
    rows += [{"uscc": uscc, "name": names[uscc], "holder_code": code, "role": "agent", "services": list(services),
              "valid_until": until} for uscc, code, services, until in AGENTS]
    return rows


def delegations() -> list[dict[str, Any]]:
    return [{"delegation_id": d, "delegator_code": frm, "delegate_code": to, "cert_types": list(types),
             "valid_until": until} for d, frm, to, types, until in DELEGATIONS]


def cert_type(identifier: str) -> str:
    """The type code of a certificate identifier (1.2.156.3005.2.<type>.…)."""
    parts = identifier.split(".")
    return parts[5] if len(parts) > 5 else ""
