"""`python -m convive.gateway` runs the gateway service."""

from convive.gateway.app import create_app
from convive.gateway.settings import Settings
from convive.runtime.app import serve

if __name__ == "__main__":
    settings = Settings()
    serve(lambda: create_app(settings), settings)
