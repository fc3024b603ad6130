"""What interests tells the layers above it."""

from django.dispatch import Signal

# Sent once per article, after the transaction that first makes it visible to readers commits
# (interests.services.announce_if_new).  `article` is the Article.  Notifications connect here to
# tell its followers: interests.selectors.followers_of names them, each with the reason.
article_announced = Signal()
