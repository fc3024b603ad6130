from api.api import api

# Included at /api/v1/ by agora.urls; the namespace is the one ninja reverses its docs links in.
urlpatterns, _, app_name = api.urls
