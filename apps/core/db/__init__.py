"""Provides the PostgreSQL backend the project runs on: Django's, health-checked
without a round trip (see base.py)."""
