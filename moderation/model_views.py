"""The moderators' model controls on the dashboard: run an earlier model version again (roll back)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from moderation import versions
from moderation.models import ModelVersion


@login_required
@require_POST
def activate_version(request, version_id: int):  # type: ignore[no-untyped-def]
    """Make an adopted version (or the shipped model) the one the site runs; audited."""
    version = get_object_or_404(ModelVersion, pk=version_id)
    try:
        versions.rollback(request.user, version, request.POST.get("reason", "").strip())
    except versions.VersionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"The site now runs model version {version.pk}.")
    return redirect(reverse("moderation:dashboard") + "#model-title")
