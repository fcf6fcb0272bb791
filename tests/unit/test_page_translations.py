"""Templates, lazy labels and WTForms look their catalogue up once (per request or per process),
and still follow the page's language and force_locale."""

from __future__ import annotations

import flask_wtf.i18n
from flask import render_template_string
from flask_babel import force_locale
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired

from portal import i18n
from portal.i18n import lazy_gettext

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


def test_a_lazy_label_is_translated_when_shown_in_the_language_showing_it(app):
    label = lazy_gettext("Log out")
    refusal = lazy_gettext("The SVG file has an event handler attribute (%(name)s), which is not "
                           "accepted.", name="onload")
    with app.test_request_context("/", headers={"Accept-Language": "fi"}):
        assert str(label) == "Kirjaudu ulos"
        assert str(refusal) == "SVG-tiedostossa on tapahtumankäsittelijä (onload), jota ei hyväksytä."
        assert render_template_string("{{ label }}", label=label) == "Kirjaudu ulos"
        with force_locale("en"):
            assert str(label) == "Log out"
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert str(label) == "Log out"


def test_wtforms_messages_come_in_the_page_language_from_a_catalogue_read_once(app):
    class Form(FlaskForm):
        name = StringField(validators=[DataRequired()])

    for language, expected in (("fi", "Tämä kenttä on pakollinen."), ("en", "This field is required."),
                               ("fi", "Tämä kenttä on pakollinen.")):
        with app.test_request_context("/", method="POST", data={"name": ""},
                                      headers={"Accept-Language": language}):
            form = Form(meta={"csrf": False})
            assert not form.validate()
            assert form.name.errors == [expected]
    assert flask_wtf.i18n._get_translations is i18n._wtforms_translations
    assert {language for _, language in i18n._WTFORMS_CATALOGUES} >= {"fi", "en"}
