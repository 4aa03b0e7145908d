"""`python -m convive.table_session` runs the table-session service."""

from convive.runtime.app import serve
from convive.table_session.app import create_app
from convive.table_session.settings import Settings

if __name__ == "__main__":
    settings = Settings()
    serve(lambda: create_app(settings), settings)
