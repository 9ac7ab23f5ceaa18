//! The point-in-time features of the contract (section 5) as common table expressions: one row
//! per customer in the population at `T`, the 25 features in contract order, and the label.
//! Every time is turned into whole seconds or day numbers first, so the windows, the fractional
//! days and the renewal calendar are integer arithmetic the engines agree on.

use crate::features::snapshot::LabelDefinition;
use crate::schema::{col, feature as f};
use crate::time::{self, Day, SECS_PER_DAY};

use super::dialect::Dialect;
use super::TableNames;

/// What the feature part is computed for.
#[derive(Debug, Clone)]
pub struct FeatureQuery<'a> {
    pub dialect: Dialect,
    pub tables: &'a TableNames,
    pub as_of: Day,
    pub horizon_days: u32,
    pub definition: LabelDefinition,
}

impl FeatureQuery<'_> {
    /// The CTEs ending in `features` (columns `customer_id`, `as_of`, the 25 features, `label`)
    /// without the leading `WITH`.
    pub fn ctes(&self) -> Vec<(String, String)> {
        vec![
            ("cust".into(), self.customers()),
            ("churned".into(), self.churned()),
            ("pop".into(), self.population()),
            ("ev_all".into(), self.events()),
            ("tk_all".into(), self.tickets()),
            ("nps_all".into(), self.nps()),
            ("data_end".into(), self.data_end()),
            ("eng".into(), self.engagement()),
            ("sup".into(), self.support()),
            ("nps_ranked".into(), self.nps_ranked()),
            ("nps_last".into(), self.nps_last()),
            ("renewal".into(), self.renewal()),
            ("features".into(), self.assemble()),
        ]
    }

    fn t_day(&self) -> String {
        self.as_of.to_string()
    }

    fn t_secs(&self) -> String {
        (time::day_start(self.as_of)).to_string()
    }

    fn customers(&self) -> String {
        let d = self.dialect;
        let c = |name: &str| d.text(name);
        format!(
            "SELECT {id} AS customer_id, {signup} AS signup_day, {plan} AS plan, \
             {revenue} AS monthly_revenue, {months} AS contract_months, {segment} AS segment \
             FROM {table}",
            id = c(&d.ident(col::CUSTOMER_ID)),
            signup = d.day_number(&c(&d.ident(col::SIGNUP_DATE))),
            plan = c(&d.ident(col::PLAN)),
            revenue = d.double(&c(&d.ident(col::MONTHLY_REVENUE))),
            months = d.int(&c(&d.ident(col::CONTRACT_MONTHS))),
            segment = c(&d.ident(col::SEGMENT)),
            table = self.tables.customers,
        )
    }

    fn churned(&self) -> String {
        let d = self.dialect;
        format!(
            "SELECT {id} AS customer_id, {day} AS churned_day FROM {table}",
            id = d.text(&d.ident(col::CUSTOMER_ID)),
            day = d.day_number(&d.text(&d.ident(col::CHURNED_AT))),
            table = self.tables.churn,
        )
    }

    fn population(&self) -> String {
        let t = self.t_day();
        format!(
            "SELECT c.*, h.churned_day FROM cust c LEFT JOIN churned h \
             ON h.customer_id = c.customer_id \
             WHERE c.signup_day < {t} AND (h.churned_day IS NULL OR h.churned_day >= {t})"
        )
    }

    /// Every event of a known customer, as seconds (the data end needs the later ones too).
    fn events(&self) -> String {
        let d = self.dialect;
        format!(
            "SELECT e.customer_id, e.ts FROM (SELECT {id} AS customer_id, {ts} AS ts FROM {table}) e \
             JOIN cust c ON c.customer_id = e.customer_id",
            id = d.text(&d.ident(col::CUSTOMER_ID)),
            ts = d.epoch_seconds(&d.ident(col::TIMESTAMP)),
            table = self.tables.events,
        )
    }

    fn tickets(&self) -> String {
        let d = self.dialect;
        format!(
            "SELECT k.* FROM (SELECT {id} AS customer_id, {opened} AS opened, \
             {resolved} AS resolved, LOWER({priority}) AS priority, LOWER({category}) AS category \
             FROM {table}) k JOIN cust c ON c.customer_id = k.customer_id",
            id = d.text(&d.ident(col::CUSTOMER_ID)),
            opened = d.epoch_seconds(&d.ident(col::OPENED_AT)),
            resolved = d.epoch_seconds(&d.ident(col::RESOLVED_AT)),
            priority = d.text(&d.ident(col::PRIORITY)),
            category = d.text(&d.ident(col::CATEGORY)),
            table = self.tables.tickets,
        )
    }

    fn nps(&self) -> String {
        let d = self.dialect;
        format!(
            "SELECT a.* FROM (SELECT {id} AS customer_id, {ts} AS responded, {score} AS score \
             FROM {table}) a JOIN cust c ON c.customer_id = a.customer_id",
            id = d.text(&d.ident(col::CUSTOMER_ID)),
            ts = d.epoch_seconds(&d.ident(col::RESPONDED_AT)),
            score = d.int(&d.text(&d.ident(col::SCORE))),
            table = self.tables.nps,
        )
    }

    /// The end of the data: the latest time in any table (signup and churn days at 00:00).
    fn data_end(&self) -> String {
        format!(
            "SELECT MAX(t) AS end_s FROM (\
             SELECT MAX(signup_day) * {SECS_PER_DAY} AS t FROM cust \
             UNION ALL SELECT MAX(h.churned_day) * {SECS_PER_DAY} FROM churned h \
             JOIN cust c ON c.customer_id = h.customer_id \
             UNION ALL SELECT MAX(ts) FROM ev_all \
             UNION ALL SELECT MAX(opened) FROM tk_all \
             UNION ALL SELECT MAX(resolved) FROM tk_all \
             UNION ALL SELECT MAX(responded) FROM nps_all) m"
        )
    }

    fn engagement(&self) -> String {
        let t = self.t_secs();
        let from = |days: i64| format!("{t} - {}", days * SECS_PER_DAY);
        let count = |days: i64| format!("SUM(CASE WHEN ts >= {} THEN 1 ELSE 0 END)", from(days));
        let day_of = self.dialect.div("ts", &SECS_PER_DAY.to_string());
        format!(
            "SELECT customer_id, {e7} AS e7, {e30} AS e30, {e60} AS e60, {e90} AS e90, \
             COUNT(DISTINCT CASE WHEN ts >= {from30} THEN {day_of} END) AS active30, \
             MAX(ts) AS last_ts FROM ev_all WHERE ts < {t} GROUP BY customer_id",
            e7 = count(7),
            e30 = count(30),
            e60 = count(60),
            e90 = count(90),
            from30 = from(30),
        )
    }

    fn support(&self) -> String {
        let t = self.t_secs();
        let from30 = format!("{t} - {}", 30 * SECS_PER_DAY);
        let from90 = format!("{t} - {}", 90 * SECS_PER_DAY);
        let in90 = format!("opened >= {from90}");
        let dbl = self.dialect.double_type();
        format!(
            "SELECT customer_id, \
             SUM(CASE WHEN opened >= {from30} THEN 1 ELSE 0 END) AS t30, \
             SUM(CASE WHEN {in90} THEN 1 ELSE 0 END) AS t90, \
             SUM(CASE WHEN resolved IS NULL OR resolved >= {t} THEN 1 ELSE 0 END) AS open_now, \
             SUM(CASE WHEN {in90} AND priority IN ('high', 'urgent') THEN 1 ELSE 0 END) AS urgent90, \
             SUM(CASE WHEN {in90} AND category IN ('billing', 'discount_request') THEN 1 ELSE 0 END) AS billing90, \
             AVG(CASE WHEN {in90} AND resolved < {t} THEN CAST(resolved - opened AS {dbl}) / 3600.0 END) AS resolution90 \
             FROM tk_all WHERE opened < {t} GROUP BY customer_id"
        )
    }

    /// Answers before `T`, newest first; at one instant the lower score counts as the later.
    fn nps_ranked(&self) -> String {
        let t = self.t_secs();
        format!(
            "SELECT customer_id, responded, score, ROW_NUMBER() OVER (PARTITION BY customer_id \
             ORDER BY responded DESC, score ASC) AS k FROM nps_all WHERE responded < {t}"
        )
    }

    fn nps_last(&self) -> String {
        "SELECT customer_id, MAX(CASE WHEN k = 1 THEN score END) AS last_score, \
         MAX(CASE WHEN k = 2 THEN score END) AS before_score, \
         MAX(CASE WHEN k = 1 THEN responded END) AS last_at \
         FROM nps_ranked WHERE k <= 2 GROUP BY customer_id"
            .to_string()
    }

    /// The first renewal on or after `T`: `signup + k x contract_months` calendar months
    /// (k >= 1, clamped to month ends). k starts at max(1, months apart / m - 1), as the
    /// crate's loop does; three candidates always reach it.
    fn renewal(&self) -> String {
        let d = self.dialect;
        let t = self.t_day();
        let apart = format!("({} - {})", d.month_index(&t), d.month_index("signup_day"));
        let k0 = format!(
            "GREATEST({} - 1, 1)",
            d.div(apart.as_str(), "contract_months")
        );
        let at =
            |extra: i64| d.add_months("signup_day", &format!("({k0} + {extra}) * contract_months"));
        format!(
            "SELECT customer_id, CASE WHEN {r0} >= {t} THEN {r0} WHEN {r1} >= {t} THEN {r1} \
             ELSE {r2} END AS renewal_day FROM pop",
            r0 = at(0),
            r1 = at(1),
            r2 = at(2),
        )
    }

    fn label(&self) -> String {
        let t = self.t_day();
        let end_day = self.as_of + self.horizon_days as Day;
        let complete = format!(
            "{} <= (SELECT end_s FROM data_end)",
            time::day_start(end_day)
        );
        let churned = match self.definition {
            LabelDefinition::Cancellation => format!(
                "CASE WHEN p.churned_day >= {t} AND p.churned_day < {end_day} THEN 1 ELSE 0 END"
            ),
            LabelDefinition::Inactivity => format!(
                "CASE WHEN EXISTS (SELECT 1 FROM ev_all x WHERE x.customer_id = p.customer_id \
                 AND x.ts >= {} AND x.ts < {}) THEN 0 ELSE 1 END",
                time::day_start(self.as_of),
                time::day_start(end_day)
            ),
        };
        format!("CASE WHEN {complete} THEN {churned} END")
    }

    fn assemble(&self) -> String {
        let d = self.dialect;
        let select: Vec<String> = self
            .columns()
            .iter()
            .map(|(name, expr)| format!("{expr} AS {name}"))
            .collect();
        format!(
            "SELECT p.customer_id AS customer_id, {as_of} AS as_of, {cols}, {label} AS label \
             FROM pop p LEFT JOIN eng g ON g.customer_id = p.customer_id \
             LEFT JOIN sup s ON s.customer_id = p.customer_id \
             LEFT JOIN nps_last n ON n.customer_id = p.customer_id \
             LEFT JOIN renewal r ON r.customer_id = p.customer_id",
            as_of = d.literal(&time::format_day(self.as_of)),
            cols = select.join(", "),
            label = self.label(),
        )
    }

    /// The 25 features as expressions over the joined per-customer aggregates.
    fn columns(&self) -> Vec<(&'static str, String)> {
        let d = self.dialect;
        let dbl = d.double_type();
        let t_s = self.t_secs();
        let (one, zero) = (d.number(1.0), d.number(0.0));
        let flag = |cond: &str| format!("CASE WHEN {cond} THEN {one} ELSE {zero} END");
        let num = |expr: &str| format!("CAST({expr} AS {dbl})");
        let columns: Vec<(&str, String)> = vec![
            (f::EVENTS_7D, num("COALESCE(g.e7, 0)")),
            (f::EVENTS_30D, num("COALESCE(g.e30, 0)")),
            (f::EVENTS_90D, num("COALESCE(g.e90, 0)")),
            (f::ACTIVE_DAYS_30D, num("COALESCE(g.active30, 0)")),
            (
                f::DAYS_SINCE_LAST_EVENT,
                format!(
                    "CAST({t_s} - COALESCE(g.last_ts, p.signup_day * {SECS_PER_DAY}) AS {dbl}) / 86400.0"
                ),
            ),
            (
                f::EVENTS_TREND_30D,
                d.ln(&format!(
                    "(CAST(COALESCE(g.e30, 0) AS {dbl}) + 1.0) / (CAST(COALESCE(g.e60, 0) - COALESCE(g.e30, 0) AS {dbl}) + 1.0)"
                )),
            ),
            (f::TICKETS_30D, num("COALESCE(s.t30, 0)")),
            (f::TICKETS_90D, num("COALESCE(s.t90, 0)")),
            (f::OPEN_TICKETS, num("COALESCE(s.open_now, 0)")),
            (f::URGENT_TICKETS_90D, num("COALESCE(s.urgent90, 0)")),
            (f::BILLING_TICKETS_90D, num("COALESCE(s.billing90, 0)")),
            (
                f::MEAN_RESOLUTION_HOURS_90D,
                num("COALESCE(s.resolution90, 0)"),
            ),
            (f::NPS_LAST_SCORE, num("n.last_score")),
            (f::NPS_PASSIVE, flag("n.last_score BETWEEN 7 AND 8")),
            (f::NPS_DETRACTOR, flag("n.last_score <= 6")),
            (f::NPS_PROMOTER, flag("n.last_score >= 9")),
            (f::NPS_NO_RESPONSE, flag("n.last_score IS NULL")),
            (
                f::NPS_DELTA,
                num("COALESCE(n.last_score - n.before_score, 0)"),
            ),
            (
                f::DAYS_SINCE_NPS,
                format!("CAST({t_s} - n.last_at AS {dbl}) / 86400.0"),
            ),
            (
                f::TENURE_DAYS,
                num(&format!("{} - p.signup_day", self.t_day())),
            ),
            (f::MONTHLY_REVENUE, "p.monthly_revenue".into()),
            (
                f::DAYS_TO_RENEWAL,
                num(&format!("r.renewal_day - {}", self.t_day())),
            ),
            (f::ANNUAL_CONTRACT, flag("p.contract_months >= 12")),
            (f::PLAN, "p.plan".into()),
            (f::SEGMENT, "p.segment".into()),
        ];
        columns
    }
}
