"""A fictional demo register for Esimerkki Oy. Every person and company here is made up."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

from flask_security import hash_password
from flask_security.proxies import _security
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.demo_requests import add_demo_requests
from portal.models import (
    Customer,
    DataSource,
    Disclosure,
    Invoice,
    MarketingChange,
    MarketingProhibition,
    Order,
    Quote,
    Role,
    User,
)
from portal.models.types import utcnow
from portal.services.controller import update_settings
from portal.services.requests import helsinki_date

DEMO_PASSWORD = "Esimerkki-demo-2026"
STAFF_EMAIL = "kasittelija@esimerkki.example"
ADMIN_EMAIL = "tietosuojavastaava@esimerkki.example"

CONTROLLER = {
    "name": "Esimerkki Oy",
    "business_id": "1234567-1",
    "street_address": "Esimerkkikatu 1",
    "postal_code": "00100",
    "city": "Helsinki",
    "phone": "+358 9 123 4567",
    "privacy_email": "tietosuoja@esimerkki.example",
    "contact_name": "Eeva Esimerkki",
    "contact_email": "eeva.esimerkki@esimerkki.example",
    "contact_phone": "+358 40 123 4567",
    "statement_date": date(2026, 11, 1),
    "retention_years": 10,
    "register_name_fi": "Esimerkki Oy:n asiakasrekisteri",
    "register_name_en": "Esimerkki Oy customer register",
    "purposes_fi": "Käsittelemme tietojasi, jotta voimme pitää asiakasrekisteriä, käsitellä tilauksesi, "
                   "laskuttaa ja arkistoida ne sekä hoitaa asiakassuhdettamme. Käytämme tietoja myös "
                   "toimintamme kehittämiseen, tilastointiin ja markkinointiin, ellet ole kieltänyt "
                   "markkinointia.",
    "purposes_en": "We process your data to keep the customer register, to handle, bill and archive your "
                   "orders, and to manage our customer relationship. We also use the data to develop our "
                   "business, for statistics and for marketing, unless you have prohibited marketing.",
    "legal_basis_fi": "Sopimus kanssasi (asiakassuhde), oikeutettu etumme (asiakassuhteen hoitaminen ja "
                      "markkinointi) sekä lakisääteiset velvoitteemme (kirjanpitolaki).",
    "legal_basis_en": "Our contract with you (the customer relationship), our legitimate interest (managing "
                      "the relationship and marketing) and our legal obligations (the Finnish Accounting "
                      "Act).",
    "sources_fi": "Saamme tiedot sinulta itseltäsi, kun rekisteröidyt, ostat meiltä tai otat meihin "
                  "yhteyttä. Nimi- ja osoitetietojen päivitykset saamme viranomaisten ja yritysten "
                  "päivityspalveluista sekä alihankkijoilta, jotka auttavat meitä tuottamaan palvelua.",
    "sources_en": "We get the data from you when you register, buy from us or contact us. We get name and "
                  "address updates from the update services of the authorities and of companies, and from "
                  "subcontractors who help us provide the service.",
    "disclosures_fi": "Luovutamme tietoja vain luottopäätöksiä, perintää ja laskutusta varten sekä silloin, "
                      "kun laki sitä edellyttää.",
    "disclosures_en": "We disclose data only for credit decisions, debt collection and billing, and where "
                      "the law requires it.",
    "transfers_fi": "Emme siirrä tietoja EU:n tai ETA:n ulkopuolelle.",
    "transfers_en": "We do not transfer data outside the EU or the EEA.",
    "retention_fi": "Säilytämme kirjanpitoaineiston, kuten laskut, kirjanpitolain edellyttämän ajan: "
                    "kirjanpidon 10 vuotta ja tositteet 6 vuotta.",
    "retention_en": "We keep accounting records, such as invoices, as long as the Accounting Act requires: "
                    "the books for 10 years and vouchers for 6 years.",
    "security_fi": "Säilytämme paperiset asiakirjat lukituissa ja paloturvallisissa tiloissa. Sähköisiä "
                   "tietoja saavat käsitellä vain nimetyt työntekijämme, joilla on oma käyttäjätunnus ja "
                   "salasana ja jotka ovat allekirjoittaneet salassapitositoumuksen. Järjestelmämme on "
                   "suojattu palomuurilla.",
    "security_en": "We keep paper documents in locked, fire-safe storage. Only our designated employees who "
                   "have their own user name and password and have signed a confidentiality commitment may "
                   "process electronic data. Our systems are protected by a firewall.",
    "cookies_fi": "Käytämme portaalissa vain välttämättömiä evästeitä. Yksi pitää sinut kirjautuneena ja "
                  "muistaa valitsemasi kielen. Toinen tallentuu, kun kirjaudut sisään: se muistaa selaimesi "
                  "vuoden ajan, jotta pääset kirjautumaan silloinkin, kun joku muu yrittää arvata "
                  "salasanaasi. Emme käytä analytiikka- tai markkinointievästeitä.",
    "cookies_en": "We use only essential cookies in the portal. One keeps you logged in and remembers your "
                  "language. The other is set when you log in: it remembers this browser for a year, so "
                  "that you can still log in while someone else is trying to guess your password. We use no "
                  "analytics or marketing cookies.",
    "confidentiality_fi": "Sitoudun pitämään salassa kaikki asiakasrekisterin tiedot, jotka saan tietooni "
                          "työssäni, myös työsuhteen päätyttyä. Käsittelen tietoja vain työtehtävieni "
                          "edellyttämässä laajuudessa enkä luovuta niitä sivullisille. Käytän vain omia "
                          "tunnuksiani enkä anna niitä kenenkään muun käyttöön. Ilmoitan viipymättä "
                          "tietoturvaloukkauksesta tai sen epäilystä tietosuojavastaavalle.",
    "confidentiality_en": "I undertake to keep confidential all customer register data that I learn in "
                          "my work, also after my employment ends. I process the data only as far as my "
                          "duties require and do not disclose it to outsiders. I use only my own "
                          "credentials and never let anyone else use them. I report a data breach, or a "
                          "suspected one, to the data protection officer without delay.",
    "profiling_fi": "Emme käytä tietojasi automaattiseen päätöksentekoon emmekä profilointiin.",
    "profiling_en": "We do not use your data for automated decision-making or profiling.",
}


@dataclass(frozen=True)
class DemoLogin:
    """A log-in printed for the person trying the demo."""

    role: str
    email: str
    password: str | None
    note: str


def _dt(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 10, 0, tzinfo=UTC)


def _people() -> list[dict]:
    return [
        dict(first_name="Maija", last_name="Meikäläinen", email="maija.meikalainen@esimerkki.example",
             phone="+358 40 111 2222", street_address="Koivukuja 3 A 5", postal_code="33100",
             city="Tampere", language="fi", relationship_start=date(2019, 3, 14),
             ip_address="192.0.2.10", technical_data="Verkkokauppa-asiakasnumero WK-10421"),
        dict(first_name="Matti", last_name="Virtanen", email="matti.virtanen@testiyhtio.example",
             phone="+358 50 333 4444", organisation="Testiyhtiö Oy", position="Hankintapäällikkö",
             business_id="2345678-0", website="https://testiyhtio.example",
             street_address="Teollisuustie 12", postal_code="20100", city="Turku", language="en",
             billing_address="Testiyhtiö Oy, PL 100, 20101 Turku",
             e_invoice_address="003723456780", e_invoice_operator="Esimerkkioperaattori",
             relationship_start=date(2016, 9, 1), is_contact_person=True),
        dict(first_name="Liisa", last_name="Esimerkki", email="liisa.esimerkki@esimerkki.example",
             phone="+358 44 555 6666", street_address="Rantatie 8", postal_code="90100",
             city="Oulu", language="fi", relationship_start=date(2021, 5, 20)),
        dict(first_name="Pekka", last_name="Mallinen", email="pekka.mallinen@esimerkki.example",
             phone="+358 45 777 8888", street_address="Mäkipolku 2", postal_code="40100",
             city="Jyväskylä", language="fi", relationship_start=date(2015, 1, 10),
             relationship_end=date(2022, 6, 30)),
        dict(first_name="Anna", last_name="Testinen", email="anna.testinen@esimerkki.example",
             street_address="Kuusitie 4", postal_code="70100", city="Kuopio", language="en",
             relationship_start=date(2012, 2, 2), relationship_end=date(2018, 12, 31)),
        dict(first_name="Sanna", last_name="Salminen", email="sanna.salminen@esimerkki.example",
             phone="+358 50 999 0000", language="fi", relationship_start=date(2026, 6, 1),
             ip_address="198.51.100.7"),
    ]


def _history(session: Session, people: dict[str, Customer]) -> None:
    maija, matti, liisa, pekka, anna = (people[k] for k in ("Maija", "Matti", "Liisa", "Pekka", "Anna"))
    session.add_all([
        Order(customer=maija, number="T-2024-0101", ordered_on=date(2024, 3, 2),
              description="Puutarhakalusteet", total_cents=48900, channel="webshop"),
        Order(customer=maija, number="T-2025-0877", ordered_on=date(2025, 8, 15),
              description="Grillin huoltopaketti", total_cents=12950, channel="shop"),
        Invoice(customer=maija, number="L-2025-0877", issued_on=date(2025, 8, 15),
                due_on=date(2025, 8, 29), total_cents=12950, status="paid", paid_on=date(2025, 8, 20)),
        Quote(customer=matti, number="TA-2026-014", issued_on=date(2026, 10, 5),
              valid_until=date(2026, 12, 5), description="Toimistokalusteet, 12 työpistettä",
              total_cents=1845000, status="sent"),
        Order(customer=matti, number="T-2026-0456", ordered_on=date(2026, 4, 9),
              description="Neuvotteluhuoneen kalusteet", total_cents=623450, channel="reseller"),
        Invoice(customer=matti, number="L-2026-0456", issued_on=date(2026, 4, 20),
                due_on=date(2026, 5, 4), total_cents=623450, status="paid", paid_on=date(2026, 5, 2)),
        Order(customer=liisa, number="T-2026-0990", ordered_on=date(2026, 10, 28),
              description="Sohva ja nojatuoli", total_cents=189000, channel="shop"),
        Invoice(customer=liisa, number="L-2026-0990", issued_on=date(2026, 11, 2),
                due_on=date(2026, 12, 2), total_cents=189000, status="open"),
        Order(customer=pekka, number="T-2022-0312", ordered_on=date(2022, 2, 11),
              description="Kuntopyörä", total_cents=79900, channel="webshop"),
        Invoice(customer=pekka, number="L-2022-0312", issued_on=date(2022, 2, 11),
                due_on=date(2022, 2, 25), total_cents=79900, status="collection"),
        Order(customer=anna, number="T-2018-0044", ordered_on=date(2018, 5, 5),
              description="Kirjahylly", total_cents=15900, channel="shop"),
        Invoice(customer=anna, number="L-2018-0044", issued_on=date(2018, 5, 5),
                due_on=date(2018, 5, 19), total_cents=15900, status="paid", paid_on=date(2018, 5, 10)),
    ])
    session.add_all([
        DataSource(customer=maija, kind="registration", detail="Verkkokaupan asiakastili",
                   received_on=date(2019, 3, 14)),
        DataSource(customer=maija, kind="webshop_purchase", received_on=date(2024, 3, 2)),
        DataSource(customer=maija, kind="address_service", detail="Osoitteenmuutos 2023",
                   received_on=date(2023, 6, 1)),
        DataSource(customer=matti, kind="reseller", detail="Jälleenmyyjä Kaluste Esimerkki",
                   received_on=date(2016, 9, 1)),
        DataSource(customer=matti, kind="customer_notice", received_on=date(2024, 1, 15)),
        DataSource(customer=liisa, kind="shop_purchase", received_on=date(2021, 5, 20)),
        DataSource(customer=pekka, kind="webshop_purchase", received_on=date(2015, 1, 10)),
        DataSource(customer=pekka, kind="subcontractor", detail="Kotiinkuljetus",
                   received_on=date(2022, 2, 12)),
        DataSource(customer=anna, kind="shop_purchase", received_on=date(2012, 2, 2)),
    ])
    session.add_all([
        Disclosure(customer=matti, recipient="Luottotieto Esimerkki Oy", recipient_category="credit_check",
                   data_disclosed="Nimi, yritys, Y-tunnus", disclosed_at=_dt(2026, 4, 10),
                   recipient_email="asiakaspalvelu@luottotieto.example"),
        Disclosure(customer=pekka, recipient="Perintä Esimerkki Oy", recipient_category="debt_collection",
                   data_disclosed="Nimi, osoite, puhelin, laskun tiedot", disclosed_at=_dt(2022, 4, 1),
                   recipient_email="perinta@perinta.example"),
        Disclosure(customer=maija, recipient="Laskutuspalvelu Esimerkki Oy", recipient_category="billing",
                   data_disclosed="Nimi, osoite, laskun tiedot", disclosed_at=_dt(2025, 8, 15)),
    ])
    session.add(MarketingProhibition(customer=maija, channel="distance_selling",
                                     since=_dt(2024, 3, 2)))
    session.add(MarketingChange(customer=maija, channel="distance_selling", prohibited=True,
                                changed_at=_dt(2024, 3, 2), changed_by="customer"))


def _role(session: Session, name: str, description: str) -> Role:
    role = session.execute(select(Role).where(Role.name == name)).scalar_one_or_none()
    if role is None:
        role = Role(name=name, description=description)
        session.add(role)
    return role


class DemoRefused(RuntimeError):
    """The database holds real register entries; the demo must not mix with them."""


def load_demo(session: Session, *, requests: bool = True) -> list[DemoLogin]:
    """Fill an empty (or demo-only) database with the demo register; return the log-ins.

    `requests=False` leaves out the demo's requests (tests of filing requests start clean).
    """
    real = session.execute(
        select(func.count()).select_from(Customer).where(Customer.demo.is_(False))
    ).scalar_one()
    if real:
        raise DemoRefused(real)
    update_settings(session, CONTROLLER)
    customer_role = _role(session, "customer", "Customer in the register")
    reviewer_role = _role(session, "reviewer", "Staff reviewer")
    admin_role = _role(session, "admin", "Staff administrator: audit log, staff and register")
    staff = _staff(session, STAFF_EMAIL, [reviewer_role], signed=False)
    admin = _staff(session, ADMIN_EMAIL, [reviewer_role, admin_role], signed=True)
    existing = session.execute(select(func.count()).select_from(Customer)).scalar_one()
    if not existing:
        people = {}
        for data in _people():
            customer = Customer(demo=True, **data)
            session.add(customer)
            people[data["first_name"]] = customer
        _history(session, people)
        session.flush()
        for key in ("Maija", "Matti", "Liisa", "Pekka", "Sanna"):
            customer = people[key]
            session.add(User(email=customer.email, password=hash_password(DEMO_PASSWORD),
                             fs_uniquifier=uuid.uuid4().hex, active=True, locale=customer.language,
                             customer=customer, roles=[customer_role],
                             activated_at=_dt(2026, 1, 5), confirmed_at=_dt(2026, 1, 5)))
        session.flush()
        if requests:
            add_demo_requests(session, people, staff, helsinki_date(utcnow()))
    session.commit()
    logins = [DemoLogin("customer", c["email"], DEMO_PASSWORD if c["first_name"] != "Anna" else None,
                        _NOTES[c["first_name"]]) for c in _people()]
    for user, note in ((staff, "reviewer; accepts the confidentiality commitment at first log-in"),
                       (admin, "reviewer and administrator (audit log)")):
        key = _security._totp_factory.get_totp_pretty_key(user.tf_totp_secret)
        logins.append(DemoLogin("staff", user.email, DEMO_PASSWORD,
                                f"{note}; TOTP secret for an authenticator app: {key}"))
    return logins


def _staff(session: Session, email: str, roles: list[Role], *, signed: bool) -> User:
    """A demo staff member with an authenticator secret, created once."""
    user = session.execute(select(User).where(User.email == email)).scalar_one_or_none()
    if user is None:
        user = User(email=email, password=hash_password(DEMO_PASSWORD), fs_uniquifier=uuid.uuid4().hex,
                    active=True, locale="fi", roles=roles, tf_primary_method="authenticator",
                    tf_totp_secret=_security._totp_factory.generate_totp_secret(),
                    confidentiality_signed_at=_dt(2026, 1, 2) if signed else None,
                    activated_at=_dt(2026, 1, 2))
        session.add(user)
        session.flush()
    return user


_NOTES = {
    "Maija": "private customer, Finnish; one marketing prohibition",
    "Matti": "company contact person (Testiyhtiö Oy), English",
    "Liisa": "has an open invoice",
    "Pekka": "customer relationship ended; a debt in collection; asked for erasure",
    "Anna": "no account yet: ask for an invitation at /get-access",
    "Sanna": "newsletter subscriber with no purchases: nothing holds her data",
}
