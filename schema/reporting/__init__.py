"""Reporting storage: the settings the KPI views of migration 0012 read (docs/database.md, "Views")."""
