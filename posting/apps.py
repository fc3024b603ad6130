from django.apps import AppConfig


class PostingConfig(AppConfig):
    name = "posting"
    verbose_name = "Posting"

    def ready(self) -> None:
        from articles.signals import demo_loaded
        from posting.demo import add_to_demo

        demo_loaded.connect(add_to_demo, dispatch_uid="moderation_demo_community")
