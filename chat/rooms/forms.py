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


class RenameForm(PageForm):
    """A room's name, changed by its admins."""

    name = StringField("Name", validators=[DataRequired(), Length(max=80)])


class TopicForm(PageForm):
    """The line under a room's name (empty clears it)."""

    topic = StringField("Topic", validators=[Length(max=250)])


class DeleteRoomForm(PageForm):
    """Deleting a room asks for its name, typed."""

    confirmation = StringField("Type the room's name to delete it", validators=[DataRequired()])


class PersonForm(PageForm):
    """A form about one member: add, remove, make admin (``admin`` says which way)."""

    username = HiddenField(validators=[DataRequired(), Length(max=32)])
    admin = HiddenField(default="1")


class ConfirmForm(PageForm):
    """A button that does one thing (archive, restore, leave): only its CSRF token."""


class GroupForm(PageForm):
    """A group conversation's people, by username, separated by commas or spaces."""

    usernames = StringField("People", validators=[DataRequired(), Length(max=300)])
