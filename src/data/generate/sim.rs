//! The story behind the demo data: each customer's latent health drifts day by day and drives
//! usage, tickets, NPS answers and churn. A customer's whole history comes from its own random
//! stream, seeded by (seed, customer index), so it never depends on chunking or thread count.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

use crate::features::account::next_renewal;
use crate::score::groups::{ControlGroups, Group};

use super::layout::Ids;
use crate::time::{self, Day, Ts};

/// Plan names; revenue, usage and ticket volume grow along this list.
pub(super) const PLANS: [&str; 3] = ["basic", "pro", "enterprise"];
/// Segment names.
pub(super) const SEGMENTS: [&str; 3] = ["smb", "mid_market", "enterprise"];
/// The customer-success managers accounts are assigned to (the optional `owner` column).
pub(super) const OWNERS: [&str; 6] = ["avery", "blake", "casey", "devon", "emery", "finley"];

/// The CSM of customer `id`: a hash of the id, not a random draw, so every other column keeps
/// its bytes.
pub(super) fn owner_of(id: &str) -> &'static str {
    let u = crate::score::groups::unit_hash("owner", id);
    OWNERS[((u * OWNERS.len() as f64) as usize).min(OWNERS.len() - 1)]
}
/// Event types.
pub(super) const EVENT_TYPES: [&str; 3] = ["login", "feature_use", "export"];

/// Share of customers signed up before the history starts (the "initial base"), including those
/// who churned before it.
const INITIAL_SHARE: f64 = 0.38;
/// Monthly churn hazard of the initial base before the start. Their earlier churn is recorded
/// (a churn row and no activity), so retention KPIs before the start are real, not a flat 0 %.
const PRE_START_MONTHLY_HAZARD: f64 = 0.025;
/// The initial base signed up within this many days before the start.
const INITIAL_SPAN_DAYS: Day = 730;

const PLAN_WEIGHTS: [f64; 3] = [0.55, 0.33, 0.12];
const SEGMENT_WEIGHTS_BY_PLAN: [[f64; 3]; 3] =
    [[0.85, 0.15, 0.0], [0.4, 0.5, 0.1], [0.0, 0.3, 0.7]];
const ANNUAL_SHARE_BY_PLAN: [f64; 3] = [0.2, 0.5, 0.9];
const LIST_PRICE_BY_PLAN: [f64; 3] = [39.0, 149.0, 900.0];
/// Annual contracts pay this fraction of the list price.
const ANNUAL_DISCOUNT: f64 = 0.85;

// Health: daily AR(1) around the customer's own mean, `h += THETA (mu - h) + SIGMA e`.
const MEAN_HEALTH_SD: f64 = 0.6;
const THETA: f64 = 1.0 / 60.0;
const SIGMA: f64 = 0.13;
/// Standard deviation of health around the customer's mean in the long run.
const STATIONARY_SD: f64 = 0.72;

// Usage: events per day = usage level x exp(USAGE_HEALTH h) x weekday factor x pre-churn fade.
const USAGE_BY_PLAN: [f64; 3] = [0.17, 0.3, 0.65];
const USAGE_SPREAD: f64 = 0.5;
const USAGE_HEALTH: f64 = 0.8;
const WEEKEND_FACTOR: f64 = 0.3;
const WEEKDAY_FACTOR: f64 = 1.15;
const MAX_DAILY_RATE: f64 = 40.0;
/// Share of churners whose usage fades before they leave (the others leave abruptly).
const FADE_SHARE: f64 = 0.75;
const FADE_DAYS: (Day, Day) = (14, 60);
/// Usage on the last day before churn, relative to normal.
const FADE_FLOOR: f64 = 0.15;
const EVENT_TYPE_WEIGHTS: [f64; 3] = [0.6, 0.32, 0.08];
/// Relative activity by hour of day (UTC), in tenths.
const HOUR_WEIGHTS: [u32; 24] = [
    10, 6, 4, 4, 4, 6, 10, 30, 70, 90, 90, 80, 60, 80, 90, 90, 80, 60, 40, 30, 30, 25, 20, 15,
];
const HOUR_TOTAL: u32 = {
    let (mut i, mut sum) = (0, 0);
    while i < HOUR_WEIGHTS.len() {
        sum += HOUR_WEIGHTS[i];
        i += 1;
    }
    sum
};

// Churn: a daily hazard, plus for annual contracts a decision at each renewal date.
const MONTHLY_HAZARD: f64 = 0.00052;
/// Annual contracts rarely cancel mid-term.
const ANNUAL_HAZARD: f64 = 0.00005;
const HAZARD_HEALTH: f64 = 1.1;
const NEW_CUSTOMER_DAYS: Day = 90;
const NEW_CUSTOMER_HAZARD: f64 = 2.5;
/// Extra hazard per open high/urgent ticket (at most three count).
const OPEN_TICKET_HAZARD: f64 = 0.4;
const RENEWAL_LOGIT: f64 = -2.0;
const RENEWAL_HEALTH: f64 = 1.3;
const NO_AUTO_RENEW_LOGIT: f64 = 0.9;
const DISCOUNT_REQUEST_LOGIT: f64 = 0.6;
/// Share of churners who open a cancellation ticket in the days before they leave.
const CANCELLATION_TICKET_SHARE: f64 = 0.25;

