"""What the newsroom tells the layers above it (no receivers here: see articles.signals)."""

from django.dispatch import Signal

# Sent by articles.services once an article, its body and what derives from them (topics, related
# articles) are stored: by ingestion, the admin and the demo loader.  `article` is the Article.
# The layers above (interests) index it for readers' feeds and tell its followers.
article_stored = Signal()

# The generation of the alias table topic extraction uses (articles.services.alias_table), bumped by
# articles.signals when editors change aliases.
ALIAS_SCOPE = "topic-aliases"
