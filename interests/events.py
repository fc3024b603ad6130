"""What interests tells the layers above it."""

from django.dispatch import Signal

# Sent once per article, after the transaction that first makes it visible to readers commits
# (interests.services.announce_if_new).  `article` is the Article.  interests.signals tells its
# followers from a task (interests.tasks.announce_article: selectors.followers_of names them, each
# with the reason, and notifications fans out).
article_announced = Signal()
