from django.apps import AppConfig


class DiscussionsConfig(AppConfig):
    name = "discussions"
    verbose_name = "Discussions"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from agora.snapshots import invalidate_on_change
        from articles.models import Section
        from discussions.commenting import POLICIES_SNAPSHOT, section_saved
        from discussions.models import CommentingPolicy

        invalidate_on_change(POLICIES_SNAPSHOT, CommentingPolicy)
        post_save.connect(section_saved, sender=Section, dispatch_uid="discussions_section_saved")
