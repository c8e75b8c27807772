"""App configuration for accounts."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        # Registers the OpenAPI extension for the project's JWT authentication.
        from apps.accounts import schema  # noqa: F401
