"""A shift in real Chromium: three agents, a dozen customers and the production beat, for a few hundred steps.

Each test elsewhere drives one feature in a fresh page; the bugs that hurt agents (Accept dead after a click in
the list, customers stranded while an agent idles) only showed after many steps in one page. This plays a seeded
random shift against the live server and checks the product's invariants after every step:

- every visible Accept works (the offer opens, or it was withdrawn meanwhile and is gone from the screen);
- no console error, no htmx error banner, in any tab;
- no customer stranded: nobody waits past the team's cool-down while an eligible agent is Ready with room;
- every customer message is in exactly one interaction, every reply an agent sent is at X exactly once;
- the board's counts match the database.
"""

import base64
import io
import os
import random
import time
from collections import Counter

import pytest
import requests
from django.core.management import call_command
from django.db import connections
from PIL import Image
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from interactions import routing
from interactions.models import Interaction, Message, Offer
from social.models import XAccount
from tests.e2e.helpers import Beat, Console, sign_in
from workspace.agents.models import Team
from workspace.desk.management.commands.seed_demo import DEMO_ACCOUNT_USER_ID

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True), pytest.mark.timeout(1500)]

STEPS = 70
SEED = int(os.environ.get("PERCH_SHIFT_SEED", "14"))
OFFER_SECONDS = 8  # short, so that offers left alone expire within the shift
COOLDOWN_SECONDS = 6
NEW_CUSTOMERS = [
    ("Aiko Tanaka", "aikotanaka"), ("Bruno Costa", "brunocosta"), ("Chidi Okafor", "chidiokafor"),
    ("Dana Levi", "danalevi"), ("Emil Novak", "emilnovak"), ("Fatima Zahra", "fatimazahra"),
    ("Gus Lindqvist", "guslindqvist"), ("Hana Kim", "hanakim"), ("Iker Arana", "ikerarana"),
]  # fmt: skip


def png_base64(seed: int) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (48, 32), (seed * 37 % 255, 116, 110)).save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def why_stranded(interaction_id: int) -> str:
    """What a stranded interaction's state looks like, for the failure message."""
    from interactions.models import Offer
    from workspace.agents.models import ChannelPresence

    interaction = Interaction.objects.get(pk=interaction_id)
    offers = list(Offer.objects.filter(interaction=interaction).values_list("agent__username", "state", "created_at"))
    ready = list(ChannelPresence.objects.filter(ready=True).values_list("agent__username", "channel"))
    return f"{interaction.kind} {interaction.state} queued at {interaction.queued_at}; offers {offers}; Ready {ready}"


