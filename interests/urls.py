from django.urls import path

from interests import views

app_name = "interests"

urlpatterns = [
    path("follow/", views.follow, name="follow"),
    path("for-you/", views.for_you, name="for-you"),
    path("following/", views.following, name="following"),
    path("authors/<slug:slug>/", views.author, name="author"),
    path("agencies/<slug:slug>/", views.agency, name="agency"),
]