// Tickets: a daily rate growing as health falls; discount requests before annual renewals.
const TICKET_RATE: f64 = 0.011;
const TICKETS_BY_PLAN: [f64; 3] = [0.7, 1.0, 2.0];
const TICKET_HEALTH: f64 = 0.9;
const DISCOUNT_RATE_BEFORE_RENEWAL: f64 = 0.006;
const DISCOUNT_WINDOW_DAYS: Day = 30;
const RESOLUTION_MEDIAN_HOURS: f64 = 16.0;
const RESOLUTION_SPEED_BY_PRIORITY: [f64; 4] = [1.5, 1.0, 0.6, 0.3];
/// Chance that a ticket stays open for weeks, at the worst health.
const LONG_OPEN_SHARE: f64 = 0.3;
const LONG_OPEN_HOURS: (f64, f64) = (240.0, 2160.0);

// NPS: a survey about every quarter, answered by some; the score follows health.
const SURVEY_EVERY_DAYS: Day = 91;
const FIRST_SURVEY_DAYS: (Day, Day) = (30, 91);
const NPS_RESPONSE: f64 = 0.4;
const NPS_CENTER: f64 = 7.3;
const NPS_HEALTH: f64 = 1.8;
const NPS_NOISE: f64 = 1.2;

/// The simulated period and population, shared by every customer.
#[derive(Debug, Clone)]
pub(super) struct World {
    pub seed: u64,
    pub n_customers: u64,
    /// First day of the history.
    pub start: Day,
    /// First day after the history.
    pub end: Day,
    /// A known treatment effect on a campaign's outreach group, if any.
    pub treatment: Option<Treat>,
}

/// The treatment of [`super::Treatment`], ready to apply.
#[derive(Debug, Clone)]
pub(super) struct Treat {
    pub effect: f64,
    pub from: Day,
    /// First day after the window.
    pub until: Day,
    pub groups: ControlGroups,
    pub ids: Ids,
}

impl Treat {
    /// Whether customer `index` is saved from churning in the window: in the outreach group and
    /// drawn (from a stream of its own, so nothing else moves) with probability `effect`.
    fn saves(&self, seed: u64, index: u64) -> bool {
        let id = self.ids.customer(index);
        self.groups.group(&id) == Group::Outreach
            && customer_rng(seed ^ TREATMENT_STREAM, index).gen::<f64>() < self.effect
    }
}

/// Seeds the treatment's own random stream.
const TREATMENT_STREAM: u64 = 0x7472_6561_746d_656e;

impl World {
    /// Customers signed up before the start.
    fn n_initial(&self) -> u64 {
        (self.n_customers as f64 * INITIAL_SHARE).round() as u64
    }

    /// The earliest possible signup date.
    pub fn first_signup(&self) -> Day {
        self.start - INITIAL_SPAN_DAYS
    }

    fn end_ts(&self) -> Ts {
        time::day_start(self.end)
    }
}

/// One row of the customers table.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Customer {
    pub index: u64,
    pub signup: Day,
    /// Index into `PLANS`.
    pub plan: u8,
    pub monthly_revenue: f64,
    pub contract_months: u32,
    /// Index into `SEGMENTS`.
    pub segment: u8,
    pub auto_renew: bool,
}

impl Customer {
    fn annual(&self) -> bool {
        self.contract_months >= 12
    }
}

/// One ticket; `seq` numbers a customer's tickets from 1 in `opened` order.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Ticket {
    pub customer: u64,
    pub seq: u32,
    pub opened: Ts,
    pub resolved: Option<Ts>,
    /// Index into `schema::PRIORITIES`.
    pub priority: u8,
    /// Index into `schema::CATEGORIES`.
    pub category: u8,
}

/// One NPS answer.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct NpsAnswer {
    pub customer: u64,
    pub responded: Ts,
    pub score: u8,
}

/// A churned customer and the first day it is gone.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Churn {
    pub customer: u64,
    pub day: Day,
}

/// Events, column-wise, ordered by customer then time.
#[derive(Debug, Default)]
pub(super) struct Events {
    pub customer: Vec<u64>,
    pub ts: Vec<Ts>,
    /// Index into `EVENT_TYPES`.
    pub kind: Vec<u8>,
    pub quantity: Vec<f64>,
}

impl Events {
    pub fn len(&self) -> usize {
        self.ts.len()
    }
}

/// The five tables for a contiguous range of customers, in customer order.
#[derive(Debug, Default)]
pub(super) struct Chunk {
    pub customers: Vec<Customer>,
    pub events: Events,
    pub tickets: Vec<Ticket>,
    pub nps: Vec<NpsAnswer>,
    pub churn: Vec<Churn>,
}

impl Chunk {
    /// Rows per table, in `schema::table::ALL` order.
    pub fn rows(&self) -> [u64; 5] {
        [
            self.customers.len(),
            self.events.len(),
            self.tickets.len(),
            self.nps.len(),
            self.churn.len(),
        ]
        .map(|n| n as u64)
    }
}

/// Simulate customers `range` of the world.
pub(super) fn simulate_chunk(world: &World, range: std::ops::Range<u64>) -> Chunk {
    let mut chunk = Chunk::default();
    for index in range {
        simulate_customer(world, index, &mut chunk);
    }
    chunk
}

/// Hidden traits of a customer that shape its story.
struct Traits {
    mean_health: f64,
    usage: f64,
    fade_days: Option<Day>,
    survey_phase: Day,
}

/// What pass one leaves for the events: the daily health from `first` and the churn day.
struct Life {
    first: Day,
    health: Vec<f32>,
    churned: Option<Day>,
    /// The day usage fades towards: the churn day, or the day a treated customer was saved on.
    fade_to: Option<Day>,
}

