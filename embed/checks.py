from django.conf import settings
from django.core.checks import Error, register

from embed.allowlist import is_valid_entry


@register()
def check_allowed_domains(app_configs, **kwargs):
    bad = [entry for entry in settings.EMBED_ALLOWED_DOMAINS if not is_valid_entry(entry.strip().lower())]
    if not bad:
        return []
    return [
        Error(
            f"EMBED_ALLOWED_DOMAINS has entries that are not host names: {', '.join(map(repr, bad))}.",
            hint='Give bare hosts such as "news.example.org" or ".example.org" (no scheme, port, path or *).',
            id="embed.E001",
        )
    ]
