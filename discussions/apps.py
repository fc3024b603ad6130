from django.apps import AppConfig


class DiscussionsConfig(AppConfig):
    name = "discussions"
    verbose_name = "Discussions"

    def ready(self) -> None:
        from agora.snapshots import invalidate_on_change
        from articles.models import Section
        from discussions.commenting import POLICIES_SNAPSHOT
        from discussions.models import CommentingPolicy

        invalidate_on_change(POLICIES_SNAPSHOT, CommentingPolicy, Section)  # a section's name is shown