fn simulate_customer(world: &World, index: u64, out: &mut Chunk) {
    let mut rng = customer_rng(world.seed, index);
    let customer = draw_customer(world, index, &mut rng);
    if let Some(day) = churned_before_start(world, &customer) {
        out.churn.push(Churn {
            customer: index,
            day,
        });
        out.customers.push(customer);
        return;
    }
    let traits = draw_traits(&customer, &mut rng);
    let saved = world
        .treatment
        .as_ref()
        .filter(|t| t.saves(world.seed, index))
        .map(|t| t.from..t.until);
    let (life, mut rng) = match saved {
        None => {
            let life = live(world, &customer, &traits, &mut rng, out, None);
            (life, rng)
        }
        Some(window) => treated_life(world, &customer, &traits, rng, out, window),
    };
    emit_events(world, &customer, &traits, &life, &mut rng, &mut out.events);
    if let Some(day) = life.churned {
        out.churn.push(Churn {
            customer: index,
            day,
        });
    }
    out.customers.push(customer);
}

/// The life of a customer the treatment saves, and the stream its events draw from. The past
/// before the window is the untreated customer's, draw for draw: the untreated life runs first;
/// only when it churns inside the window does the treated one replace it (the same tickets and
/// answers up to the saved day, a cancellation request included, then a life that goes on), and
/// the events draw from the untreated stream, fading towards the saved day as they would have.
fn treated_life(
    world: &World,
    c: &Customer,
    traits: &Traits,
    rng: ChaCha8Rng,
    out: &mut Chunk,
    window: std::ops::Range<Day>,
) -> (Life, ChaCha8Rng) {
    let mut untreated_rng = rng.clone();
    let mut scratch = Chunk::default();
    let untreated = live(world, c, traits, &mut untreated_rng, &mut scratch, None);
    match untreated.churned {
        Some(day) if window.contains(&day) => {
            let mut treated_rng = rng;
            let mut life = live(world, c, traits, &mut treated_rng, out, Some(window));
            life.fade_to = Some(day);
            (life, untreated_rng)
        }
        _ => {
            out.tickets.append(&mut scratch.tickets);
            out.nps.append(&mut scratch.nps);
            (untreated, untreated_rng)
        }
    }
}

/// For the initial base: whether the customer left before the history starts, and when. Monthly
/// contracts may leave any day, annual ones at a renewal. A stream of its own, so the stories of
/// everyone who stays are the same whatever this draws.
fn churned_before_start(world: &World, customer: &Customer) -> Option<Day> {
    if customer.signup >= world.start {
        return None;
    }
    let mut rng = customer_rng(world.seed ^ 0x9e37_79b9_7f4a_7c15, customer.index);
    let step = if customer.annual() { 12 } else { 1 };
    let per_step = 1.0 - (1.0 - PRE_START_MONTHLY_HAZARD).powi(step);
    let mut k = 1;
    loop {
        let period_end = time::add_months(customer.signup, k * step);
        if period_end >= world.start {
            return None;
        }
        if rng.gen::<f64>() < per_step {
            let from = time::add_months(customer.signup, (k - 1) * step) + 1;
            return Some(if customer.annual() {
                period_end
            } else {
                rng.gen_range(from..=period_end)
            });
        }
        k += 1;
    }
}

/// The customer's own random stream.
fn customer_rng(seed: u64, index: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(index);
    rng
}

fn draw_customer(world: &World, index: u64, rng: &mut ChaCha8Rng) -> Customer {
    let signup = signup_day(world, index, rng);
    let plan = pick(rng, &PLAN_WEIGHTS);
    let segment = pick(rng, &SEGMENT_WEIGHTS_BY_PLAN[plan as usize]);
    let annual = rng.gen::<f64>() < ANNUAL_SHARE_BY_PLAN[plan as usize];
    let auto_renew = rng.gen::<f64>() < if annual { 0.6 } else { 0.9 };
    let seats = rng.gen_range(0.8..1.6);
    let price =
        LIST_PRICE_BY_PLAN[plan as usize] * seats * if annual { ANNUAL_DISCOUNT } else { 1.0 };
    Customer {
        index,
        signup,
        plan,
        monthly_revenue: (price * 100.0).round() / 100.0,
        contract_months: if annual { 12 } else { 1 },
        segment,
        auto_renew,
    }
}

/// Signups are spread evenly: the initial base over the two years before the start, everyone
/// else over the history, so customer ids grow with signup date and every month has newcomers.
fn signup_day(world: &World, index: u64, rng: &mut ChaCha8Rng) -> Day {
    let n_initial = world.n_initial();
    let (first, span, rank, count) = if index < n_initial {
        (world.first_signup(), INITIAL_SPAN_DAYS, index, n_initial)
    } else {
        (
            world.start,
            world.end - world.start,
            index - n_initial,
            world.n_customers - n_initial,
        )
    };
    let position = (rank as f64 + rng.gen::<f64>()) / count as f64;
    first + ((position * span as f64) as Day).min(span - 1)
}

fn draw_traits(customer: &Customer, rng: &mut ChaCha8Rng) -> Traits {
    let spread: f64 = rng.sample(StandardNormal);
    let fades = rng.gen::<f64>() < FADE_SHARE;
    Traits {
        mean_health: MEAN_HEALTH_SD * rng.sample::<f64, _>(StandardNormal),
        usage: USAGE_BY_PLAN[customer.plan as usize] * (USAGE_SPREAD * spread).exp(),
        fade_days: fades.then(|| rng.gen_range(FADE_DAYS.0..=FADE_DAYS.1)),
        survey_phase: rng.gen_range(FIRST_SURVEY_DAYS.0..FIRST_SURVEY_DAYS.1),
    }
}

