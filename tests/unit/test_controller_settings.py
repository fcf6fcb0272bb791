"""update_settings validates the controller's details before anything is saved."""

from datetime import date

import pytest

from portal.services.controller import SettingsError, get_settings, update_settings

REQUIRED = {"name": "Testikaluste Oy", "privacy_email": "tietosuoja@testikaluste.example"}


def test_first_save_creates_the_single_row(db):
    update_settings(db.session, {**REQUIRED, "business_id": "2345678-0"})
    settings = get_settings(db.session)
    assert (settings.id, settings.name, settings.business_id) == (1, "Testikaluste Oy", "2345678-0")


def test_values_are_trimmed_and_the_email_normalised(db):
    update_settings(db.session, {"name": "  Testikaluste Oy ",
                                 "privacy_email": "Tietosuoja@Testikaluste.EXAMPLE"})
    settings = get_settings(db.session)
    assert settings.name == "Testikaluste Oy"
    assert settings.privacy_email == "Tietosuoja@testikaluste.example"


def test_statement_date_accepts_iso_text(db):
    update_settings(db.session, {**REQUIRED, "statement_date": "2026-11-01"})
    assert get_settings(db.session).statement_date == date(2026, 11, 1)


@pytest.mark.parametrize("values, problem", [
    ({"business_id": "1234567-2"}, "business_id"),
    ({"retention_years": 51}, "retention_years"),
    ({"retention_years": "10"}, "retention_years"),
    ({"statement_date": "1.11.2026"}, "statement_date"),
    ({"contact_email": "ei osoite"}, "contact_email"),
    ({"phone": 1234567}, "phone"),
    ({"colour": "blue"}, "colour"),
])
def test_bad_value_is_refused_and_nothing_saved(db, values, problem):
    update_settings(db.session, REQUIRED)
    with pytest.raises(SettingsError, match=problem):
        update_settings(db.session, {"name": "Muutettu Oy", **values})
    db.session.rollback()
    assert get_settings(db.session).name == "Testikaluste Oy"


def test_partial_update_keeps_the_rest(db):
    update_settings(db.session, {**REQUIRED, "city": "Lahti"})
    update_settings(db.session, {"city": "Hollola"})
    settings = get_settings(db.session)
    assert (settings.name, settings.city) == ("Testikaluste Oy", "Hollola")
