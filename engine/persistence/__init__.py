"""SQL persistence: models, migrations, queries. The only package (with the service) importing SQLAlchemy."""
