"""Missing items follow the contract's table, evaluated from the requirements data file."""

from __future__ import annotations

import pytest

from bot.requirements import load_requirements, missing_items
from bot.verdict import Category

REQUIREMENTS = load_requirements()


@pytest.mark.parametrize(
    ("category", "present", "conditions", "expected"),
    [
        (Category.NEW_APPLICATION, set(), set(), ("application_form", "dpia", "variable_list")),
        (Category.NEW_APPLICATION, {"application_form", "script", "dpia_exemption"}, set(), ()),
        (
            Category.NEW_APPLICATION,
            {"application_form", "variable_list", "text:dpia_exemption"},
            set(),
            (),
        ),
        (
            Category.NEW_APPLICATION,
            {"application_form", "variable_list", "dpia"},
            {"identifying_variables_requested"},
            ("identifying_variables_justification",),
        ),
        (
            Category.NEW_APPLICATION,
            {"application_form", "variable_list", "dpia", "text:identifying_justification"},
            {"identifying_variables_requested"},
            (),
        ),
        (
            Category.CHANGE_REQUEST,
            set(),
            set(),
            ("case_reference", "updated_documentation", "variable_list"),
        ),
        (
            Category.CHANGE_REQUEST,
            {"documentation", "variable_list", "field:case_reference"},
            set(),
            (),
        ),
        (Category.SIGNED_OFFER, {"field:case_reference"}, set(), ("signed_offer",)),
        (Category.SIGNED_OFFER, {"signed_offer"}, set(), ("case_reference",)),
        (Category.DELETION_CONFIRMATION, set(), set(), ("case_reference",)),
        (Category.DELETION_CONFIRMATION, {"field:case_reference"}, set(), ()),
        (Category.OTHER, set(), {"identifying_variables_requested"}, ()),
    ],
)
def test_missing_items_per_category(
    category: Category, present: set[str], conditions: set[str], expected: tuple[str, ...]
) -> None:
    assert (
        missing_items(category, frozenset(present), frozenset(conditions), REQUIREMENTS) == expected
    )


def test_every_category_has_the_contract_codes_and_no_others() -> None:
    codes: dict[Category, set[str]] = {c: set() for c in Category}
    for requirement in REQUIREMENTS:
        codes[requirement.category].add(requirement.code)
    assert codes == {
        Category.NEW_APPLICATION: {
            "application_form",
            "variable_list",
            "dpia",
            "identifying_variables_justification",
        },
        Category.CHANGE_REQUEST: {"updated_documentation", "variable_list", "case_reference"},
        Category.SIGNED_OFFER: {"signed_offer", "case_reference"},
        Category.DELETION_CONFIRMATION: {"case_reference"},
        Category.OTHER: set(),
    }
