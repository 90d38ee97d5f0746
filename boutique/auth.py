"""Who may see what: the login user loader and the staff guard."""

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from .extensions import db, login_manager
from .formatting import parse_id
from .models import User


@login_manager.user_loader
def load_user(user_id):
    user_id = parse_id(user_id)
    return db.session.get(User, user_id) if user_id is not None else None


def staff_required(view):
    """Let staff in; send anonymous visitors to login and refuse customers (403)."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_staff:
            abort(403)
        return view(*args, **kwargs)

    return wrapped
