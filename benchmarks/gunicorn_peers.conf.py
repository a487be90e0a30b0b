"""gunicorn settings of benchmarks/peers.py: none. Every system compared there (the app, bare
Flask, django-helpdesk) runs with gunicorn's defaults and the same command-line options; naming
this file with `--config` keeps gunicorn from reading the project's ./gunicorn.conf.py for the
servers started in the project root and not for the one started in benchmarks/."""
