"""Templates look the catalogue up once per locale in a request, and still follow force_locale."""

from __future__ import annotations

from flask import render_template_string
from flask_babel import force_locale

TEMPLATE = "{{ _('Log out') }}|{{ ngettext('%(num)d day left', '%(num)d days left', 3) }}"


def test_template_text_follows_the_locale_and_force_locale(app):
    with app.test_request_context("/", headers={"Accept-Language": "fi"}):
        finnish = render_template_string(TEMPLATE)
        assert finnish == "Kirjaudu ulos|3 päivää jäljellä"
        with force_locale("en"):  # an email in the recipient's language, in the middle of a page
            assert render_template_string(TEMPLATE) == "Log out|3 days left"
        assert render_template_string(TEMPLATE) == finnish
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert render_template_string(TEMPLATE) == "Log out|3 days left"
