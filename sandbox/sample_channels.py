"""The embedded sandbox's review channels: #user-feedback and #support with a past month of people's
messages, reactions and threaded replies, so the first weekly review's "user feedback" and "support
metrics" items have numbers. Placed relative to `now`, all in the past; a fixed seed makes the same month
for the same `now`."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from sandbox.seed import HUMANS

if TYPE_CHECKING:
    from sandbox.workspace import Workspace

FEEDBACK_CHANNEL, SUPPORT_CHANNEL = "user-feedback", "support"
DAYS = 35  # the last complete month and the week before the current one, whatever the day
DAY, MINUTE = 86400.0, 60.0
PEOPLE = tuple(user_id for user_id, _, _ in HUMANS)
EMOJI = ("+1", "eyes", "heart", "tada", "pray")
FEEDBACK = (
    "Love the new export button, saves me an hour a week",
    "Search feels slow since the last release",
    "Checkout asked me to log in twice",
    "Dark mode please!",
    "The invoice PDF has the wrong VAT number",
    "Onboarding emails arrive in German for English accounts",
    "Mobile app crashes when I rotate the screen on the cart page",
    "The new dashboard is so much clearer",
)
REQUESTS = (
    "Customer cannot reset their password (ticket from Acme)",
    "Refund for order 4711 is stuck in pending",
    "API key for the staging account, please",
    "Webhook deliveries to example.com fail with 502",
    "Export to CSV times out for accounts with 50k rows",
    "Can someone check why payments in EUR are declined?",
)
ANSWERS = ("Looking into it", "Fixed, please retry", "Done ✅", "Known issue, fix ships tomorrow")


def seed_review_channels(ws: Workspace, *, now: float, seed: int = 20) -> None:
    """Create both channels (opsbot and the people in them) and fill the `DAYS` days before `now`."""
    rng = random.Random(seed)
    feedback, support = (ws.create_channel(name).id for name in (FEEDBACK_CHANNEL, SUPPORT_CHANNEL))
    for channel in (feedback, support):
        for person in PEOPLE:
            ws.join_channel(channel, person)
    for days_ago in range(DAYS, 0, -1):
        day = now - days_ago * DAY
        for _ in range(rng.randint(1, 3)):
            _feedback(ws, rng, feedback, at=day + rng.uniform(0, 0.7 * DAY))
        for _ in range(rng.randint(1, 4)):
            _request(ws, rng, support, at=day + rng.uniform(0, 0.7 * DAY))


def _feedback(ws: Workspace, rng: random.Random, channel: str, *, at: float) -> None:
    author = rng.choice(PEOPLE)
    others = [p for p in PEOPLE if p != author]
    reactions = {emoji: rng.sample(others, rng.randint(0, len(others))) for emoji in rng.sample(EMOJI, 2)}
    message = ws.add_past_message(channel, at=at, user=author, text=rng.choice(FEEDBACK), reactions=reactions)
    if rng.random() < 0.4:
        reply_at = at + rng.uniform(10, 240) * MINUTE
        ws.add_past_message(
            channel, at=reply_at, user=rng.choice(others), text="Thanks, noted!", thread_ts=message.ts
        )


def _request(ws: Workspace, rng: random.Random, channel: str, *, at: float) -> None:
    author = rng.choice(PEOPLE)
    message = ws.add_past_message(channel, at=at, user=author, text=rng.choice(REQUESTS))
    if rng.random() < 0.25:  # the asker adds details before anyone answers
        ws.add_past_message(
            channel, at=at + 2 * MINUTE, user=author, text="More details in the thread", thread_ts=message.ts
        )
    if rng.random() < 0.8:
        helper = rng.choice([p for p in PEOPLE if p != author])
        answer_at = at + rng.uniform(5, 180) * MINUTE
        ws.add_past_message(
            channel, at=answer_at, user=helper, text=rng.choice(ANSWERS), thread_ts=message.ts
        )
