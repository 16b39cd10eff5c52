"""Account forms; Flask-WTF adds and checks the CSRF token."""

from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from chat.forms import PageForm


class LoginForm(PageForm):
    """The login form: username and password."""

    username = StringField("Username", validators=[DataRequired(), Length(max=32)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])


class RegisterForm(PageForm):
    """The sign-up form: a username and a password to set."""

    username = StringField("Username", validators=[DataRequired(), Length(max=32)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])


class NewPasswordForm(PageForm):
    """A new password, set through an operator's one-time reset link."""

    password = PasswordField("New password", validators=[DataRequired(), Length(max=256)])
