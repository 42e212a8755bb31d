//! One account's records: background that stays below every threshold, plus its planted
//! situations and the signals they must raise.

use chrono::{DateTime, Datelike, Duration, NaiveDate, SecondsFormat, Utc, Weekday};
use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

use super::planted::Situation;
use super::{COMPETITORS, ExpectedAction, ExpectedSignal, Generated, SeedOptions};

const PREFIXES: [&str; 12] = [
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Vandelay",
    "Stark",
    "Wayne",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
    "Wonka",
];
const SUFFIXES: [&str; 6] = ["Corp", "Labs", "Systems", "Group", "Industries", "Networks"];
const FIRST: [&str; 10] = [
    "Maria", "Tom", "Lee", "Ana", "Peter", "Priya", "Jonas", "Mei", "Omar", "Sara",
];
const LAST: [&str; 10] = [
    "Lopez", "Becker", "Chen", "Silva", "Gibbons", "Patel", "Berg", "Wong", "Haddad", "Nilsen",
];
const NOTES: [&str; 4] = [
    "Asked about the roadmap for reporting.",
    "Budget review planned next quarter.",
    "Happy with onboarding so far.",
    "Wants a training session for new hires.",
];

struct Ctx<'a> {
    today: NaiveDate,
    account: String,
    rng: &'a mut ChaCha8Rng,
    out: &'a mut Generated,
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl Ctx<'_> {
    fn push(&mut self, mut record: Value) {
        record["account_id"] = json!(self.account);
        self.out.records.push(record.to_string());
    }
    fn push_previous(&mut self, mut record: Value) {
        record["account_id"] = json!(self.account);
        self.out.previous.push(record.to_string());
    }
    /// The signal the situation raises, and the action it must bring.
    fn expect(&mut self, situation: Situation, dedup_key: String) {
        let (playbook, kind) = situation.expected_action();
        self.out.expected_actions.push(ExpectedAction {
            account_id: self.account.clone(),
            signal_type: situation.signal_type().to_string(),
            playbook: playbook.to_string(),
            kind: kind.to_string(),
        });
        self.expect_signal_only(situation, dedup_key);
    }
    /// A plan two planted situations bring together: every step kind it must propose.
    fn expect_plan(&mut self, playbook: &str, signal_type: &str, kinds: &[&str]) {
        for kind in kinds {
            self.out.expected_actions.push(ExpectedAction {
                account_id: self.account.clone(),
                signal_type: signal_type.to_string(),
                playbook: playbook.to_string(),
                kind: kind.to_string(),
            });
        }
    }
    /// The signal alone: another planted situation answers it.
    fn expect_signal_only(&mut self, situation: Situation, dedup_key: String) {
        self.out.expected.push(ExpectedSignal {
            signal_type: situation.signal_type().to_string(),
            account_id: self.account.clone(),
            dedup_key,
        });
    }
    fn id(&self, suffix: &str) -> String {
        format!("{}-{suffix}", self.account)
    }
    fn person(&mut self) -> String {
        format!(
            "{} {}",
            FIRST.choose(self.rng).unwrap_or(&"Alex"),
            LAST.choose(self.rng).unwrap_or(&"Smith")
        )
    }
    fn week(&self) -> String {
        let w = self.today.iso_week();
        format!("{}-W{:02}", w.year(), w.week())
    }
}