class Shift:
    def __init__(self, base, browser, screenshot_dir):
        self.base, self.browser, self.rng = base, browser, random.Random(SEED)
        self.simulator = f"{base}/x-sandbox/simulator/api"
        self.console = Console()
        self.figures = Counter()
        self.sent_external_ids: list[str] = []  # what customers sent, as X ids
        self.replies: list[str] = []  # what agents sent, each text unique
        self.customers: list[tuple[str, str]] = []  # (name, x id)
        self.brand_tweets: list[str] = []  # brand replies customers can answer
        self.screens: set[str] = set()
        self.screenshot_dir = screenshot_dir
        self.agents: dict[str, object] = {}
        self.on_break: set[str] = set()
        self.stranded_seen: dict[int, float] = {}
        self.last_action = ""

    # --- setting up -----------------------------------------------------------------------------------------
    def customers_create(self):
        from contacts.models import ContactIdentity

        known = ContactIdentity.objects.filter(channel="x").values_list("contact__display_name", "external_id")
        self.customers.extend(known)
        for n, (name, handle) in enumerate(NEW_CUSTOMERS):
            x_id = str(1790000000000000200 + n)
            requests.post(f"{self.simulator}/users", timeout=10,
                          json={"username": handle, "name": name, "id": x_id}).raise_for_status()  # fmt: skip
            self.customers.append((name, x_id))

    def agent_open(self, username: str, channels: list[str]):
        context = self.browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        self.console.watch(page, username)
        sign_in(page, self.base, username)
        for channel in channels:
            page.get_by_role("switch", name=f"{channel} Not Ready").click()
            expect(page.get_by_role("switch", name=f"{channel} Ready")).to_be_visible()
        self.agents[username] = page
        return page

    # --- what customers do --------------------------------------------------------------------------------
    def customer_writes(self, step: int):
        returning = self.rng.random() < 0.4 and self.sent_external_ids
        name, x_id = self.rng.choice(self.customers[:4] if returning else self.customers)
        image = {"image_base64": png_base64(step)} if self.rng.random() < 0.2 else {}
        text = f"Step {step}: {self.rng.choice(['my bag is lost', 'where is my refund', 'flight delayed?', 'thanks!'])}"
        kind = self.rng.choice(["dm", "mention", "reply"] if self.brand_tweets else ["dm", "mention"])
        if kind == "dm":
            body = {"sender_id": x_id, "recipient_id": DEMO_ACCOUNT_USER_ID, "text": text, **image}
            answer = requests.post(f"{self.simulator}/dm", json=body, timeout=10)
            answer.raise_for_status()
            self.sent_external_ids.append(str(answer.json()["dm_event_id"]))
        else:
            body = {"author_id": x_id, "text": f"@perchdemoair {text}", **image}
            if kind == "reply":
                body["in_reply_to_tweet_id"] = self.rng.choice(self.brand_tweets)
            answer = requests.post(f"{self.simulator}/tweet", json=body, timeout=10)
            answer.raise_for_status()
            self.sent_external_ids.append(str(answer.json()["id"]))
        self.figures["customer messages"] += 1

    # --- what agents do -----------------------------------------------------------------------------------
    def answer_offer(self, username: str, page, step: int):
        toasts = page.locator("#offers .toast[data-offer-id]:visible")
        if toasts.count() == 0:
            return
        try:
            offer_id = toasts.nth(self.rng.randrange(toasts.count())).get_attribute("data-offer-id", timeout=1000)
            toast = page.locator(f"#offer-{offer_id}")  # this offer's own toast, wherever the list puts it
            name = toast.get_attribute("aria-label", timeout=1000).split(" from ", 1)[1]
            expires_at = int(toast.get_attribute("data-expires-at", timeout=1000))
        except (PlaywrightTimeoutError, PlaywrightError, AttributeError, IndexError, TypeError, ValueError):
            return  # withdrawn or expired between the count and the look
        self.figures["offers"] += 1
        choice = self.rng.random()
        if choice < 0.15:
            return  # left alone: it expires, and the customer goes back to the queue
        button = "Accept" if choice < 0.8 else "Reject"
        interaction_id = Offer.objects.filter(pk=offer_id).values_list("interaction_id", flat=True).first()
        page.evaluate("document.getElementById('page-notice').replaceChildren()")  # an earlier notice is read
        try:
            toast.get_by_role("button", name=button).click(timeout=2000)
        except PlaywrightTimeoutError:
            expect(toast).to_be_hidden(timeout=5000)  # it went away first: fine, as long as it is gone
            return
        if button == "Reject":
            self.figures["rejected"] += 1
            return
        article = page.locator(f"article#interaction-{interaction_id}")
        refusal = page.locator("#page-notice [role=alert]")
        try:
            expect(article.or_(refusal)).to_be_visible(timeout=5000)  # every visible Accept works, or says why not
        except AssertionError:
            # Clicked as its countdown ended: the toast was put away under the pointer and nothing was sent.
            state, left = Offer.objects.get(pk=offer_id).state, expires_at - time.time()
            assert state != "accepted" and left <= 1, f"step {step}: Accept did nothing ({state}, {left:.1f} s left)"
            expect(toast).to_be_hidden(timeout=5000)
            self.figures["clicked as it ran out"] += 1
            return
        if not article.is_visible():
            # Only an offer that ran out as it was clicked, or was withdrawn meanwhile, may be refused: in words.
            state, left = Offer.objects.get(pk=offer_id).state, expires_at - time.time()
            assert state in ("expired", "withdrawn"), f"step {step}: Accept refused ({refusal.inner_text()}), {state}"
            assert state == "withdrawn" or left <= 1, f"step {step}: Accept refused with {left:.1f} s left"
            expect(refusal).to_contain_text("before your Accept arrived")
            expect(toast).to_be_hidden(timeout=5000)
            self.console.forgive(username, "status of 409")  # the refusal is a 409, which Chromium logs
            self.figures["accepted too late"] += 1
            return
        self.figures["accepted"] += 1
        if page.get_by_role("tab", name="Contact").get_attribute("aria-selected") == "true":
            expect(page.get_by_role("region", name=f"Contact {name}")).to_be_visible(timeout=5000)  # follows Accept
        expect(page).to_have_url(f"{self.base}/workspace/interactions/{self.interaction_id(article)}/")
        self.screen(page, "accepted")

    def list_click(self, username: str, page, step: int):
        links = page.get_by_label("My interactions").locator("a.interaction-item")
        if links.count() == 0:
            return
        link = links.nth(self.rng.randrange(links.count()))
        try:
            href = link.get_attribute("href", timeout=1000)
            name = link.locator(".name").inner_text(timeout=1000)
        except (PlaywrightTimeoutError, PlaywrightError):
            return  # the list refreshed under the pointer
        page.locator(f'#interaction-list a[href="{href}"]').click()
        expect(page.get_by_role("article", name=f"Interaction with {name}")).to_be_visible(timeout=5000)
        expect(page).to_have_url(f"{self.base}{href}")
        self.figures["list clicks"] += 1
        self.screen(page, "list-click")

    def reply(self, username: str, page, step: int):
        article = page.locator("article.interaction").first
        if article.count() == 0:
            return
        box = article.get_by_label("Write a message")
        if box.count() == 0 or not box.is_enabled():
            return
        text = f"Reply {step} from {username}"
        box.fill(text)
        box.press("Enter")
        expect(article).to_contain_text(text, timeout=5000)
        self.replies.append(text)
        self.figures["replies"] += 1
        self.screen(page, "reply")

    def x_icon(self, username: str, page, step: int):
        """From the Connect view: an assigned contact's 𝕏 icon starts (or opens) a chat with them in the workspace."""
        page.get_by_role("navigation", name="Views").get_by_role("link", name="Connect").click()
        contacts = page.get_by_role("list", name="Assigned Contacts", exact=True).get_by_role("link")
        try:
            expect(contacts.first).to_be_visible(timeout=3000)
        except AssertionError:
            self.back_to_workspace(page)
            return  # nobody assigned to this agent yet
        link = contacts.nth(self.rng.randrange(contacts.count()))
        name = link.locator(".name").inner_text()
        contact_id = link.get_attribute("data-contact-id")
        link.click()
        contact = page.get_by_role("region", name=f"Communication with {name}")
        expect(contact).to_be_visible(timeout=5000)
        icon = contact.get_by_role("button", name="Start a Chat interaction on X")
        if icon.count() == 0 or not icon.is_enabled():
            self.back_to_workspace(page)
            return
        # The server's answer decides: a refusal (another agent has the conversation) is said beside Send, a 409;
        # else the chat opens in the workspace.
        with page.expect_response(lambda r: r.url.endswith("/chat/") and r.request.method == "POST") as answer:
            icon.click()
        if answer.value.status == 409:
            expect(contact.locator(f"#connect-error-{contact_id}")).to_contain_text(name, timeout=5000)
            self.console.forgive(username, "status of 409")
            self.figures["x icon refused"] += 1
            self.back_to_workspace(page)
            return
        article = page.get_by_role("article", name=f"Interaction with {name}")
        expect(article).to_be_visible(timeout=5000)
        expect(page).to_have_url(f"{self.base}/workspace/interactions/{self.interaction_id(article)}/")
        self.figures["x icon"] += 1
        self.screen(page, "x-icon")

    def back_to_workspace(self, page):
        page.get_by_role("navigation", name="Views").get_by_role("link", name="Workspace").click()
        expect(page.locator("#live-status")).to_have_text("Live", timeout=5000)

    def show(self, username: str, page, step: int):
        """A "… replied — Show" toast opens that contact in the Connect view; the agent goes back to work."""
        toasts = page.locator("#contact-replied .toast[data-notice-id]")
        if toasts.count() == 0:
            return
        try:
            # This notice's own toast and link: the stack refreshes as notices come and go.
            notice_id = toasts.first.get_attribute("data-notice-id", timeout=1000)
            toast = page.locator(f'#contact-replied .toast[data-notice-id="{notice_id}"]')
            name = toast.get_attribute("data-notify-name", timeout=1000)
            toast.locator("[data-show-replied]").evaluate("link => link.click()", timeout=2000)
        except (PlaywrightTimeoutError, PlaywrightError):
            return  # its wait ended as it was clicked
        expect(page.get_by_role("region", name=f"Communication with {name}")).to_be_visible(timeout=5000)
        self.figures["show"] += 1
        self.screen(page, "show")
        self.back_to_workspace(page)

    def reload(self, username: str, page, step: int):
        before = page.url
        page.reload()
        expect(page.locator("#live-status")).to_have_text("Live")
        assert page.url == before
        if "/interactions/" in before:
            expect(page.locator("article.interaction")).to_have_count(1)
        self.figures["reloads"] += 1

    def second_tab(self, username: str, page, step: int):
        tab = page.context.new_page()
        self.console.watch(tab, f"{username} (tab 2)")
        tab.goto(f"{self.base}/workspace/")
        expect(tab.locator("#live-status")).to_have_text("Live")
        self.screen(tab, "second-tab")
        tab.close()
        self.figures["second tabs"] += 1

    def finish(self, username: str, page, step: int):
        article = page.locator("article.interaction").first
        if article.count() == 0:
            return
        end = article.get_by_role("button", name="End chat").or_(article.get_by_role("button", name="End"))
        if end.count() and end.first.is_visible():
            end.first.click()
            expect(article.locator(".interaction-state")).to_have_text("Ended", timeout=5000)
        done = page.get_by_role("button", name="Mark Done")
        if done.count() == 0:
            return
        disposition = self.rng.choice(["Resolved", "Refund issued", "No reply needed"])
        page.get_by_label("Disposition").select_option(disposition)
        done.click()
        expect(page.get_by_role("heading", name="Marked done")).to_be_visible(timeout=5000)
        # A refresh already in flight when Mark Done took another agent's contact out of sight answers 404 (the
        # page drops it); Chromium logs it. Only those, only at this step.
        page.wait_for_timeout(300)
        for _ in range(4):
            self.console.forgive(username, "status of 404")
        self.figures["marked done"] += 1
        self.screen(page, "marked-done")

    def take_a_break(self, username: str, page, step: int):
        if username in self.on_break:
            for channel in ("Chat", "Twitter"):
                switch = page.get_by_role("switch", name=f"{channel} Not Ready")
                if switch.count():
                    switch.click()
                    expect(page.get_by_role("switch", name=f"{channel} Ready")).to_be_visible()
            self.on_break.discard(username)
        else:
            for channel in ("Chat", "Twitter"):
                switch = page.get_by_role("switch", name=f"{channel} Ready")
                if switch.count():
                    switch.click()
                    expect(page.get_by_role("switch", name=f"{channel} Not Ready")).to_be_visible()
            self.on_break.add(username)
        self.figures["breaks"] += 1
        self.screen(page, "break")

    @staticmethod
    def interaction_id(article) -> int:
        return int(article.get_attribute("id").removeprefix("interaction-"))

    # --- checking -----------------------------------------------------------------------------------------
    def screen(self, page, state: str):
        if state not in self.screens:
            self.screens.add(state)
            page.screenshot(path=str(self.screenshot_dir / f"shift-{state}.png"))

    def check(self, step: int):
        assert not self.console.errors, f"step {step} ({self.last_action}): console errors {self.console.errors}"
        for username, page in self.agents.items():
            assert page.locator(".request-error:visible").count() == 0, f"step {step}: {username} sees an error"
        now = time.monotonic()
        stranded = {s.interaction.pk for s in routing.stranded_interactions()}
        for pk in list(self.stranded_seen):
            if pk not in stranded:
                del self.stranded_seen[pk]
        for pk in stranded:
            first = self.stranded_seen.setdefault(pk, now)
            # A breach is healed by beat's check within its period; one that outlives two periods is a stranding.
            assert now - first < 12, f"step {step}: interaction {pk} stranded: {why_stranded(pk)}"
        connections.close_all()

    def final_counts(self) -> dict:
        stored = Message.objects.filter(external_id__in=self.sent_external_ids)
        found = Counter(stored.values_list("external_id", flat=True))
        lost = sum(1 for external_id in self.sent_external_ids if found[external_id] == 0)
        duplicated = sum(n - 1 for n in found.values() if n > 1)
        activity = [requests.get(f"{self.simulator}/activity", params={"user_id": x_id}, timeout=10).json()
                    for _, x_id in self.customers]  # fmt: skip
        at_x = Counter()
        for seen in activity:
            for event in seen["dms"]:
                if event["sender_id"] == DEMO_ACCOUNT_USER_ID:
                    at_x[event["text"]] += 1
            for tweet in seen["replies"]:
                if tweet["author_id"] == DEMO_ACCOUNT_USER_ID:
                    at_x[tweet["text"].rsplit("Reply ", 1)[-1]] += 1
        for text in self.replies:
            key = text if at_x[text] else text.removeprefix("Reply ")
            lost += at_x[key] == 0
            duplicated += max(0, at_x[key] - 1)
        return {"lost": lost, "duplicated": duplicated}

    def board_matches(self, step: int):
        """The supervisor's live board (no reload) shows as many waiting per channel as the database holds."""
        from interactions.models import Channel

        board = self.agents["supervisor"]
        for channel, label in Channel.choices:
            count = board.get_by_label(f"{label} queue").locator(".count")
            deadline = time.monotonic() + 10
            while True:
                expected = Interaction.objects.filter(kind=channel, state__in=["queued", "offered"]).count()
                shown = count.inner_text()
                if shown == f"{expected} waiting":
                    break
                assert time.monotonic() < deadline, f"step {step}: the board shows {shown!r}, the database {expected}"
                time.sleep(0.25)
        self.screen(board, "board")

    def brand_tweets_refresh(self):
        from interactions.models import Message as M

        sent = M.objects.filter(kind="tweet", direction="out").exclude(external_id="")
        self.brand_tweets = list(sent.values_list("external_id", flat=True))


