from django.urls import path

from agora.page_cache import cache_public_page
from articles import feeds, views

app_name = "articles"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("section/<slug:slug>/", views.section, name="section"),
    path("topics/", views.topics, name="topics"),
    path("topic/<slug:slug>/", views.topic, name="topic"),
    path("articles/<slug:slug>/", views.article_detail, name="detail"),
    path("preview/<int:pk>/", views.article_preview, name="preview"),
    path("feeds/latest.rss", cache_public_page(feeds.LatestArticlesFeed()), name="feed-rss"),
    path("feeds/latest.atom", cache_public_page(feeds.LatestArticlesAtomFeed()), name="feed-atom"),
    path("feeds/section/<slug:slug>.rss", cache_public_page(feeds.SectionFeed()), name="section-feed-rss"),
    path(
        "feeds/section/<slug:slug>.atom", cache_public_page(feeds.SectionAtomFeed()), name="section-feed-atom"
    ),
]
