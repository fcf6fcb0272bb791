"""The marketing prohibitions form and the words shown for each channel."""

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget

from portal.i18n import lazy_gettext as _l
from portal.models.customers import MARKETING_CHANNELS

# The checkbox of each channel: what ticking it means.
CHECKBOX_LABELS = {
    "direct_advertising": _l("I prohibit direct advertising"),
    "distance_selling": _l("I prohibit distance selling"),
    "direct_marketing": _l("I prohibit other direct marketing"),
    "market_research": _l("I prohibit market and opinion research"),
    "catalogues": _l("I prohibit publishing my data in catalogues and on mailing labels"),
}

# One plain line under each checkbox: what the channel covers.
EXPLANATIONS = {
    "direct_advertising": _l("We send you advertisements by post, email or text message."),
    "distance_selling": _l("We call you or send you a message to offer our products."),
    "direct_marketing": _l("Other marketing addressed to you personally, such as newsletters "
                           "and offers."),
    "market_research": _l("We ask you, directly or through a research company, to answer "
                          "surveys."),
    "catalogues": _l("Your name and address in printed or electronic lists, such as mailing "
                     "labels for advertisements."),
}

# The flash message after saving, per channel: switched on, switched off.
PROHIBITED_NOW = {
    "direct_advertising": _l("We will no longer use your data for direct advertising."),
    "distance_selling": _l("We will no longer use your data for distance selling."),
    "direct_marketing": _l("We will no longer use your data for other direct marketing."),
    "market_research": _l("We will no longer use your data for market and opinion research."),
    "catalogues": _l("We will no longer publish your data in catalogues or on mailing labels."),
}
ALLOWED_NOW = {
    "direct_advertising": _l("We may again use your data for direct advertising."),
    "distance_selling": _l("We may again use your data for distance selling."),
    "direct_marketing": _l("We may again use your data for other direct marketing."),
    "market_research": _l("We may again use your data for market and opinion research."),
    "catalogues": _l("We may again publish your data in catalogues and on mailing labels."),
}


class CheckboxesField(SelectMultipleField):
    """A multiple choice shown as one checkbox per option."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class MarketingForm(FlaskForm):
    """The customer's marketing prohibitions: a ticked box is a prohibition."""

    prohibited = CheckboxesField(
        _l("Choose what you prohibit"),
        choices=[SelectChoice(c, CHECKBOX_LABELS[c]) for c in MARKETING_CHANNELS],
    )
    submit = SubmitField(_l("Save choices"))
