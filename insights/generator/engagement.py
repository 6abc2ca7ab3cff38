"""Non-purchase interactions: click-stream sessions, support cases and survey answers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from insights.generator.activity import OFFICE_HOURS, WEB_HOURS, Activity, draw_times
from insights.generator.badrows import csv_wrong_field_count, json_truncated, required_empty
from insights.generator.catalog import Products
from insights.generator.chunks import KeySequence, plan_chunks
from insights.generator.lookups import Lookups
from insights.generator.people import People
from insights.generator.profiles import CRM, WEB, Registry
from insights.generator.scales import AS_OF_S, DAY_S, HISTORY_START_S, MIX, Scale
from insights.generator.streams import scramble, spread, stream, weighted
from insights.generator.text import cat, keys, nullify, numbers, padded, pick, strings, take, timestamps
from insights.generator.truth import Truth
from insights.generator.variation import email_variants, phone_variants
from insights.generator.writers import (
    csv_field,
    csv_header,
    csv_lines,
    json_line,
    json_members,
    json_string,
    merge,
    part_name,
    write_lines,
)

EVENTS, CASES, SURVEYS = "web_events", "support_cases", "survey_responses"
EVENT_TYPES = strings(["page_view", "product_view", "search", "add_to_cart", "checkout"])
EVENT_SHARE = np.array([0.35, 0.35, 0.12, 0.12, 0.06])
SESSION_STOP = 0.35  # chance a session ends after each event (about 2.9 events per session)
DEVICES = strings(["Desktop", "desktop", "DESKTOP", "Mobile", "mobile", "MOBILE", "Tablet", "tablet"])
DEVICE_SHARE = np.array([0.36, 0.06, 0.03, 0.36, 0.07, 0.02, 0.08, 0.02])
LANDING_PAGES = ["/", "/sale", "/new-in", "/stores", "/help/delivery", "/help/returns", "/account"]
CASE_COLUMNS = ["case_id", "contact_id", "email", "phone", "opened_at", "closed_at", "channel", "category",
                "priority", "escalated", "csat"]
CHANNELS = strings(["Phone", "Email", "Chat", "Store"])
CHANNEL_SHARE = np.array([0.35, 0.30, 0.25, 0.10])
EMAIL_GIVEN_CHANNEL = np.array([0.25, 0.95, 0.90, 0.40])
PHONE_GIVEN_CHANNEL = np.array([0.95, 0.15, 0.20, 0.40])
CATEGORIES = strings(["Delivery", "Returns", "Billing", "Product", "Account", "Loyalty"])
CATEGORY_SHARE = np.array([0.30, 0.22, 0.14, 0.16, 0.10, 0.08])
PRIORITIES = strings(["Low", "Medium", "High", "Urgent"])
PRIORITY_SHARE = np.array([0.40, 0.35, 0.20, 0.05])
SURVEY_COLUMNS = ["response_id", "email", "submitted_at", "survey", "nps", "csat", "comment"]


def _total(scale: Scale, share: float) -> float:
    return share * scale.people * scale.interactions_per_person


def _contact_email(rng: np.random.Generator, people: People, person: np.ndarray, alt_share: float) -> pa.Array:
    """The address a person gives: main or second mailbox, written their way."""
    e = people.emails
    alt_local = take(e.alt_local, person)
    use_alt = pc.is_valid(alt_local).to_numpy(zero_copy_only=False) & (rng.random(len(person)) < alt_share)
    local = pick(use_alt, alt_local, take(e.local, person))
    domain = pick(use_alt, take(e.alt_domain, person), take(e.domain, person))
    return email_variants(rng, local, domain)


# ------------------------------------------------------------------ web events


def _pages(rng: np.random.Generator, event_type: np.ndarray, products: Products, lk: Lookups) -> pa.Array:
    """Page per event: product pages for views and carts, searches, checkout, landing pages."""
    n = len(event_type)
    categories = sorted(set(products.category))
    landing = strings(LANDING_PAGES + [f"/category/{c}" for c in categories])
    terms = strings(sorted({i.lower().replace(" ", "+") for i in lk.items.item}))
    product = take(products.sku, weighted(rng, products.popularity, n))
    page = pc.choose(
        pa.array(event_type.astype(np.int8)),
        take(landing, rng.integers(0, len(landing), n)),
        cat("/product/", product),
        cat("/search?q=", take(terms, rng.integers(0, len(terms), n))),
        cat("/product/", product),
        pa.repeat(pa.scalar("/checkout", pa.string()), n),
    )
    return page


def write_web_events(out: Path, seed: int, scale: Scale, people: People, activity: Activity,
                     registry: Registry, products: Products, lk: Lookups, truth: Truth,
                     progress: Callable[[str], None]) -> None:
    """web/events/events_NNNN.jsonl: logged-in sessions, anonymous ones, some carrying an email."""
    rng = stream(seed, f"{EVENTS}/plan")
    total = _total(scale, MIX.web_events)
    per_session = 1 / SESSION_STOP
    since = registry.first_created_s[WEB]
    logged = spread(rng, np.where(since >= 0, activity.weight(since), 0.0),
                    total * MIX.logged_in_event_share / per_session)
    emailed = spread(rng, activity.weight(power=0.5), total * MIX.emailed_event_share / 2.0)
    anonymous_sessions = int(round(total * (1 - MIX.logged_in_event_share - MIX.emailed_event_share) / per_session))
    bad_total = scale.bad_rows(total)
    sessions = logged + emailed
    chunks = plan_chunks(rng, sessions, anonymous_sessions, per_session, scale.part_rows, bad_total)
    lo_logged, hi_logged = activity.window(since)
    lo_any, hi_any = activity.window()
    seq = KeySequence()
    session_no = 0
    written = 0
    for ch in chunks:
        rng = stream(seed, EVENTS, ch.part)
        p_logged = np.repeat(ch.persons, logged[ch.persons])
        p_emailed = np.repeat(ch.persons, emailed[ch.persons])
        a = ch.anonymous
        kind = np.concatenate([np.zeros(len(p_logged), np.int8), np.ones(len(p_emailed), np.int8),
                               np.full(a, 2, np.int8)])
        person = np.concatenate([p_logged, p_emailed, np.full(a, -1)])
        start = np.concatenate([
            draw_times(rng, lo_logged[p_logged], hi_logged[p_logged], WEB_HOURS),
            draw_times(rng, lo_any[p_emailed], hi_any[p_emailed], WEB_HOURS),
            draw_times(rng, np.full(a, HISTORY_START_S), np.full(a, AS_OF_S - 3600), WEB_HOURS),
        ])
        s = len(person)
        length = np.where(kind == 1, rng.integers(1, 4, s), np.minimum(rng.geometric(SESSION_STOP, s), 15))
        account = np.full(s, -1, dtype=np.int64)
        account[: len(p_logged)] = registry.first_key[WEB][p_logged]
        second = (kind == 0) & (rng.random(s) < 0.3)
        sk = registry.second_key[WEB][np.maximum(person, 0)]
        use_second = second & (sk >= 0) & (start >= registry.second_created_s[WEB][np.maximum(person, 0)])
        account = np.where(use_second, sk, account)
        email = nullify(_contact_email(rng, people, np.maximum(person, 0), 0.2), kind != 1)
        device = take(DEVICES, weighted(rng, DEVICE_SHARE, s))
        session_id = cat("s", padded(scramble(session_no + np.arange(s)), 13))
        session_no += s

        # events: one row per step of a session, seconds to minutes apart
        ev_session = np.repeat(np.arange(s), length)
        first_of = np.cumsum(length) - length
        step = np.arange(len(ev_session)) - np.repeat(first_of, length)
        gap = rng.integers(5, 240, len(ev_session))
        gap[step == 0] = 0
        ts = start[ev_session] + (np.cumsum(gap) - np.repeat(np.cumsum(gap)[first_of], length))
        ts = np.minimum(ts, AS_OF_S - 1)
        etype = np.where(step == 0, 0, weighted(rng, EVENT_SHARE, len(ev_session)))
        page = _pages(rng, etype, products, lk)
        landing = cat("/newsletter/landing?utm_source=newsletter&utm_medium=email&utm_campaign=",
                      timestamps(ts, "%Y-%m"))
        page = pick((step == 0) & (kind[ev_session] == 1), landing, page)

        order = np.argsort(ts, kind="stable")
        ev_session, ts, etype, page = ev_session[order], ts[order], etype[order], take(page, order)
        n = len(ts)
        good_keys, bad_keys, bad_at = seq.allocate(rng, n, ch.bad)
        event_id = keys("E", good_keys, 9)
        members = json_members([
            ("event_id", json_string(event_id)),
            ("ts", json_string(timestamps(ts, "%Y-%m-%dT%H:%M:%SZ"))),
            ("account_id", json_string(registry.key_text(WEB, account[ev_session]))),
            ("email", json_string(take(email, ev_session))),
            ("session_id", json_string(take(session_id, ev_session))),
            ("page", json_string(page)),
            ("event_type", json_string(take(EVENT_TYPES, etype))),
            ("device", json_string(take(device, ev_session))),
        ])
        template = rng.integers(0, n, len(bad_keys))
        bad_id = keys("E", bad_keys, 9)
        bad_members = [cat('"event_id": ', json_string(bad_id))] + [take(m, template) for m in members[1:]]
        bad_lines, problems = json_truncated(rng, bad_members)
        rel = f"web/events/{part_name('events', ch.part, 'jsonl')}"
        write_lines(out / rel, merge(json_line(members), bad_lines, bad_at))
        truth.bad(EVENTS, rel, bad_id, problems)
        known = np.where(kind[ev_session] == 2, -1, person[ev_session])
        truth.interactions(EVENTS, event_id, people.ids(known))
        written += n
        if len(chunks) > 1:
            progress(f"{EVENTS}: part {ch.part}/{len(chunks)}")
    truth.count(EVENTS, written)
    progress(f"{EVENTS}: {written:,} rows")


# ------------------------------------------------------------------ support cases


def write_support_cases(out: Path, seed: int, scale: Scale, people: People, activity: Activity,
                        registry: Registry, truth: Truth, progress: Callable[[str], None]) -> None:
    """support/cases/cases_NNNN.csv: the CRM contact when found, else only email / phone."""
    rng = stream(seed, f"{CASES}/plan")
    weight = activity.weight(power=0.5) * np.where(activity.churned, 2.0, 1.0)
    counts = spread(rng, weight, _total(scale, MIX.support_cases))
    chunks = plan_chunks(rng, counts, 0, 1.0, scale.part_rows, scale.bad_rows(counts.sum()))
    lo_all, hi_all = activity.window()
    seq = KeySequence()
    written = 0
    for ch in chunks:
        rng = stream(seed, CASES, ch.part)
        person = np.repeat(ch.persons, counts[ch.persons])
        opened = draw_times(rng, lo_all[person], hi_all[person], OFFICE_HOURS)
        order = np.argsort(opened, kind="stable")
        person, opened = person[order], opened[order]
        n = len(person)
        channel = weighted(rng, CHANNEL_SHARE, n)
        has_contact = registry.first_key[CRM][person] >= 0
        found = has_contact & (rng.random(n) < 0.6)
        contact = np.where(found, registry.first_key[CRM][person], -1)
        use_second = found & (registry.second_key[CRM][person] >= 0) & (rng.random(n) < 0.25)
        contact = np.where(use_second, registry.second_key[CRM][person], contact)
        give_email = rng.random(n) < EMAIL_GIVEN_CHANNEL[channel]
        give_phone = rng.random(n) < PHONE_GIVEN_CHANNEL[channel]
        give_email |= ~found & ~give_email & ~give_phone  # something must identify the customer
        email = nullify(_contact_email(rng, people, person, 0.2), ~give_email)
        phone = nullify(phone_variants(rng, take(people.phone, person), people.country[person]), ~give_phone)

        priority = weighted(rng, PRIORITY_SHARE, n)
        churned = activity.churned[person]
        escalated = rng.random(n) < 0.06 + 0.15 * churned + 0.08 * (priority >= 2)
        hours = rng.lognormal(np.log(20.0), 1.2, n) * np.where(escalated, 3.0, 1.0)
        closed = opened + (hours * 3600).astype(np.int64)
        still_open = (closed >= AS_OF_S) | ((opened > AS_OF_S - 30 * DAY_S) & (rng.random(n) < 0.1))
        score = 4.2 - 1.6 * escalated - 0.9 * churned + rng.normal(0, 0.9, n)
        csat = np.clip(np.round(score), 1, 5).astype(np.int64)
        asked = ~still_open & (rng.random(n) < 0.55)
        yes_no = pick(escalated, "Y", "N")
        yes_no = pick(rng.random(n) < 0.05, pc.utf8_lower(yes_no), yes_no)

        good_keys, bad_keys, bad_at = seq.allocate(rng, n, ch.bad)
        case_id = keys("CS", good_keys, 9)
        fields = [
            case_id,
            registry.key_text(CRM, contact),
            email,
            phone,
            timestamps(opened, "%Y-%m-%dT%H:%M:%S"),
            nullify(timestamps(np.minimum(closed, AS_OF_S), "%Y-%m-%dT%H:%M:%S"), still_open),
            take(CHANNELS, channel),
            take(CATEGORIES, weighted(rng, CATEGORY_SHARE, n)),
            take(PRIORITIES, priority),
            yes_no,
            nullify(numbers(csat), ~asked),
        ]
        rendered = [csv_field(f) for f in fields]
        template = rng.integers(0, n, len(bad_keys))
        bad_id = keys("CS", bad_keys, 9)
        bad_fields = [csv_field(bad_id)] + [take(f, template) for f in rendered[1:]]
        text = cat(pc.fill_null(take(phone, template), "0"), ", ext ", numbers(rng.integers(10, 99, len(template))))
        bad_lines, problems = csv_wrong_field_count(rng, bad_fields, CASE_COLUMNS.index("phone"), text)
        rel = f"support/cases/{part_name('cases', ch.part, 'csv')}"
        write_lines(out / rel, merge(csv_lines(rendered), bad_lines, bad_at), csv_header(CASE_COLUMNS))
        truth.bad(CASES, rel, bad_id, problems)
        truth.interactions(CASES, case_id, people.ids(person))
        written += n
    truth.count(CASES, written)
    progress(f"{CASES}: {written:,} rows")


# ------------------------------------------------------------------ surveys


def write_survey_responses(out: Path, seed: int, scale: Scale, people: People, activity: Activity,
                           lk: Lookups, truth: Truth, progress: Callable[[str], None]) -> None:
    """surveys/responses/responses_NNNN.csv: NPS and CSAT by email; comments need CSV quoting."""
    rng = stream(seed, f"{SURVEYS}/plan")
    counts = spread(rng, activity.weight(power=0.3), _total(scale, MIX.survey_responses))
    chunks = plan_chunks(rng, counts, 0, 1.0, scale.part_rows, scale.bad_rows(counts.sum()))
    lo_all, hi_all = activity.window()
    comments = {k: strings(v) for k, v in lk.comments.items()}
    seq = KeySequence()
    written = 0
    for ch in chunks:
        rng = stream(seed, SURVEYS, ch.part)
        person = np.repeat(ch.persons, counts[ch.persons])
        submitted = draw_times(rng, lo_all[person], hi_all[person], WEB_HOURS)
        order = np.argsort(submitted, kind="stable")
        person, submitted = person[order], submitted[order]
        n = len(person)
        tier, churned = activity.tier[person], activity.churned[person]
        nps = np.clip(np.round(7.4 + 0.5 * tier - 3.0 * churned + rng.normal(0, 2.0, n)), 0, 10).astype(np.int64)
        csat = np.clip(np.round(1 + nps * 0.4 + rng.normal(0, 0.7, n)), 1, 5).astype(np.int64)
        kind = weighted(rng, np.array([0.6, 0.3, 0.1]), n)
        survey = pc.choose(pa.array(kind.astype(np.int8)), cat("Relationship ", timestamps(submitted, "%Y")),
                           pa.repeat(pa.scalar("Post-purchase", pa.string()), n),
                           pa.repeat(pa.scalar("Store visit", pa.string()), n))
        sentiment = np.where(nps >= 9, 0, np.where(nps >= 7, 1, 2))
        comment = pc.choose(pa.array(sentiment.astype(np.int8)), *[
            take(comments[s], rng.integers(0, len(comments[s]), n)) for s in ("positive", "neutral", "negative")])
        comment = nullify(comment, rng.random(n) < 0.45)

        good_keys, bad_keys, bad_at = seq.allocate(rng, n, ch.bad)
        response_id = keys("R", good_keys, 9)
        fields = [
            response_id,
            _contact_email(rng, people, person, 0.15),
            timestamps(submitted, "%Y-%m-%d %H:%M:%S"),
            survey,
            numbers(nps),
            numbers(csat),
            comment,
        ]
        rendered = [csv_field(f) for f in fields]
        template = rng.integers(0, n, len(bad_keys))
        bad_fields = [pa.repeat(pa.scalar("", pa.string()), len(bad_keys))] + [take(f, template) for f in rendered[1:]]
        rel = f"surveys/responses/{part_name('responses', ch.part, 'csv')}"
        write_lines(out / rel, merge(csv_lines(rendered), csv_lines(bad_fields), bad_at), csv_header(SURVEY_COLUMNS))
        truth.bad(SURVEYS, rel, pa.repeat(pa.scalar("", pa.string()), len(bad_keys)),
                  required_empty(len(bad_keys), "response_id"))
        truth.interactions(SURVEYS, response_id, people.ids(person))
        written += n
    truth.count(SURVEYS, written)
    progress(f"{SURVEYS}: {written:,} rows")
