"""Builders for the embed tests, and the Playwright fixtures for the browser test."""

import re

import pytest

STORY = "http://127.0.0.1:8001/news/harbour-talks"
# Every attribute that makes the browser go somewhere (or fetch something) on our origin.
_LOCAL_TARGET = re.compile(r'(?:href|action|hx-get|hx-post|data-events-url)="(/[^"]*)"')


def open_story(client, url: str = STORY, title: str = "Harbour talks resume", **params):
    return client.get("/embed/thread/", {"url": url, "title": title, **params})


def local_targets(html: str) -> list[str]:
    return _LOCAL_TARGET.findall(html)


@pytest.fixture
def story_thread(client, db):
    from discussions.models import Thread

    response = open_story(client)
    assert response.status_code == 302
    return Thread.objects.get(url=STORY)
