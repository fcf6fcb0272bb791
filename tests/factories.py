"""factory_boy factories for fictional customers, accounts and history (Faker fi_FI)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import factory
from factory.alchemy import SQLAlchemyModelFactory
from flask_security import hash_password

from portal.extensions import db
from portal.models import Customer, DataSource, Disclosure, Invoice, Order, Role, User

PASSWORD = "Kolme-sanaa-perakkain-42"


class _Base(SQLAlchemyModelFactory):
    """Rows go into the app's session and are flushed; the test commits."""

    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731 - resolved per use
        sqlalchemy_session_persistence = "flush"


class CustomerFactory(_Base):
    """A private customer of a fictional company (email in the reserved .example domain)."""

    class Meta:
        model = Customer

    first_name = factory.Faker("first_name", locale="fi_FI")
    last_name = factory.Faker("last_name", locale="fi_FI")
    email = factory.Sequence(lambda n: f"asiakas{n}@testi.example")
    phone = factory.Sequence(lambda n: f"+358 40 {n % 1000:03d} {n % 10000:04d}")
    street_address = factory.Faker("street_address", locale="fi_FI")
    postal_code = factory.Faker("postcode", locale="fi_FI")
    city = factory.Faker("city", locale="fi_FI")
    language = "fi"
    relationship_start = date(2020, 1, 15)
    demo = False


class RoleFactory(_Base):
    """A role, reused when it exists."""

    class Meta:
        model = Role
        sqlalchemy_get_or_create = ("name",)

    name = "customer"


class UserFactory(_Base):
    """An activated customer account with the known test PASSWORD."""

    class Meta:
        model = User

    customer = factory.SubFactory(CustomerFactory)
    email = factory.LazyAttribute(lambda o: o.customer.email if o.customer else
                                  f"staff-{uuid.uuid4().hex[:8]}@testi.example")
    password = factory.LazyFunction(lambda: hash_password(PASSWORD))
    fs_uniquifier = factory.LazyFunction(lambda: uuid.uuid4().hex)
    active = True
    locale = factory.LazyAttribute(lambda o: o.customer.language if o.customer else "fi")
    activated_at = factory.LazyFunction(lambda: datetime.now(UTC))
    confirmed_at = factory.LazyFunction(lambda: datetime.now(UTC))

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        """Give the account the customer role unless roles are passed."""
        names = extracted if extracted is not None else (["customer"] if self.customer else [])
        self.roles = [RoleFactory(name=name) for name in names]


class OrderFactory(_Base):
    """An order of the customer."""

    class Meta:
        model = Order

    customer = factory.SubFactory(CustomerFactory)
    number = factory.Sequence(lambda n: f"T-TEST-{n:05d}")
    ordered_on = date(2025, 2, 3)
    description = "Testituote"
    total_cents = 123450


class InvoiceFactory(_Base):
    """An open invoice of the customer."""

    class Meta:
        model = Invoice

    customer = factory.SubFactory(CustomerFactory)
    number = factory.Sequence(lambda n: f"L-TEST-{n:05d}")
    issued_on = date(2025, 2, 3)
    due_on = date(2025, 2, 17)
    total_cents = 123450
    status = "open"


class DataSourceFactory(_Base):
    """A data source of the customer's data."""

    class Meta:
        model = DataSource

    customer = factory.SubFactory(CustomerFactory)
    kind = "shop_purchase"
    received_on = date(2020, 1, 15)


class DisclosureFactory(_Base):
    """A disclosure of the customer's data."""

    class Meta:
        model = Disclosure

    customer = factory.SubFactory(CustomerFactory)
    recipient = "Perintätesti Oy"
    recipient_category = "debt_collection"
    data_disclosed = "Nimi ja osoite"
    disclosed_at = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