def test_a_shift(live_server_url, browser, tmp_path):
    from django.conf import settings

    call_command("seed_demo", stdout=open("/dev/null", "w"))
    XAccount.objects.update(api_base_url=f"{live_server_url}/x-sandbox", poll_interval_seconds=2)
    Team.objects.update(offer_timeout_seconds=OFFER_SECONDS, reoffer_cooldown_seconds=COOLDOWN_SECONDS)
    artifacts = settings.VAR_DIR / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    shift = Shift(live_server_url, browser, artifacts)
    shift.customers_create()
    shift.agent_open("ana", ["Chat", "Twitter"])
    shift.agent_open("ben", ["Chat", "Twitter"])
    shift.agent_open("chloe", [])
    supervisor = shift.agent_open("supervisor", [])
    supervisor.goto(f"{live_server_url}/admin/board/")
    actions = [
        (shift.answer_offer, 6), (shift.list_click, 3), (shift.reply, 3), (shift.reload, 1), (shift.second_tab, 1),
        (shift.finish, 2), (shift.take_a_break, 1), (shift.x_icon, 1), (shift.show, 3),
    ]  # fmt: skip
    with Beat(polls=True):
        for step in range(STEPS):
            if step % 2 == 0 or shift.rng.random() < 0.2:  # at least 35 customer messages in 70 steps
                shift.customer_writes(step)
            username = shift.rng.choice(["ana", "ben", "ben", "ana", "chloe"])
            action = shift.rng.choices([a for a, _ in actions], weights=[w for _, w in actions])[0]
            if username == "chloe" and action is shift.take_a_break and shift.rng.random() < 0.5:
                action = shift.answer_offer
            shift.last_action = f"{username} {action.__name__}"
            action(username, shift.agents[username], step)
            shift.figures["steps"] += 1
            if step % 10 == 9:
                shift.brand_tweets_refresh()
                shift.board_matches(step)
            shift.check(step)
        # Drain: customers stop writing, agents keep answering until the queue is empty or with the agents.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and Interaction.objects.filter(state="queued").exists():
            for username in ("ana", "ben"):
                if username in shift.on_break:
                    shift.take_a_break(username, shift.agents[username], STEPS)
                shift.answer_offer(username, shift.agents[username], STEPS)
            shift.check(STEPS)
            time.sleep(0.5)
    shift.board_matches(STEPS)
    for username in ("ana", "supervisor"):
        shift.agents[username].set_viewport_size({"width": 1920, "height": 1080})
        shift.agents[username].screenshot(path=str(artifacts / f"shift-end-{username}-1920.png"))
    counts = shift.final_counts()
    f = shift.figures
    print(
        f"\nshift: steps {f['steps']}, offers {f['offers']}, accepted {f['accepted']}, stranded 0, "
        f"console errors {len(shift.console.errors)}, lost {counts['lost']}, duplicated {counts['duplicated']}"
    )
    print("shift figures: " + ", ".join(f"{key} {value}" for key, value in sorted(f.items())))
    assert counts == {"lost": 0, "duplicated": 0}
    assert f["customer messages"] >= 30 and len({x_id for _, x_id in shift.customers}) >= 8
    assert f["accepted"] and f["rejected"] and f["list clicks"] and f["replies"] and f["marked done"]
