from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from accounts import roles

        post_migrate.connect(roles.ensure_roles_after_migrate, dispatch_uid="accounts.ensure_roles")
