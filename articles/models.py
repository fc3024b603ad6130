"""The newsroom: sections, topics, articles and the blocks of an article's body."""

from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, URLValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

from articles.topics.aliases import alias_key


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
    """Something articles are about, that readers follow: a person, place, organisation or subject.

    Topics are extracted from articles' text (articles.topics) and curated by editors: a merged
    topic stays as a row pointing at the one it was merged into, so its old address redirects.
    """

    class Kind(models.TextChoices):
        PERSON = "person", "Person"
        PLACE = "place", "Place"
        ORGANISATION = "organisation", "Organisation"
        SUBJECT = "subject", "Subject"

    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.SUBJECT)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_topics",
        editable=False,
        help_text="Set by a merge: this topic's articles, aliases and followers moved there.",
    )
    # Denormalised: published articles linked to the topic, recounted whenever an article's topics
    # or status are stored (articles.services), for the topic index.
    article_count = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["kind", "-article_count"], name="topic_kind_count_idx")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("articles:topic", args=[self.slug])


class TopicAlias(models.Model):
    """Another name for a topic ("Erdogan" for "Recep Tayyip Erdogan"): extraction files a mention of
    it under the topic.  A merge or a rename leaves the old name here."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=120)
    # articles.topics.alias_key(name): the form every name is compared in (case, accents, punctuation).
    key = models.CharField(max_length=80, unique=True, editable=False)

    class Meta:
        verbose_name_plural = "topic aliases"

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        self.key = alias_key(self.name)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        key = alias_key(self.name)
        if not key:
            raise ValidationError({"name": "An alias needs letters or digits."})
        taken = TopicAlias.objects.filter(key=key).exclude(pk=self.pk).select_related("topic").first()
        if taken is not None:
            raise ValidationError({"name": f"“{self.name}” already stands for {taken.topic}."})
        other = Topic.objects.filter(slug=key).exclude(pk=self.topic_id).first()
        if other is not None:
            raise ValidationError(
                {"name": f"“{other}” is a topic of its own: merge it into this one instead."}
            )


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
    topics = models.ManyToManyField(Topic, blank=True, related_name="articles", through="ArticleTopic")
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
    lead_pinned_until = models.DateTimeField(
        "pinned as the home page lead until",
        null=True,
        blank=True,
        help_text="Leads the home page until then (of several, the one pinned until the latest time);"
        " blank: the newest story leads.",
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
            models.Index(fields=["-lead_pinned_until"], name="article_pinned_lead_idx"),
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


class ArticleTopic(models.Model):
    """An article's link to a topic, with how central the topic is to it."""

    class Origin(models.TextChoices):
        EXTRACTED = "extracted", "Extracted from the text"
        EDITOR = "editor", "Chosen by an editor or the source"

    article = models.ForeignKey(Article, on_delete=models.CASCADE)
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE)
    salience = models.FloatField(
        default=1.0, help_text="0-1: how central the topic is to the article (1: the most salient)."
    )
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.EDITOR)

    class Meta:
        db_table = "articles_article_topics"  # the table of the plain many-to-many it replaced
        unique_together = [("article", "topic")]  # as the plain many-to-many's table had it

    def __str__(self) -> str:
        return f"{self.topic} ({self.salience:.2f})"


class TopicExclusion(models.Model):
    """An editor removed an extracted topic from an article: extraction never puts it back."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="topic_exclusions")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["article", "topic"], name="topic_exclusion_unique")]

    def __str__(self) -> str:
        return f"not {self.topic}"


class RelatedArticle(models.Model):
    """A stored "related articles" entry, computed when articles are stored (articles.related)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="related_links")
    related = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="related_from")
    score = models.FloatField(
        help_text="Shared topics weighted by salience, plus a bonus for the same section."
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["article", "related"], name="related_article_unique")]
        indexes = [models.Index(fields=["article", "-score"], name="related_article_score_idx")]

    def __str__(self) -> str:
        return f"{self.article_id} -> {self.related_id}"