/// NPS class of the latest answer, as the churn model sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum NpsClass {
    None,
    Detractor,
    Passive,
    Promoter,
}

impl NpsClass {
    fn of(score: u8) -> Self {
        match score {
            0..=6 => NpsClass::Detractor,
            7..=8 => NpsClass::Passive,
            _ => NpsClass::Promoter,
        }
    }

    fn hazard_factor(self) -> f64 {
        match self {
            NpsClass::None => 1.0,
            NpsClass::Detractor => 1.8,
            NpsClass::Passive => 1.3,
            NpsClass::Promoter => 0.75,
        }
    }

    fn renewal_logit(self) -> f64 {
        self.hazard_factor().ln()
    }
}

/// Day-to-day state of pass one.
struct State {
    health: f64,
    last_nps: NpsClass,
    /// Closing times of open high/urgent tickets (`Ts::MAX` when never closed).
    open_urgent: Vec<Ts>,
    next_renewal: Day,
    /// A discount request was made for the renewal on this day.
    discount_for: Option<Day>,
}

/// Pass one: health, tickets, NPS answers and the churn day.
fn live(
    world: &World,
    c: &Customer,
    traits: &Traits,
    rng: &mut ChaCha8Rng,
    out: &mut Chunk,
    saved: Option<std::ops::Range<Day>>,
) -> Life {
    let first = c.signup.max(world.start);
    let mut state = State {
        health: traits.mean_health + STATIONARY_SD * rng.sample::<f64, _>(StandardNormal),
        last_nps: NpsClass::None,
        open_urgent: Vec::new(),
        next_renewal: next_renewal(c.signup, c.contract_months, first),
        discount_for: None,
    };
    let mut life = Life {
        first,
        health: Vec::with_capacity((world.end - first) as usize),
        churned: None,
        fade_to: None,
    };
    let mut tickets = Vec::new();
    let mut asked_to_cancel = false;
    for day in first..world.end {
        if day > first {
            let shock: f64 = rng.sample(StandardNormal);
            state.health += THETA * (traits.mean_health - state.health) + SIGMA * shock;
        }
        life.health.push(state.health as f32);
        let churns = day > c.signup && churns_today(c, day, &mut state, rng);
        let in_window = saved.as_ref().is_some_and(|w| w.contains(&day));
        if churns && !in_window {
            life.churned = Some(day);
            life.fade_to = Some(day);
            cancellation_ticket(world, c, first, day, rng, &mut tickets);
            break;
        }
        if churns && !asked_to_cancel {
            // Saved: the request to cancel was made all the same; the customer stays.
            asked_to_cancel = true;
            cancellation_ticket(world, c, first, day, rng, &mut tickets);
        }
        open_tickets(world, c, day, &mut state, rng, &mut tickets);
        answer_survey(c, traits, day, &mut state, rng, &mut out.nps);
    }
    number_tickets(tickets, &mut out.tickets);
    life
}

/// Whether the customer leaves on `day` (so `day` is its first day gone).
fn churns_today(c: &Customer, day: Day, state: &mut State, rng: &mut ChaCha8Rng) -> bool {
    let h = state.health;
    if c.annual() && day == state.next_renewal {
        state.next_renewal = next_renewal(c.signup, c.contract_months, day + 1);
        let logit = RENEWAL_LOGIT - RENEWAL_HEALTH * h
            + if c.auto_renew {
                0.0
            } else {
                NO_AUTO_RENEW_LOGIT
            }
            + if state.discount_for == Some(day) {
                DISCOUNT_REQUEST_LOGIT
            } else {
                0.0
            }
            + state.last_nps.renewal_logit();
        if rng.gen::<f64>() < sigmoid(logit) {
            return true;
        }
    }
    let day_ts = time::day_start(day);
    state.open_urgent.retain(|&closed| closed > day_ts);
    let base = if c.annual() {
        ANNUAL_HAZARD
    } else {
        MONTHLY_HAZARD
    };
    let new = if day - c.signup < NEW_CUSTOMER_DAYS {
        NEW_CUSTOMER_HAZARD
    } else {
        1.0
    };
    let open = 1.0 + OPEN_TICKET_HAZARD * state.open_urgent.len().min(3) as f64;
    let hazard = base * (-HAZARD_HEALTH * h).exp() * state.last_nps.hazard_factor() * new * open;
    rng.gen::<f64>() < hazard
}

/// Tickets opened on `day`: the everyday kind, and discount requests before an annual renewal.
fn open_tickets(
    world: &World,
    c: &Customer,
    day: Day,
    state: &mut State,
    rng: &mut ChaCha8Rng,
    tickets: &mut Vec<Ticket>,
) {
    let h = state.health;
    let bad = sigmoid(-1.5 * h - 0.5);
    let rate = TICKET_RATE * TICKETS_BY_PLAN[c.plan as usize] * (-TICKET_HEALTH * h).exp();
    for _ in 0..poisson(rng, rate) {
        let category = pick(rng, &category_weights(bad));
        tickets.push(draw_ticket(world, c, day, bad, category, rng));
    }
    let to_renewal = state.next_renewal - day;
    if c.annual() && (1..=DISCOUNT_WINDOW_DAYS).contains(&to_renewal) {
        let lean = if c.auto_renew { 0.7 } else { 1.3 };
        if rng.gen::<f64>() < DISCOUNT_RATE_BEFORE_RENEWAL * (-h).exp() * lean {
            tickets.push(draw_ticket(world, c, day, bad, DISCOUNT_REQUEST, rng));
            state.discount_for = Some(state.next_renewal);
        }
    }
    for t in tickets
        .iter()
        .rev()
        .take_while(|t| time::day_of_ts(t.opened) == day)
    {
        if t.priority >= HIGH {
            state.open_urgent.push(t.resolved.unwrap_or(Ts::MAX));
        }
    }
}

