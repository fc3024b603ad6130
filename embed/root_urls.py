"""What embed serves at the site root: /embed.js, the address in the publisher's snippet."""

from django.urls import path

from embed import views

urlpatterns = [path("embed.js", views.script, name="embed-script")]