pub fn generate(
    index: usize,
    opts: &SeedOptions,
    planted: &[Situation],
    rng: &mut ChaCha8Rng,
    out: &mut Generated,
) -> anyhow::Result<()> {
    // Whole seconds, so every timestamp reads back exactly as written.
    let now = DateTime::<Utc>::from_timestamp(opts.now.timestamp(), 0).unwrap_or(opts.now);
    let mut c = Ctx {
        today: now.date_naive(),
        account: format!("acc-{index:05}"),
        rng,
        out,
    };
    let has = |s: Situation| planted.contains(&s);
    let updated = ts(now - Duration::days(1));
    let earlier = ts(now - Duration::days(10));

    let name = format!(
        "{} {}",
        PREFIXES[index % PREFIXES.len()],
        SUFFIXES.choose(c.rng).unwrap_or(&"Corp")
    );
    let arr = c.rng.random_range(20..400) * 1000;
    c.push(json!({"type": "account", "id": c.account, "updated_at": updated, "name": name, "owner": "owner@revloop.example",
        "segment": if arr > 200_000 { "enterprise" } else { "mid_market" }, "arr": arr, "industry": "software", "territory": "EMEA"}));

    // People: a champion (every touch is with them), an economic buyer, users.
    let domain = format!("{}.example", c.account);
    let (champion, buyer, user) = (c.id("p1"), c.id("p2"), c.id("p3"));
    for (id, role, title) in [
        (&champion, "champion", "Director of Operations"),
        (&buyer, "economic_buyer", "Finance Director"),
    ] {
        let person = c.person();
        let email = format!("{}@{domain}", id);
        c.push(json!({"type": "contact", "id": id, "updated_at": updated, "name": person, "title": title, "email": email, "role": role, "is_primary": role == "champion", "active": true}));
    }
    let user_name = c.person();
    let user_role = if has(Situation::StakeholderRoleChange) {
        "decision_maker"
    } else {
        "user"
    };
    c.push(json!({"type": "contact", "id": user, "updated_at": updated, "name": user_name, "title": "Analyst", "role": user_role, "active": true}));
    if has(Situation::StakeholderRoleChange) {
        c.push_previous(json!({"type": "contact", "id": user, "updated_at": earlier, "name": user_name, "title": "Analyst", "role": "user", "active": true}));
        let updated_at: DateTime<Utc> = (now - Duration::days(1)).to_rfc3339().parse()?;
        c.expect(
            Situation::StakeholderRoleChange,
            format!(
                "contact:{user}:role:user->decision_maker@{}",
                updated_at.to_rfc3339()
            ),
        );
    }
    if has(Situation::NewExecutive) {
        let exec = c.id("p9");
        let person = c.person();
        c.push(json!({"type": "contact", "id": exec, "updated_at": updated, "name": person, "title": "Chief Financial Officer", "role": "other", "active": true}));
        c.expect(
            Situation::NewExecutive,
            format!(
                "contact:{exec}:added@{}",
                (now - Duration::days(1)).to_rfc3339()
            ),
        );
    }

    // The open deal, and its earlier version when it slipped or moved stage.
    let opp = c.id("o1");
    let close = c.today + Duration::days(c.rng.random_range(30..120));
    let slipped = has(Situation::CloseDateSlipped);
    let moved = has(Situation::StageChanged);
    let stage = if moved {
        "proposal"
    } else {
        *["discovery", "proposal", "negotiation"]
            .choose(c.rng)
            .unwrap_or(&"discovery")
    };
    let amount = c.rng.random_range(10..200) * 1000;
    c.push(json!({"type": "opportunity", "id": opp, "updated_at": updated, "name": "Expansion", "stage": stage, "amount": amount, "close_date": close.to_string(), "owner": "owner@revloop.example"}));
    if slipped || moved {
        let was_close = if slipped {
            close - Duration::days(21)
        } else {
            close
        };
        let was_stage = if moved { "discovery" } else { stage };
        c.push_previous(json!({"type": "opportunity", "id": opp, "updated_at": earlier, "name": "Expansion", "stage": was_stage, "amount": amount, "close_date": was_close.to_string(), "owner": "owner@revloop.example"}));
        if slipped {
            c.expect(
                Situation::CloseDateSlipped,
                format!("opp:{opp}:close:{was_close}->{close}"),
            );
        }
        if moved {
            c.expect(
                Situation::StageChanged,
                format!(
                    "opp:{opp}:stage:discovery->proposal@{}",
                    (now - Duration::days(1)).to_rfc3339()
                ),
            );
        }
    }

    // The contract: renewal far off, unless planted inside the window.
    let contract = c.id("k1");
    let end = if has(Situation::RenewalWindow) {
        c.today + Duration::days(c.rng.random_range(20..80))
    } else {
        c.today + Duration::days(c.rng.random_range(120..400))
    };
    c.push(json!({"type": "contract", "id": contract, "updated_at": updated, "start_date": (end - Duration::days(365)).to_string(), "end_date": end.to_string(), "arr": arr, "auto_renew": false}));
    if has(Situation::RenewalWindow) {
        c.expect(
            Situation::RenewalWindow,
            format!("contract:{contract}:{end}"),
        );
    }

    // Tickets: minor background ones; a severe one aging; one escalated since last time.
    for n in 0..c.rng.random_range(1..3) {
        let opened = now - Duration::days(c.rng.random_range(1..30));
        let status = *["open", "solved", "closed"]
            .choose(c.rng)
            .unwrap_or(&"open");
        let severity = c.rng.random_range(3..=4);
        c.push(json!({"type": "ticket", "id": c.id(&format!("t{n}")), "updated_at": updated, "subject": "How do I export a report?", "severity": severity, "status": status, "opened_at": ts(opened), "escalated": false}));
    }
    if has(Situation::SevereTicketAging) {
        let id = c.id("t8");
        let opened = now - Duration::days(c.rng.random_range(6..20)) - Duration::hours(12);
        c.push(json!({"type": "ticket", "id": id, "updated_at": updated, "subject": "Single sign-on fails for EU users", "severity": 2, "status": "open", "opened_at": ts(opened), "escalated": false}));
        c.expect(Situation::SevereTicketAging, format!("ticket:{id}"));
    }
    if has(Situation::TicketEscalated) {
        let id = c.id("t9");
        let opened = ts(now - Duration::days(3));
        c.push(json!({"type": "ticket", "id": id, "updated_at": updated, "subject": "Dashboard loads slowly", "severity": 3, "status": "open", "opened_at": opened, "escalated": true}));
        c.push_previous(json!({"type": "ticket", "id": id, "updated_at": earlier, "subject": "Dashboard loads slowly", "severity": 3, "status": "open", "opened_at": opened, "escalated": false}));
        c.expect(Situation::TicketEscalated, format!("ticket:{id}:escalated"));
    }

    // Daily usage with weekly seasonality and ±3 % noise; planted drops and spikes change only
    // the last 7 full days.
    for (metric, base, situation, factor) in [
        (
            "active_users",
            c.rng.random_range(50.0..500.0),
            Situation::UsageDrop,
            0.5,
        ),
        (
            "api_calls",
            c.rng.random_range(1000.0..20000.0),
            Situation::UsageSpike,
            2.0,
        ),
    ] {
        for back in 1..=i64::from(opts.days) {
            let date = c.today - Duration::days(back);
            let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
            let mut value: f64 =
                base * if weekend { 0.6 } else { 1.0 } * c.rng.random_range(0.97..1.03);
            if back <= 7 && has(situation) {
                value *= factor;
            }
            c.push(json!({"type": "usage", "id": c.id(&format!("{metric}-{back}")), "updated_at": updated, "date": date.to_string(), "metric": metric, "value": (value * 10.0).round() / 10.0}));
        }
        if has(situation) {
            let key = if situation == Situation::UsageDrop {
                "usage"
            } else {
                "usage_spike"
            };
            c.expect(
                situation,
                format!("{key}:{}:{metric}:{}", c.account, c.week()),
            );
        }
    }

    // A renewal inside its window while usage fell or a ticket was escalated: a renewal-at-risk
    // plan (its CRM step needs the open deal, which every account has).
    if has(Situation::RenewalWindow)
        && (has(Situation::UsageDrop) || has(Situation::TicketEscalated))
    {
        c.expect_plan(
            "renewal_at_risk",
            Situation::RenewalWindow.signal_type(),
            &[
                "create_task",
                "send_email",
                "request_meeting",
                "update_crm_field",
            ],
        );
    }

    // Held meetings every 10 days with the buyer; the latest 5 days ago, or more than 30 when
    // the account has gone quiet. One meeting scheduled ahead.
    let first_held = if has(Situation::NoRecentMeeting) {
        31
    } else {
        5
    };
    let mut latest_held = None;
    for (n, back) in (first_held..i64::from(opts.days)).step_by(10).enumerate() {
        let id = c.id(&format!("m{n}"));
        let starts = now - Duration::days(back);
        c.push(json!({"type": "meeting", "id": id, "updated_at": updated, "title": "Weekly sync", "starts_at": ts(starts), "ends_at": ts(starts + Duration::hours(1)), "status": "held", "attendee_ids": [buyer]}));
        latest_held.get_or_insert(id);
    }
    if has(Situation::NoRecentMeeting) {
        let after = latest_held.unwrap_or_else(|| "none".into());
        let key = format!("no_meeting:{}:after:{after}", c.account);
        // A meeting on the calendar answers the silence: no meeting request is expected then.
        if has(Situation::MeetingSoon) {
            c.expect_signal_only(Situation::NoRecentMeeting, key);
        } else {
            c.expect(Situation::NoRecentMeeting, key);
        }
    }
    // One meeting scheduled ahead, unless the account has gone quiet with nothing booked.
    let ahead = if has(Situation::MeetingSoon) {
        Some(Duration::hours(c.rng.random_range(2..40)))
    } else if has(Situation::NoRecentMeeting) {
        None
    } else {
        Some(Duration::days(c.rng.random_range(5..15)))
    };
    let meeting = c.id("m-next");
    let starts = now + ahead.unwrap_or_default();
    if ahead.is_some() {
        c.push(json!({"type": "meeting", "id": meeting, "updated_at": updated, "title": "Quarterly business review", "starts_at": ts(starts), "ends_at": ts(starts + Duration::hours(1)), "status": "scheduled", "attendee_ids": [champion, buyer]}));
    }
    if has(Situation::MeetingSoon) {
        c.expect(
            Situation::MeetingSoon,
            format!("meeting:{meeting}:{}", starts.to_rfc3339()),
        );
    }

    // Touches with the champion every 3 days; none in the last 14 days when they went quiet.
    let quiet = has(Situation::ChampionGoneQuiet);
    for back in (1..i64::from(opts.days)).step_by(3) {
        if quiet && back <= 14 {
            continue;
        }
        let kind = if back % 2 == 0 { "email" } else { "call" };
        let direction = if back % 3 == 1 { "inbound" } else { "outbound" };
        c.push(json!({"type": "activity", "id": c.id(&format!("x{back}")), "updated_at": updated, "kind": kind, "at": ts(now - Duration::days(back) + Duration::hours(2)), "contact_id": champion, "direction": direction}));
    }
    if quiet {
        c.expect(
            Situation::ChampionGoneQuiet,
            format!("champion:{champion}:drop:{}", c.week()),
        );
    }

    // News and notes.
    let note_text = *NOTES.choose(c.rng).unwrap_or(&NOTES[0]);
    c.push(json!({"type": "note", "id": c.id("n1"), "updated_at": updated, "at": ts(now - Duration::days(2)), "author": "owner", "text": note_text}));
    if has(Situation::CompetitorMentioned) {
        let competitor = *COMPETITORS.choose(c.rng).unwrap_or(&COMPETITORS[0]);
        let id = c.id("n2");
        c.push(json!({"type": "note", "id": id, "updated_at": updated, "at": ts(now - Duration::days(1)), "author": "owner", "text": format!("They are trialling {competitor} for reporting.")}));
        c.expect(
            Situation::CompetitorMentioned,
            format!("competitor:{}:note:{id}", competitor.to_lowercase()),
        );
    }
    c.push(json!({"type": "news", "id": c.id("w0"), "updated_at": updated, "kind": "other", "published_at": ts(now - Duration::days(20)), "headline": format!("{name} opens a new office")}));
    for (situation, kind, headline) in [
        (Situation::Funding, "funding", "raises a Series C"),
        (
            Situation::Partnership,
            "partnership",
            "partners with a cloud provider",
        ),
    ] {
        if has(situation) {
            let id = c.id(kind);
            c.push(json!({"type": "news", "id": id, "updated_at": updated, "kind": kind, "published_at": ts(now - Duration::days(1)), "headline": format!("{name} {headline}"), "url": format!("https://news.example/{id}")}));
            c.expect(situation, format!("news:{id}"));
        }
    }
    Ok(())
}
