"""`python -m convive.pos_gateway` runs the pos-gateway service."""

from convive.pos_gateway.app import create_app
from convive.pos_gateway.settings import Settings
from convive.runtime.app import serve

if __name__ == "__main__":
    settings = Settings()
    serve(lambda: create_app(settings), settings)
