"""Builders for interests tests: real follows through the service, articles through ingestion's."""

import pytest

from articles.models import Article, Section, Topic
from articles.tests.conftest import build_article
from interests import services
from interests.followables import of_agency, of_author, of_section, of_topic


def follow_topic(user, name: str) -> Topic:
    topic = Topic.objects.get(name=name)
    services.follow(user, of_topic(topic))
    return topic


def follow_section(user, slug: str) -> Section:
    section = Section.objects.get(slug=slug)
    services.follow(user, of_section(section))
    return section


def follow_author(user, name: str) -> None:
    services.follow(user, of_author(name))


def follow_agency(user, name: str) -> None:
    services.follow(user, of_agency(name))


@pytest.fixture
def syria_story(db) -> Article:
    return build_article("Aid reaches Syria", topics=("Syria", "Aid"))
