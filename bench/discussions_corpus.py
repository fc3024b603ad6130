"""The comments both systems of bench/discussions.py are seeded with: same texts, same reply tree.

A comment is `{"author": str, "text": str, "parent": int | None}`, where `parent` is the index
of an earlier comment in the list.  About `reply_share` of the comments are replies; half of
them answer one of the 40 comments before them (conversations happen close in time), half any
earlier comment, so a few roots gather long reply chains and most have none.  Replies to
replies are kept as such: Agora nests them, Isso files them under their top-level comment.
"""

import random

AUTHORS = [
    "ana", "kofi", "mei", "lars", "priya", "tomas", "amara", "jonas", "lucia", "ravi", "ingrid",
    "omar", "sofia", "kenji", "nadia", "felix", "zara", "mateo", "elena", "yusuf", "hana", "pieter",
    "chloe", "dmitri", "aisha", "bruno", "leila", "sven", "imani", "carlos", "freya", "tariq",
    "julia", "kwame", "marta", "anders", "noor", "luca", "eva", "samir",
]  # fmt: skip
OPENERS = [
    "I think", "Honestly,", "As someone who lives near the harbour,", "To be fair,", "Not sure, but",
    "Interesting piece.", "Good reporting.", "Hard to disagree:", "I doubt it:", "My neighbour says",
]  # fmt: skip
CLAIMS = [
    "the council waited far too long to act",
    "the port authority should publish the full budget",
    "nobody asked the fishermen what they think",
    "this plan will cost twice what they say",
    "the talks were always going to stall over the night shifts",
    "the union has a point about safety on the quay",
    "ferry prices have doubled since the last agreement",
    "the minister's statement answers none of the questions",
    "the new terminal is a good idea done badly",
    "we heard the same promises ten years ago",
    "the report's numbers do not add up",
    "small shops on the waterfront will pay for this",
]  # fmt: skip
FOLLOW_UPS = [
    "Does anyone know when the vote is?", "The article could have said more about the costs.",
    "Read the appendix, it is all there.", "I would like to see the contract.",
    "Let's wait for the final report.", "That is what worries me most.",
    "The *details* matter here.", "It is **not** the first time.", "Thanks for the link.",
]  # fmt: skip


def comment_text(rng: random.Random, number: int) -> str:
    """One plausible reader comment of one or two paragraphs (60-400 characters)."""
    first = f"{rng.choice(OPENERS)} {rng.choice(CLAIMS)}. {rng.choice(FOLLOW_UPS)}"
    if rng.random() < 0.35:
        second = f"{rng.choice(CLAIMS).capitalize()}, and {rng.choice(CLAIMS)}. {rng.choice(FOLLOW_UPS)}"
        first = f"{first}\n\n{second}"
    return f"{first} (#{number})"


def pick_parent(rng: random.Random, index: int) -> int:
    """An earlier comment: a recent one half the time, any one otherwise."""
    low = max(0, index - 40) if rng.random() < 0.5 else 0
    return rng.randrange(low, index)


def build_corpus(count: int, reply_share: float = 0.3, seed: int = 20240601) -> list[dict]:
    """`count` comments; exactly round(count * reply_share) of them replies (the first is a root)."""
    rng = random.Random(seed)
    replies = set(rng.sample(range(1, count), round(count * reply_share))) if count > 1 else set()
    return [
        {
            "author": rng.choice(AUTHORS),
            "text": comment_text(rng, index + 1),
            "parent": pick_parent(rng, index) if index in replies else None,
        }
        for index in range(count)
    ]


def shape(corpus: list[dict]) -> dict[str, int]:
    """Roots, replies, deepest reply, and how the replies spread over the roots."""
    roots: list[int] = []
    depth: list[int] = []
    under: dict[int, int] = {}
    for index, comment in enumerate(corpus):
        parent = comment["parent"]
        roots.append(index if parent is None else roots[parent])
        depth.append(0 if parent is None else depth[parent] + 1)
        if parent is not None:
            under[roots[index]] = under.get(roots[index], 0) + 1
    return {
        "comments": len(corpus),
        "roots": sum(1 for c in corpus if c["parent"] is None),
        "replies": sum(1 for c in corpus if c["parent"] is not None),
        "max_depth": max(depth, default=0),
        "roots_with_replies": len(under),
        "roots_with_more_than_3_replies": sum(1 for n in under.values() if n > 3),
        "most_replies_under_one_root": max(under.values(), default=0),
    }
