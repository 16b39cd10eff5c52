"""The settings and admin pages' forms; Flask-WTF adds and checks the CSRF token."""

from wtforms import FloatField, IntegerField, PasswordField, RadioField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from chat.config import SIGNUP_MODES
from chat.domain.names import MAX_DISPLAY_NAME_CHARS
from chat.domain.signups import LONGEST_INVITE_DAYS, MOST_INVITE_USES
from chat.forms import PageForm


class ProfileForm(PageForm):
    """The display name shown beside the username (blank: none)."""

    display_name = StringField("Display name", validators=[Length(max=MAX_DISPLAY_NAME_CHARS * 4)])


class PasswordForm(PageForm):
    """A new password, given the current one."""

    current_password = PasswordField("Current password", validators=[DataRequired(), Length(max=256)])
    new_password = PasswordField("New password", validators=[DataRequired(), Length(max=256)])


MODE_LABELS = {
    "open": "Anyone who reaches this server",
    "invite-only": "Only people with an invitation link",
    "closed": "Nobody (administrators make accounts from the command line)",
}


class SignupModeForm(PageForm):
    """Who may sign up."""

    mode = RadioField(
        "Who may create an account",
        choices=[SelectChoice(mode, MODE_LABELS[mode]) for mode in SIGNUP_MODES],
        validators=[DataRequired()],
    )


class InviteForm(PageForm):
    """A new invitation link: optional expiry and use limit, rooms the newcomer joins."""

    days = FloatField(
        "Expires after (days)", validators=[Optional(), NumberRange(min=0.01, max=LONGEST_INVITE_DAYS)]
    )
    max_uses = IntegerField(
        "Sign-ups it allows", validators=[Optional(), NumberRange(min=1, max=MOST_INVITE_USES)]
    )
    rooms = SelectMultipleField("Rooms newcomers join", choices=[], validate_choice=False)


class ConfirmForm(PageForm):
    """A button that changes something: only its CSRF token."""
