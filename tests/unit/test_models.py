"""Model rules a customer sees: the deletion date, prohibited channels, bilingual statement texts."""

from datetime import date

import pytest

from portal.models import ControllerSettings, Customer, MarketingProhibition
from portal.models.customers import add_years


@pytest.mark.parametrize("ended, years, deletion", [
    (date(2022, 6, 30), 10, date(2032, 6, 30)),
    (date(2020, 2, 29), 10, date(2030, 2, 28)),
    (date(2024, 2, 29), 4, date(2028, 2, 29)),
    (date(2018, 12, 31), 7, date(2025, 12, 31)),
])
def test_deletion_date_is_the_same_day_years_later(ended, years, deletion):
    customer = Customer(relationship_start=date(2010, 1, 1), relationship_end=ended)
    assert customer.retention_until(years) == deletion


def test_ongoing_relationship_has_no_deletion_date():
    assert Customer(relationship_start=date(2010, 1, 1)).retention_until(10) is None


def test_add_years_handles_leap_day():
    assert add_years(date(2020, 2, 29), 1) == date(2021, 2, 28)


def test_prohibited_channels_lists_each_prohibition():
    customer = Customer(first_name="Maija", last_name="Meikäläinen")
    customer.prohibitions = [MarketingProhibition(channel="distance_selling"),
                             MarketingProhibition(channel="catalogues")]
    assert customer.prohibited_channels() == {"distance_selling", "catalogues"}
    assert customer.full_name == "Maija Meikäläinen"


def test_repr_holds_no_personal_data():
    customer = Customer(id=7, first_name="Maija", last_name="Meikäläinen", email="maija@esimerkki.example")
    assert "Maija" not in repr(customer) and "esimerkki" not in repr(customer)


@pytest.mark.parametrize("locale, expected", [("fi", "Suomeksi"), ("en", "In English")])
def test_statement_text_in_the_readers_language(locale, expected):
    settings = ControllerSettings(purposes_fi="Suomeksi", purposes_en="In English")
    assert settings.text("purposes", locale) == expected


def test_statement_text_falls_back_to_the_other_language():
    settings = ControllerSettings(purposes_fi="Vain suomeksi", purposes_en="")
    assert settings.text("purposes", "en") == "Vain suomeksi"


def test_statement_text_refuses_unknown_fields():
    with pytest.raises(KeyError):
        ControllerSettings().text("name", "fi")


def test_controller_address_on_one_line():
    settings = ControllerSettings(street_address="Esimerkkikatu 1", postal_code="00100", city="Helsinki")
    assert settings.address == "Esimerkkikatu 1, 00100 Helsinki"