const DISCOUNT_REQUEST: u8 = 3;
const CANCELLATION: u8 = 4;
const HIGH: u8 = 2;

/// Weights over `schema::CATEGORIES`; `bad` in (0, 1) grows as health falls.
fn category_weights(bad: f64) -> [f64; 6] {
    [
        0.30,
        0.30 * (1.0 - bad),
        0.08 + 0.14 * bad,
        0.02 + 0.05 * bad,
        0.005 + 0.02 * bad,
        0.15,
    ]
}

fn draw_ticket(
    world: &World,
    c: &Customer,
    day: Day,
    bad: f64,
    category: u8,
    rng: &mut ChaCha8Rng,
) -> Ticket {
    let opened = time::day_start(day) + second_of_day(rng);
    let priority = pick(rng, &[0.30, 0.45, 0.15 + 0.10 * bad, 0.04 + 0.12 * bad]);
    let hours = if rng.gen::<f64>() < LONG_OPEN_SHARE * bad {
        rng.gen_range(LONG_OPEN_HOURS.0..LONG_OPEN_HOURS.1)
    } else {
        let noise: f64 = rng.sample(StandardNormal);
        RESOLUTION_MEDIAN_HOURS * noise.exp() * RESOLUTION_SPEED_BY_PRIORITY[priority as usize]
    };
    let resolved = opened + (hours * 3600.0) as Ts + 60;
    Ticket {
        customer: c.index,
        seq: 0,
        opened,
        resolved: (resolved < world.end_ts()).then_some(resolved),
        priority,
        category,
    }
}

/// Some churners ask to cancel in the days before they leave.
fn cancellation_ticket(
    world: &World,
    c: &Customer,
    first: Day,
    churn_day: Day,
    rng: &mut ChaCha8Rng,
    tickets: &mut Vec<Ticket>,
) {
    if rng.gen::<f64>() >= CANCELLATION_TICKET_SHARE {
        return;
    }
    let day = churn_day - rng.gen_range(1..=10);
    if day >= first {
        let mut ticket = draw_ticket(world, c, day, 0.5, CANCELLATION, rng);
        ticket.priority = 1;
        tickets.push(ticket);
    }
}

/// Sort a customer's tickets by opening time and number them.
fn number_tickets(mut tickets: Vec<Ticket>, out: &mut Vec<Ticket>) {
    tickets.sort_by_key(|t| t.opened);
    for (seq, mut t) in tickets.into_iter().enumerate() {
        t.seq = seq as u32 + 1;
        out.push(t);
    }
}

fn answer_survey(
    c: &Customer,
    traits: &Traits,
    day: Day,
    state: &mut State,
    rng: &mut ChaCha8Rng,
    out: &mut Vec<NpsAnswer>,
) {
    let since = day - c.signup - traits.survey_phase;
    if since < 0 || since % SURVEY_EVERY_DAYS != 0 || rng.gen::<f64>() >= NPS_RESPONSE {
        return;
    }
    let noise: f64 = rng.sample(StandardNormal);
    let score = (NPS_CENTER + NPS_HEALTH * state.health + NPS_NOISE * noise)
        .round()
        .clamp(0.0, 10.0) as u8;
    state.last_nps = NpsClass::of(score);
    out.push(NpsAnswer {
        customer: c.index,
        responded: time::day_start(day) + second_of_day(rng),
        score,
    });
}

/// Pass two: events from the health path, fading before churn for most churners.
fn emit_events(
    world: &World,
    c: &Customer,
    traits: &Traits,
    life: &Life,
    rng: &mut ChaCha8Rng,
    out: &mut Events,
) {
    let stop = life.churned.unwrap_or(world.end);
    let mut times = Vec::new();
    for day in life.first..stop {
        let h = life.health[(day - life.first) as usize] as f64;
        let rate =
            traits.usage * (USAGE_HEALTH * h).exp() * weekday_factor(day) * fade(day, life, traits);
        let n = poisson(rng, rate.min(MAX_DAILY_RATE));
        times.clear();
        times.extend((0..n).map(|_| time::day_start(day) + second_of_day(rng)));
        times.sort_unstable();
        for &ts in &times {
            let kind = pick(rng, &EVENT_TYPE_WEIGHTS);
            out.customer.push(c.index);
            out.ts.push(ts);
            out.kind.push(kind);
            out.quantity.push(quantity(kind, rng));
        }
    }
}

fn weekday_factor(day: Day) -> f64 {
    // 1970-01-01 was a Thursday: (day + 3) mod 7 counts from Monday.
    if (day + 3).rem_euclid(7) >= 5 {
        WEEKEND_FACTOR
    } else {
        WEEKDAY_FACTOR
    }
}

