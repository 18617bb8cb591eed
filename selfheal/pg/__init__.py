"""The PostgreSQL engine: what a server database needs beyond the shared model, planner and report.

The planner (`selfheal.plan`), the model, the comparisons and the report are shared with SQLite; this
package provides what differs per engine: the type mapping (`types`), the catalogue reader
(`catalog`), the DDL renderer (`ddl`) and the applier with its lock and verification (`heal`). It is
imported only when schema.json declares a PostgreSQL database, and psycopg only then.
"""
