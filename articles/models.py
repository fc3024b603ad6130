"""The newsroom: sections, topics, articles and the blocks of an article's body."""

from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, URLValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone


def validate_image_src(value: str) -> None:
    """An image address is an absolute http(s) URL or a path on this site."""
    if value.startswith("/") and not value.startswith("//"):
        return
    URLValidator(schemes=["http", "https"])(value)


class Section(models.Model):
    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.CharField(max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(
        default=0, help_text="Order in the site navigation (lowest first)."
    )

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("articles:section", args=[self.slug])


class Topic(models.Model):
    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("articles:topic", args=[self.slug])


class ArticleQuerySet(models.QuerySet["Article"]):
    def published(self) -> "ArticleQuerySet":
        return self.filter(status=Article.Status.PUBLISHED, published_at__lte=timezone.now())


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    class CommentPolicy(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    class Origin(models.TextChoices):
        EDITOR = "editor", "Written in the editor"
        WIRE = "wire", "Wire copy"
        HTML = "html", "HTML page"
        FEED = "feed", "Feed item"

    headline = models.CharField(max_length=300)
    slug = models.SlugField(max_length=220, unique=True)
    standfirst = models.TextField(
        blank=True, help_text="One or two sentences under the headline that sum up the story."
    )
    byline = models.CharField(max_length=200, blank=True)
    source = models.CharField(
        "source / agency", max_length=100, blank=True, help_text="e.g. AFP, Reuters, or blank for our own."
    )
    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="articles")
    topics = models.ManyToManyField(Topic, blank=True, related_name="articles")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_at = models.DateTimeField(auto_now_add=True)
    canonical_url = models.URLField(
        max_length=500,
        unique=True,
        null=True,
        blank=True,
        help_text="The story's original address, for ingested copy. Blank for our own articles.",
    )
    feed_guid = models.CharField(
        max_length=500,
        unique=True,
        null=True,
        blank=True,
        help_text="The feed item's GUID, for feed ingestion.",
    )
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.EDITOR)
    comment_policy = models.CharField(
        max_length=10, choices=CommentPolicy.choices, default=CommentPolicy.OPEN
    )

    # Derived from the body by articles.services.refresh_derived_fields; never edited by hand.
    word_count = models.PositiveIntegerField(default=0, editable=False)
    reading_minutes = models.PositiveSmallIntegerField(default=1, editable=False)
    search_text = models.TextField(blank=True, editable=False)
    lead_image_src = models.CharField(max_length=500, blank=True, editable=False)
    lead_image_alt = models.CharField(max_length=300, blank=True, editable=False)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-published_at", "-id"], name="article_latest_idx"),
            models.Index(
                fields=["section", "status", "-published_at", "-id"], name="article_section_latest_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.headline

    def get_absolute_url(self) -> str:
        return reverse("articles:detail", args=[self.slug])

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED and self.published_at <= timezone.now()

    @property
    def was_updated(self) -> bool:
        """True when the article was changed more than a minute after it was stored and published.

        Compared with created_at as well as published_at, so copy ingested with an older
        publication time does not read as "updated" the moment it arrives.
        """
        first_seen = max(self.created_at, self.published_at)
        return (self.updated_at - first_seen).total_seconds() > 60


class ArticleBlock(models.Model):
    """One block of an article's body, in reading order."""

    class Kind(models.TextChoices):
        PARAGRAPH = "paragraph", "Paragraph"
        SUBHEAD = "subhead", "Subhead"
        FIGURE = "figure", "Figure"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="blocks")
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PARAGRAPH)
    text = models.TextField(blank=True, help_text="Paragraph or subhead text.")
    # Raster formats only: an uploaded SVG served from our origin could carry script.
    image = models.FileField(
        upload_to="figures/%Y/%m/",
        blank=True,
        validators=[FileExtensionValidator(["jpg", "jpeg", "png", "gif", "webp", "avif"])],
    )
    image_url = models.CharField(
        max_length=500, blank=True, validators=[validate_image_src], help_text="Or an image address."
    )
    alt_text = models.CharField(
        max_length=300, blank=True, help_text="What the image shows, for screen readers."
    )
    caption = models.TextField(blank=True)
    credit = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["article", "position"], name="block_article_position_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.position}"

    @property
    def image_src(self) -> str:
        if self.image:
            return self.image.url
        return self.image_url

    def clean(self) -> None:
        if self.kind in (self.Kind.PARAGRAPH, self.Kind.SUBHEAD) and not self.text.strip():
            raise ValidationError({"text": "A paragraph or subhead needs text."})
        if self.kind == self.Kind.FIGURE:
            if not (self.image or self.image_url or self.caption.strip()):
                raise ValidationError("A figure needs an image (file or address) or at least a caption.")
            if (self.image or self.image_url) and not self.alt_text.strip():
                raise ValidationError({"alt_text": "Describe the image for readers who cannot see it."})
