"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi run`."""

from app import create_app
from app.serving.workers import settle

app = create_app()
settle()  # what start-up made stays out of the garbage collector's full passes