/// Usage relative to normal on `day`: falls linearly to `FADE_FLOOR` before churn.
fn fade(day: Day, life: &Life, traits: &Traits) -> f64 {
    match (life.fade_to, traits.fade_days) {
        (Some(churn), Some(len)) if day < churn && churn - day <= len => {
            FADE_FLOOR + (1.0 - FADE_FLOOR) * (churn - day) as f64 / len as f64
        }
        _ => 1.0,
    }
}

/// Logins count 1; feature uses a few actions; exports a number of rows.
fn quantity(kind: u8, rng: &mut ChaCha8Rng) -> f64 {
    match kind {
        0 => 1.0,
        1 => 1.0 + poisson(rng, 1.5) as f64,
        _ => {
            let noise: f64 = rng.sample(StandardNormal);
            (4.0 + noise).exp().round().max(1.0)
        }
    }
}

/// A second of the day, weighted towards working hours.
fn second_of_day(rng: &mut ChaCha8Rng) -> Ts {
    let mut u = rng.gen_range(0..HOUR_TOTAL);
    let mut hour = 0;
    while u >= HOUR_WEIGHTS[hour] {
        u -= HOUR_WEIGHTS[hour];
        hour += 1;
    }
    hour as Ts * 3600 + rng.gen_range(0..3600)
}

/// An index drawn with probability proportional to `weights`.
fn pick(rng: &mut ChaCha8Rng, weights: &[f64]) -> u8 {
    let total: f64 = weights.iter().sum();
    let mut u = rng.gen::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if u < *w {
            return i as u8;
        }
        u -= w;
    }
    (weights.len() - 1) as u8
}

/// A Poisson count by inversion (rates here are small), normal approximation above 30.
fn poisson(rng: &mut ChaCha8Rng, lambda: f64) -> u32 {
    if lambda <= 0.0 {
        return 0;
    }
    if lambda > 30.0 {
        let z: f64 = rng.sample(StandardNormal);
        return (lambda + lambda.sqrt() * z).round().max(0.0) as u32;
    }
    let u = rng.gen::<f64>();
    let (mut k, mut p) = (0u32, (-lambda).exp());
    let mut cdf = p;
    while u > cdf && k < 200 {
        k += 1;
        p *= lambda / k as f64;
        cdf += p;
    }
    k
}

