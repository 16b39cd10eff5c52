"""Room forms; Flask-WTF adds and checks the CSRF token."""

import uuid

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length


class NewRoomForm(FlaskForm):
    name = StringField("Room name", validators=[DataRequired(), Length(max=80)])
    private = BooleanField("Private (members only)", false_values=("", "0", "false", "off"))


class MessageForm(FlaskForm):
    text = TextAreaField("Message", validators=[DataRequired()])
    # A fresh id per rendered form: submitting it twice stores the message once.
    client_id = HiddenField(default=lambda: uuid.uuid4().hex)


class AddMemberForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=32)])
