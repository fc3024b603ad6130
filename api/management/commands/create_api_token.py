from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from api.models import ApiToken


class Command(BaseCommand):
    help = "Create a bearer token for the JSON API.  The key is printed once and never stored."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="What the token is for (shown in the admin).")

    def handle(self, *args, username: str, name: str, **options) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user is called {username!r}.")
        if not user.is_active:
            raise CommandError(f"{username!r} is not an active account.")
        token, key = ApiToken.issue(user, name=name[:100])
        self.stderr.write(
            f"Token {token.pk} created for {user.username}. Copy the key now: it is not stored "
            "and cannot be shown again.  Revoke it in the admin (API tokens)."
        )
        self.stdout.write(key)
