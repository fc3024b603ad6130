from django.apps import AppConfig


class InterestsConfig(AppConfig):
    name = "interests"
    verbose_name = "Readers' interests"

    def ready(self) -> None:
        from interests import signals  # noqa: F401  (indexes stored articles, follows topic merges)