/// The generator's own logistic. Its exact bits are part of the seeded data (draws compare
/// against it), so it keeps this form rather than the numerically safer [`crate::stats::sigmoid`].
fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::sync::OnceLock;

    use super::*;

    fn day(s: &str) -> Day {
        time::parse_day(s, None).unwrap()
    }

    fn world(n_customers: u64) -> World {
        let start = day("2024-01-01");
        World {
            seed: 7,
            n_customers,
            start,
            end: time::add_months(start, 24),
            treatment: None,
        }
    }

    /// One shared simulation: large enough for the story's rates to show, small enough for speed.
    fn story() -> &'static (World, Chunk) {
        static STORY: OnceLock<(World, Chunk)> = OnceLock::new();
        STORY.get_or_init(|| {
            let w = world(6000);
            let chunk = simulate_chunk(&w, 0..w.n_customers);
            (w, chunk)
        })
    }

    /// First day gone per customer (the end of the history for those who stay).
    fn stops(w: &World, chunk: &Chunk) -> Vec<Day> {
        let mut stop = vec![w.end; chunk.customers.len()];
        for c in &chunk.churn {
            stop[c.customer as usize] = c.day;
        }
        stop
    }

    fn within_life(w: &World, c: &Customer, stop: Day, ts: Ts) -> bool {
        ts >= time::day_start(c.signup.max(w.start)) && ts < time::day_start(stop)
    }

    #[test]
    fn events_fall_within_each_customers_life_in_order() {
        let (w, chunk) = story();
        let stop = stops(w, chunk);
        let ev = &chunk.events;
        for i in 0..ev.len() {
            let c = &chunk.customers[ev.customer[i] as usize];
            assert!(
                within_life(w, c, stop[c.index as usize], ev.ts[i]),
                "event {i} of {c:?}"
            );
            if i > 0 {
                assert!(
                    (ev.customer[i - 1], ev.ts[i - 1]) <= (ev.customer[i], ev.ts[i]),
                    "row {i}"
                );
            }
        }
    }

    #[test]
    fn tickets_and_answers_fall_within_each_customers_life() {
        let (w, chunk) = story();
        let stop = stops(w, chunk);
        let mut ids = HashSet::new();
        for t in &chunk.tickets {
            let c = &chunk.customers[t.customer as usize];
            assert!(within_life(w, c, stop[c.index as usize], t.opened), "{t:?}");
            assert!(
                t.resolved
                    .is_none_or(|r| r >= t.opened && r < time::day_start(w.end)),
                "{t:?}"
            );
            assert!(ids.insert((t.customer, t.seq)), "duplicate ticket {t:?}");
        }
        for a in &chunk.nps {
            let c = &chunk.customers[a.customer as usize];
            assert!(
                within_life(w, c, stop[c.index as usize], a.responded),
                "{a:?}"
            );
            assert!(a.score <= 10);
        }
    }

    #[test]
    fn churn_follows_signup_once_per_customer() {
        let (w, chunk) = story();
        let mut seen = HashSet::new();
        for ch in &chunk.churn {
            let c = &chunk.customers[ch.customer as usize];
            assert!(ch.day > c.signup && ch.day < w.end, "{ch:?} for {c:?}");
            assert!(seen.insert(ch.customer));
        }
        assert!(chunk
            .customers
            .iter()
            .enumerate()
            .all(|(i, c)| c.index == i as u64));
    }

    #[test]
    fn signups_reach_every_month_of_the_history() {
        let (w, chunk) = story();
        let months: HashSet<Day> = chunk
            .customers
            .iter()
            .filter(|c| c.signup >= w.start)
            .map(|c| time::month_start(c.signup))
            .collect();
        assert_eq!(months.len(), 24);
        assert!(chunk
            .customers
            .iter()
            .all(|c| c.signup < w.end && c.signup >= w.first_signup()));
    }

    #[test]
    fn renewals_count_from_signup_and_clamp_to_month_end() {
        // Chained month additions would drift to the 29th after February.
        assert_eq!(
            next_renewal(day("2024-01-31"), 1, day("2024-03-01")),
            day("2024-03-31")
        );
        assert_eq!(
            next_renewal(day("2024-01-31"), 1, day("2024-02-01")),
            day("2024-02-29")
        );
        assert_eq!(
            next_renewal(day("2024-02-29"), 12, day("2024-03-01")),
            day("2025-02-28")
        );
        assert_eq!(
            next_renewal(day("2024-02-29"), 12, day("2025-03-01")),
            day("2026-02-28")
        );
        assert_eq!(
            next_renewal(day("2024-02-29"), 12, day("2027-03-01")),
            day("2028-02-29")
        );
        // k >= 1: the signup date itself is not a renewal.
        assert_eq!(
            next_renewal(day("2024-05-10"), 12, day("2024-05-10")),
            day("2025-05-10")
        );
    }

    #[test]
    fn monthly_churn_rate_is_between_1_5_and_4_percent() {
        let (w, chunk) = story();
        let stop = stops(w, chunk);
        let (mut month, mut rates) = (w.start, Vec::new());
        while month < w.end {
            let next = time::add_months(month, 1);
            let active = chunk
                .customers
                .iter()
                .filter(|c| c.signup < month && stop[c.index as usize] >= month);
            let (n, churned) = active.fold((0, 0), |(n, k), c| {
                (
                    n + 1,
                    k + (stop[c.index as usize] < next && stop[c.index as usize] < w.end) as u32,
                )
            });
            rates.push(churned as f64 / n as f64);
            month = next;
        }
        let mean = rates.iter().sum::<f64>() / rates.len() as f64;
        assert!(
            (0.015..=0.04).contains(&mean),
            "mean monthly churn {mean:.4}, by month {rates:?}"
        );
    }

    /// Events per customer-day over `[from, to)` for the given customers' windows.
    fn event_rate(chunk: &Chunk, windows: &[(u64, Day, Day)]) -> f64 {
        let wanted: std::collections::HashMap<u64, (Day, Day)> =
            windows.iter().map(|&(c, a, b)| (c, (a, b))).collect();
        let ev = &chunk.events;
        let n = (0..ev.len())
            .filter(|&i| {
                wanted.get(&ev.customer[i]).is_some_and(|&(a, b)| {
                    (time::day_start(a)..time::day_start(b)).contains(&ev.ts[i])
                })
            })
            .count();
        let days: i64 = windows.iter().map(|&(_, a, b)| (b - a) as i64).sum();
        n as f64 / days as f64
    }

    #[test]
    fn usage_falls_in_the_month_before_churn() {
        let (w, chunk) = story();
        let stop = stops(w, chunk);
        let first = |c: &Customer| c.signup.max(w.start);
        let churners: Vec<(u64, Day, Day)> = chunk
            .churn
            .iter()
            .filter(|ch| ch.day - 30 >= first(&chunk.customers[ch.customer as usize]))
            .map(|ch| (ch.customer, ch.day - 30, ch.day))
            .collect();
        // Stayers over the same calendar windows, paired round-robin with the churn dates.
        let stayers: Vec<(u64, Day, Day)> = chunk
            .customers
            .iter()
            .filter(|c| stop[c.index as usize] == w.end)
            .enumerate()
            .map(|(k, c)| {
                (
                    c.index,
                    churners[k % churners.len()].1,
                    churners[k % churners.len()].2,
                )
            })
            .filter(|&(c, a, _)| a >= first(&chunk.customers[c as usize]))
            .collect();
        let (churning, staying) = (event_rate(chunk, &churners), event_rate(chunk, &stayers));
        assert!(
            churning < 0.7 * staying,
            "events/day before churn {churning:.3} vs stayers {staying:.3}"
        );
    }

    #[test]
    fn usage_fades_over_the_weeks_before_churn() {
        let (w, chunk) = story();
        let first = |ch: &Churn| chunk.customers[ch.customer as usize].signup.max(w.start);
        let long: Vec<&Churn> = chunk
            .churn
            .iter()
            .filter(|ch| ch.day - 90 >= first(ch))
            .collect();
        let window = |from: Day, to: Day| -> Vec<(u64, Day, Day)> {
            long.iter()
                .map(|ch| (ch.customer, ch.day - from, ch.day - to))
                .collect()
        };
        let (last, earlier) = (
            event_rate(chunk, &window(30, 0)),
            event_rate(chunk, &window(90, 60)),
        );
        assert!(
            last < 0.6 * earlier,
            "events/day of churners: last 30 days {last:.3}, 60-90 days before {earlier:.3}"
        );
    }

    #[test]
    fn passives_churn_more_than_promoters_and_detractors_most() {
        let (w, chunk) = story();
        let stop = stops(w, chunk);
        let mut by_class = [(0u32, 0u32); 3]; // (answers, churned within 90 days) per class
        for a in chunk
            .nps
            .iter()
            .filter(|a| time::day_of_ts(a.responded) + 90 <= w.end)
        {
            let class = match NpsClass::of(a.score) {
                NpsClass::Detractor => 0,
                NpsClass::Passive => 1,
                _ => 2,
            };
            let gone = stop[a.customer as usize] < time::day_of_ts(a.responded) + 90;
            by_class[class].0 += 1;
            by_class[class].1 += gone as u32;
        }
        let rate = |(n, k): (u32, u32)| k as f64 / n as f64;
        let [detractor, passive, promoter] = by_class.map(rate);
        assert!(
            detractor > passive && passive > 1.2 * promoter,
            "{by_class:?}"
        );
    }

    #[test]
    fn discount_requests_cluster_before_annual_renewals() {
        let (w, chunk) = story();
        let stop = stops(w, chunk);
        let (mut near_days, mut other_days, mut near, mut other) = (0u64, 0u64, 0u64, 0u64);
        let is_near =
            |c: &Customer, d: Day| next_renewal(c.signup, 12, d + 1) - d <= DISCOUNT_WINDOW_DAYS;
        for c in chunk.customers.iter().filter(|c| c.annual()) {
            for d in c.signup.max(w.start)..stop[c.index as usize] {
                *(if is_near(c, d) {
                    &mut near_days
                } else {
                    &mut other_days
                }) += 1;
            }
        }
        for t in chunk
            .tickets
            .iter()
            .filter(|t| t.category == DISCOUNT_REQUEST)
        {
            let c = &chunk.customers[t.customer as usize];
            if c.annual() {
                *(if is_near(c, time::day_of_ts(t.opened)) {
                    &mut near
                } else {
                    &mut other
                }) += 1;
            }
        }
        let (near_rate, other_rate) = (
            near as f64 / near_days as f64,
            other as f64 / other_days as f64,
        );
        assert!(
            near_rate > 3.0 * other_rate,
            "per day: before renewal {near_rate:.5}, else {other_rate:.5}"
        );
    }

    #[test]
    fn new_customers_churn_more_in_their_first_90_days() {
        let (w, chunk) = story();
        let stop = stops(w, chunk);
        // Churns per customer-day for monthly contracts, by tenure.
        let (mut new, mut old) = ((0u64, 0u64), (0u64, 0u64));
        for c in chunk.customers.iter().filter(|c| !c.annual()) {
            let s = stop[c.index as usize];
            for d in c.signup.max(w.start) + 1..=s.min(w.end - 1) {
                let slot = if d - c.signup < NEW_CUSTOMER_DAYS {
                    &mut new
                } else {
                    &mut old
                };
                slot.0 += 1;
                slot.1 += (d == s) as u64;
            }
        }
        let (new_rate, old_rate) = (new.1 as f64 / new.0 as f64, old.1 as f64 / old.0 as f64);
        assert!(
            new_rate > 1.5 * old_rate,
            "daily churn: first 90 days {new_rate:.5}, later {old_rate:.5}"
        );
    }

    #[test]
    fn annual_contracts_churn_mostly_at_renewal() {
        let (_, chunk) = story();
        let annual: Vec<&Churn> = chunk
            .churn
            .iter()
            .filter(|ch| chunk.customers[ch.customer as usize].annual())
            .collect();
        let at_renewal = annual
            .iter()
            .filter(|ch| {
                next_renewal(chunk.customers[ch.customer as usize].signup, 12, ch.day) == ch.day
            })
            .count();
        let share = at_renewal as f64 / annual.len() as f64;
        assert!(
            annual.len() > 50 && share > 0.6,
            "{at_renewal} of {} at a renewal",
            annual.len()
        );
    }

    #[test]
    fn urgent_and_billing_tickets_rise_before_churn() {
        let (w, chunk) = story();
        let stop = stops(w, chunk);
        let alarming =
            |t: &Ticket| t.priority >= HIGH || t.category == 2 || t.category == DISCOUNT_REQUEST;
        let (mut before, mut before_days, mut stayers, mut stayer_days) = (0u64, 0i64, 0u64, 0i64);
        for c in &chunk.customers {
            let (first, s) = (c.signup.max(w.start), stop[c.index as usize]);
            if s < w.end && s - 90 >= first {
                before_days += 90;
            } else if s == w.end {
                stayer_days += (w.end - first) as i64;
            }
        }
        for t in chunk.tickets.iter().filter(|t| alarming(t)) {
            let s = stop[t.customer as usize];
            let c = &chunk.customers[t.customer as usize];
            if s < w.end && s - 90 >= c.signup.max(w.start) && t.opened >= time::day_start(s - 90) {
                before += 1;
            } else if s == w.end {
                stayers += 1;
            }
        }
        let (churning, staying) = (
            before as f64 / before_days as f64,
            stayers as f64 / stayer_days as f64,
        );
        assert!(
            churning > 1.5 * staying,
            "per day: before churn {churning:.5}, stayers {staying:.5}"
        );
    }

    #[test]
    fn a_customers_history_depends_only_on_seed_and_index() {
        let w = world(50);
        let whole = simulate_chunk(&w, 0..50);
        let tail = simulate_chunk(&w, 30..50);
        assert_eq!(&whole.customers[30..], &tail.customers[..]);
        let from = whole.events.customer.iter().position(|&c| c == 30).unwrap();
        assert_eq!(&whole.events.ts[from..], &tail.events.ts[..]);
        let other = simulate_chunk(&World { seed: 8, ..w }, 0..50);
        assert_ne!(whole.customers, other.customers);
    }
}
