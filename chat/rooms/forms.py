"""Room forms; Flask-WTF adds and checks the CSRF token."""

import uuid

from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from chat.forms import PageForm


class NewRoomForm(PageForm):
    """The new-room form on the room list."""

    name = StringField("Room name", validators=[DataRequired(), Length(max=80)])
    private = BooleanField("Private (members only)", false_values=("", "0", "false", "off"))


class MessageForm(PageForm):
    """The message form of a room page without JavaScript, with a fresh client_id per page."""

    text = TextAreaField("Message", validators=[DataRequired()])
    # A fresh id per rendered form: submitting it twice stores the message once.
    client_id = HiddenField(default=lambda: uuid.uuid4().hex)


class AddMemberForm(PageForm):
    """The add-a-member form of a private room."""

    username = StringField("Username", validators=[DataRequired(), Length(max=32)])
