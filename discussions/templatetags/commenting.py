"""Editors' commenting controls inside a discussion: `{% load commenting %}`."""

from django import template
from django.urls import reverse

from discussions import commenting

register = template.Library()


@register.filter
def can_set_commenting(user) -> bool:
    """Whether `user` may change commenting status (no query for anonymous readers)."""
    return commenting.can_set_commenting(user)


@register.filter
def commenting_control_url(thread) -> str:
    """The editors' page for this thread's own level: its article's, or the embedded thread's."""
    if thread.article_id:
        return reverse("commenting:scope", args=["article", thread.article_id])
    return reverse("commenting:scope", args=["thread", thread.pk])
