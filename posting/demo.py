"""The demo community `manage.py load_demo` adds to the demo newsroom, so a newcomer sees every state.

A few readers, a moderator and an editor; discussions with replies, reactions and an editor's pick; a
comment held for review and one reported; an article whose commenting is suspended with a notice.
Everything goes through the services a person's actions go through (posting runs the moderation
pipeline, which holds a new reader's first comments, and the demo moderator approves them), so the
counts, decisions and audit log agree with what the pages show.

Safe to re-run: people are found by username, comments by their client key (a replayed post is not
posted again), and reactions, reports, the pick and the suspension are left as they are.  Accounts
get random passwords, printed only when they are created; the command refuses to run in production
unless forced (articles/management/commands/load_demo.py).
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import CommandError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.roles import COMMENTERS, EDITORS, MODERATORS, ensure_roles
from articles.models import Article
from discussions import commenting, services
from discussions.errors import CommentError
from discussions.models import Comment, CommentingPolicy
from moderation import review
from moderation import services as moderation
from moderation.commenting import set_commenting_status
from moderation.models import Report
from posting import actions

SUSPENSION_NOTICE = (
    "Our goal is to create a safe and engaging place for users to connect over interests and passions. "
    "In order to improve our community experience, we are temporarily suspending article commenting."
)
DEMO_EMAIL_DOMAIN = "demo.invalid"  # a reserved name: nothing is ever delivered there
ROLE_WORDS = {MODERATORS: "moderator", EDITORS: "editor", COMMENTERS: "reader"}


@dataclass(frozen=True)
class Person:
    username: str
    display_name: str
    role: str
    bio: str = ""


PEOPLE = [
    Person("moderator", "Rosa Alvarez", MODERATORS, "Keeps the discussions civil."),
    Person("editor", "Daniel Okoro", EDITORS, "Night editor."),
    Person("maria", "Maria Kovacs", COMMENTERS, "Engineer at the Brenmoor substation. Opinions my own."),
    Person("tomas", "Tomas Lindqvist", COMMENTERS, "Retired ferry captain, Port Alder."),
    Person("aiko", "Aiko Tanaka", COMMENTERS),
    Person("sam", "Sam Reyes", COMMENTERS, "Student, economics."),
    Person("jonas", "Jonas Weber", COMMENTERS),  # new: his first comment waits in the queue
]


@dataclass(frozen=True)
class Post:
    key: str  # the client key: what makes a re-run find the comment instead of posting it again
    author: str
    minutes_ago: int
    body: str
    reply_to: str = ""  # the key of the comment it answers
    respected_by: tuple[str, ...] = ()
    held: bool = False  # left for the moderators, not approved by the demo


DISCUSSIONS: dict[str, list[Post]] = {
    "heatwave-halvern-electricity-demand-record": [
        Post(
            "heat-1",
            "maria",
            52,
            "Worth saying what held the grid up: the interconnector with Veskar ran flat out from 6 pm, "
            "and the Brenmoor battery is not even built yet. Next summer is the real test.",
            respected_by=("tomas", "aiko", "sam"),
        ),
        Post(
            "heat-2",
            "tomas",
            41,
            "And the interconnector only helps while Veskar has power to spare. In a region-wide heatwave "
            "they will want it too.",
            reply_to="heat-1",
            respected_by=("maria",),
        ),
        Post(
            "heat-3",
            "maria",
            33,
            "True. That is why the battery matters: it fills the evening peak from power bought at noon.",
            reply_to="heat-2",
        ),
        Post(
            "heat-4",
            "aiko",
            27,
            "Our street lost power for twenty minutes at 7 pm, so not everywhere held. "
            "Was that a local fault or load shedding?",
            respected_by=("tomas",),
        ),
        Post(
            "heat-5",
            "editor",
            12,
            "Good question, @aiko. Northwind Grid tells us it was a local transformer fault, "
            "not load shedding; we have added that to the story.",
            reply_to="heat-4",
        ),
    ],
    "reserve-bank-holds-rates": [
        Post(
            "bank-1",
            "sam",
            180,
            "Rents are the sticky part of inflation here, and a rate cut does nothing to build homes. "
            "Holding seems right to me.",
            respected_by=("aiko",),
        ),
        Post(
            "bank-2",
            "tomas",
            150,
            "Easy to say when you are not on a variable mortgage.",
            reply_to="bank-1",
        ),
        Post(
            "bank-3",
            "aiko",
            95,
            "Anyone know when the minutes of the dissenting vote are published?",
        ),
        Post(
            "bank-4",
            "sam",
            70,
            "Off topic, but did anyone see the cup final? Best second half in years.",
        ),
        Post(
            "bank-5",
            "jonas",
            25,
            "First time commenting. They come out in two weeks, and the bank's own forecast "
            "(https://example.org/outlook) expects inflation at target by next spring.",
            reply_to="bank-3",
            held=True,
        ),
    ],
    "housing-bill-passes-assembly": [
        Post(
            "housing-1",
            "tomas",
            400,
            "Capping rent rises at inflation plus one point is fair to landlords and tenants alike.",
        ),
        Post(
            "housing-2",
            "maria",
            380,
            "The compulsory purchase part worries me more than the cap. Who decides what is a fair value?",
            reply_to="housing-1",
        ),
    ],
}
PICK = ("heatwave-halvern-electricity-demand-record", "heat-1")  # the editor's pick
REPORT = ("bank-4", "aiko", Report.Reason.OFF_TOPIC, "Nothing to do with the story.")
SUSPENDED = "housing-bill-passes-assembly"


@dataclass
class Community:
    """What a run found or made, and the accounts it created (with their passwords, shown once)."""

    people: dict[str, User]
    created: dict[str, str]  # username: password, for accounts created by this run
    comments: int = 0
    posted: int = 0

    def summary(self) -> list[str]:
        lines = [
            f"Demo community: {len(self.people)} people, {self.comments} comments in "
            f"{len(DISCUSSIONS)} discussions ({self.posted} posted now)."
        ]
        site = settings.SITE_URL.rstrip("/")
        if self.created:
            lines += [
                "",
                "DEMO ACCOUNTS, for trying Agora on this machine only, never in production.",
                "Passwords are shown this once (`manage.py changepassword NAME` sets a new one):",
            ]
            for person in PEOPLE:
                if person.username in self.created:
                    password, what = self.created[person.username], ROLE_WORDS[person.role]
                    lines.append(f"  {person.username:<10} {password}   {person.display_name}, {what}")
            lines += [
                f"  Log in at {site}{reverse('accounts:login')}; a held and a reported comment wait at "
                f"{site}{reverse('moderation:queue', args=['pending'])}.",
                "",
            ]
        else:
            names = ", ".join(p.username for p in PEOPLE)
            lines.append(
                f"Demo accounts (passwords were shown when they were created; "
                f"`manage.py changepassword NAME` sets a new one): {names}."
            )
        return lines


def _ensure_person(person: Person, groups: dict[str, Group], created: dict[str, str], now: datetime) -> User:
    user = User.objects.filter(username=person.username).first()
    if user is not None:
        return user
    password = secrets.token_urlsafe(12)
    user = User.objects.create_user(
        person.username,
        email=f"{person.username}@{DEMO_EMAIL_DOMAIN}",
        password=password,
        display_name=person.display_name,
        bio=person.bio,
        email_verified_at=now,
        is_staff=person.role == EDITORS,  # editors write in the admin
    )
    user.groups.add(groups[person.role])
    created[person.username] = password
    return user


def _post(post: Post, community: Community, thread, posted: dict[str, Comment], now: datetime) -> Comment:
    author, moderator = community.people[post.author], community.people["moderator"]
    parent = posted[post.reply_to] if post.reply_to else None
    comment = actions.post_comment(author, thread, post.body, parent=parent, client_key=f"demo-{post.key}")
    if getattr(comment, "replayed", False):
        return comment
    community.posted += 1
    # The demo's times are fiction, as the newsroom's are: spread over the last hours, not all "just now".
    Comment.objects.filter(pk=comment.pk).update(created_at=now - timedelta(minutes=post.minutes_ago))
    if comment.status == Comment.Status.HELD and not post.held:
        review.approve(moderator, comment)  # a new reader's first comments are pre-moderated
    return comment


def _react(post: Post, comment: Comment, community: Community) -> None:
    for username in post.respected_by:
        try:
            services.react(community.people[username], comment)
        except CommentError as refusal:
            if refusal.code != "already_reacted":
                raise


def _report(comments: dict[str, Comment], community: Community) -> None:
    key, reporter, reason, note = REPORT
    try:
        moderation.report(community.people[reporter], comments[key], reason, note)
    except CommentError as refusal:
        if refusal.code != "already_reported":
            raise


def _suspend(article: Article, editor: User) -> None:
    policy = commenting.policy_for(article)
    if policy is None or policy.status != CommentingPolicy.Status.SUSPENDED:
        set_commenting_status(
            editor, article, CommentingPolicy.Status.SUSPENDED, notice=SUSPENSION_NOTICE, reason="demo"
        )


@transaction.atomic
def load_community(now: datetime | None = None) -> Community:
    """Create what is missing of the demo community (the demo newsroom must be loaded first)."""
    now = now or timezone.now()
    groups = ensure_roles()
    created: dict[str, str] = {}
    community = Community({p.username: _ensure_person(p, groups, created, now) for p in PEOPLE}, created)
    articles = Article.objects.in_bulk(list(DISCUSSIONS), field_name="slug")
    if missing := sorted(set(DISCUSSIONS) - set(articles)):
        raise CommandError(
            f"The demo community needs the demo articles {', '.join(missing)}; they are missing."
        )
    comments: dict[str, Comment] = {}
    for slug, posts in DISCUSSIONS.items():
        thread = services.thread_for_article(articles[slug])
        for post in posts:
            comments[post.key] = _post(post, community, thread, comments, now)
            _react(post, comments[post.key], community)
    pick = comments[PICK[1]]
    if not pick.is_featured:
        moderation.set_featured(community.people["editor"], pick, featured=True)
    _report(comments, community)
    _suspend(articles[SUSPENDED], community.people["editor"])
    community.comments = len(comments)
    return community


def add_to_demo(sender: object, **kwargs: object) -> str:
    """articles.signals.demo_loaded: the newsroom is loaded; add its community, and say what it made."""
    return "\n".join(load_community().summary())
