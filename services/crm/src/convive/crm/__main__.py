"""`python -m convive.crm` runs the crm service."""

from convive.crm.app import create_app
from convive.crm.settings import Settings
from convive.runtime.app import serve

if __name__ == "__main__":
    settings = Settings()
    serve(lambda: create_app(settings), settings)
