"""Flask extensions, created once here and bound to the app in `create_app`."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

#: Constraint names are predictable, so migrations can refer to them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


#: Objects stay readable after the commit: a request that just registered a complaint answers
#: from what it wrote instead of reading it back (and, on SQLite, taking the lock again).
#: `hide_parameters`: a database error's message (and so any traceback logged) never quotes the
#: statement's values, which are complainants' names and texts (SQLALCHEMY_ENGINE_OPTIONS adds
#: to these options, key by key).
db = SQLAlchemy(
    model_class=Base, session_options={"expire_on_commit": False}, engine_options={"hide_parameters": True}
)
csrf = CSRFProtect()
babel = Babel()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.session_protection = "strong"
#: Storage comes from RATELIMIT_STORAGE_URI (memory by default; Redis for several servers).
limiter = Limiter(key_func=get_remote_address)
