from django.apps import AppConfig


class EmbedConfig(AppConfig):
    name = "embed"
    verbose_name = "Embedded discussions"

    def ready(self) -> None:
        from embed import checks  # noqa: F401  (registers the settings check)
