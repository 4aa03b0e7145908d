"""`python -m convive.ordering` runs the ordering service."""

from convive.ordering.app import create_app
from convive.ordering.settings import Settings
from convive.runtime.app import serve

if __name__ == "__main__":
    settings = Settings()
    serve(lambda: create_app(settings), settings)
