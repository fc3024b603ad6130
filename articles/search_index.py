"""The full-text index behind article search, one per database vendor.

SQLite: an FTS5 table over (headline, search_text) kept in step by triggers.
PostgreSQL: a GIN index on to_tsvector('english', search_text).

Both are (re)created by a post_migrate hook rather than a migration because
SQLite migrations that alter articles_article rebuild the table and drop its
triggers; ensuring them after every migrate keeps search correct.
"""

from django.db.backends.base.base import BaseDatabaseWrapper

_SQLITE_TRIGGERS = {
    "articles_article_fts_ai": """
        CREATE TRIGGER articles_article_fts_ai AFTER INSERT ON articles_article BEGIN
          INSERT INTO articles_article_fts(rowid, headline, search_text)
          VALUES (new.id, new.headline, new.search_text);
        END""",
    "articles_article_fts_ad": """
        CREATE TRIGGER articles_article_fts_ad AFTER DELETE ON articles_article BEGIN
          INSERT INTO articles_article_fts(articles_article_fts, rowid, headline, search_text)
          VALUES ('delete', old.id, old.headline, old.search_text);
        END""",
    "articles_article_fts_au": """
        CREATE TRIGGER articles_article_fts_au AFTER UPDATE OF headline, search_text
        ON articles_article BEGIN
          INSERT INTO articles_article_fts(articles_article_fts, rowid, headline, search_text)
          VALUES ('delete', old.id, old.headline, old.search_text);
          INSERT INTO articles_article_fts(rowid, headline, search_text)
          VALUES (new.id, new.headline, new.search_text);
        END""",
}


def ensure_search_index(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "CREATE VIRTUAL TABLE IF NOT EXISTS articles_article_fts USING fts5("
                "headline, search_text, content='articles_article', content_rowid='id', "
                "tokenize='porter unicode61 remove_diacritics 2')"
            )
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            existing = {row[0] for row in cursor.fetchall()}
            missing = [name for name in _SQLITE_TRIGGERS if name not in existing]
            for name in missing:
                cursor.execute(_SQLITE_TRIGGERS[name])
            if missing:
                cursor.execute("INSERT INTO articles_article_fts(articles_article_fts) VALUES ('rebuild')")
        elif connection.vendor == "postgresql":
            cursor.execute(
                "CREATE INDEX IF NOT EXISTS articles_article_search_gin ON articles_article "
                "USING gin (to_tsvector('english', search_text))"
            )
