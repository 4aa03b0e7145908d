"""`python -m convive.loyalty` runs the loyalty service."""

from convive.loyalty.app import create_app
from convive.loyalty.settings import Settings
from convive.runtime.app import serve

if __name__ == "__main__":
    settings = Settings()
    serve(lambda: create_app(settings), settings)
