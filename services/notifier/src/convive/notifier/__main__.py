"""`python -m convive.notifier` runs the notifier service."""

from convive.notifier.app import create_app
from convive.notifier.settings import Settings
from convive.runtime.app import serve

if __name__ == "__main__":
    settings = Settings()
    serve(lambda: create_app(settings), settings)
