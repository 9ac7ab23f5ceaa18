//! The fitted model as SQL over the `features` CTE: the preprocessing (training medians and
//! missing indicators, quantile bins, one-hot levels, `(other)`, standardisation), the logistic
//! function, tiers, reasons by signal group with the risky-side rule, the play, the rank.
//! Reasons are rendered exactly as the list writes them ([`crate::util::fmt2`]).

use crate::error::{Error, Result};
use crate::model::matrix::Encoding;
use crate::model::{ChurnModel, FeatureKind};
use crate::score::actions::{group_members, ReasonValue, SignalGroup, NEW_CUSTOMER_DAYS};
use crate::score::batch::MIN_REASON_PUSH;

use super::dialect::Dialect;

/// One source feature as the SQL sees it.
struct Source {
    name: String,
    categorical: bool,
    /// The SQL column of its raw value in `features`.
    column: String,
}

fn sources(model: &ChurnModel, d: Dialect) -> Vec<Source> {
    model
        .source_features
        .iter()
        .map(|f| Source {
            name: f.name.clone(),
            categorical: f.kind == FeatureKind::Categorical,
            column: d.ident(&f.name),
        })
        .collect()
}

/// The raw value a matrix column is made from, before standardisation.
fn encoded(model: &ChurnModel, d: Dialect, source: &Source, enc: &Encoding) -> Result<String> {
    let x = &source.column;
    let (one, zero) = (d.number(1.0), d.number(0.0));
    let flag = |cond: String| format!("(CASE WHEN {cond} THEN {one} ELSE {zero} END)");
    let stats = model
        .preprocessor
        .features
        .iter()
        .find(|f| f.name == source.name)
        .ok_or_else(|| Error::ModelMismatch {
            model_id: model.model_id.clone(),
            reason: format!("no preprocessing for feature {}", source.name),
        })?;
    Ok(match (enc, source.categorical) {
        (Encoding::Value, false) => {
            format!("COALESCE({x}, {})", d.number(stats.median.unwrap_or(0.0)))
        }
        (Encoding::Missing, false) => flag(format!("{x} IS NULL")),
        (Encoding::Bin { lo, hi }, false) => {
            let mut cond = vec![format!("{x} IS NOT NULL")];
            cond.extend(lo.map(|l| format!("{x} >= {}", d.number(l))));
            cond.extend(hi.map(|h| format!("{x} < {}", d.number(h))));
            flag(cond.join(" AND "))
        }
        (Encoding::Level(level), true) => flag(format!("{x} = {}", d.literal(level))),
        (Encoding::Other, true) if stats.levels.is_empty() => flag(format!("{x} IS NOT NULL")),
        (Encoding::Other, true) => {
            let kept: Vec<String> = stats.levels.iter().map(|l| d.literal(l)).collect();
            flag(format!(
                "{x} IS NOT NULL AND {x} NOT IN ({})",
                kept.join(", ")
            ))
        }
        _ => {
            return Err(Error::ModelMismatch {
                model_id: model.model_id.clone(),
                reason: format!(
                    "a column of {} does not match its kind: this form cannot be exported",
                    source.name
                ),
            })
        }
    })
}

/// `push_<k>` per source feature and the logit, from the features.
fn pushes(model: &ChurnModel, d: Dialect, src: &[Source]) -> Result<String> {
    let mut per_source: Vec<Vec<String>> = vec![Vec::new(); src.len()];
    let mut all = Vec::new();
    for (col, &w) in model.preprocessor.columns.iter().zip(&model.coefficients) {
        let k = src
            .iter()
            .position(|s| s.name == col.source)
            .ok_or_else(|| Error::ModelMismatch {
                model_id: model.model_id.clone(),
                reason: format!("matrix column {} has no source feature", col.name),
            })?;
        let raw = encoded(model, d, &src[k], &col.encoding)?;
        let term = format!(
            "{} * (({raw} - {}) / {})",
            d.number(w),
            d.number(col.mean),
            d.number(col.std)
        );
        per_source[k].push(term.clone());
        all.push(term);
    }
    let sum = |terms: &[String]| {
        if terms.is_empty() {
            d.number(0.0)
        } else {
            format!("({})", terms.join(" + "))
        }
    };
    let pushes: Vec<String> = per_source
        .iter()
        .enumerate()
        .map(|(k, terms)| format!("{} AS churn__push_{k}", sum(terms)))
        .collect();
    Ok(format!(
        "SELECT f.*, {}, {} + {} AS churn__logit FROM features f",
        pushes.join(", "),
        sum(&all),
        d.number(model.intercept)
    ))
}

/// The text of a number as reasons show it: `missing`, a whole number, or two decimals.
fn value_text(d: Dialect, x: &str) -> String {
    format!(
        "(CASE WHEN {x} IS NULL THEN 'missing' WHEN {x} = FLOOR({x}) AND ABS({x}) < 1e15 \
         THEN {} ELSE {} END)",
        d.int_text(&d.int(x)),
        fixed2(d, x, false)
    )
}

/// Two decimals by [`crate::util::fmt2`]'s rule: k = floor(100x) rounded half up, then digits.
fn fixed2(d: Dialect, x: &str, plus: bool) -> String {
    let y = format!("({x} * 100.0)");
    let k = d.int(&format!(
        "(FLOOR({y}) + CASE WHEN {y} - FLOOR({y}) >= 0.5 THEN 1 ELSE 0 END)"
    ));
    let abs = format!("ABS({k})");
    let sign = if plus {
        format!("CASE WHEN {k} < 0 THEN '-' ELSE '+' END")
    } else {
        format!("CASE WHEN {k} < 0 THEN '-' ELSE '' END")
    };
    d.concat(&[
        sign,
        d.int_text(&d.div(&abs, "100")),
        "'.'".into(),
        d.two_digits(&d.rem(&abs, "100")),
    ])
}

/// The risky-side condition of a source feature (any value, without a profile).
fn risky(model: &ChurnModel, d: Dialect, s: &Source) -> String {
    let Some(p) = model.reason_profile.iter().find(|p| p.feature == s.name) else {
        return "1 = 1".into();
    };
    let x = &s.column;
    if s.categorical {
        if p.risky_levels.is_empty() {
            return "1 = 0".into();
        }
        let levels: Vec<String> = p.risky_levels.iter().map(|l| d.literal(l)).collect();
        return format!("{x} IN ({})", levels.join(", "));
    }
    match (p.typical, p.direction) {
        (Some(t), dir) if dir > 0 => format!("{x} > {}", d.number(t)),
        (Some(t), dir) if dir < 0 => format!("{x} < {}", d.number(t)),
        _ => "1 = 0".into(),
    }
}

/// One row per (customer, source feature): its group, push, whether it may be a reason, and
/// its reason text without the push.
fn members(model: &ChurnModel, d: Dialect, src: &[Source]) -> String {
    let names: Vec<String> = src.iter().map(|s| s.name.clone()).collect();
    let groups = group_members(&names);
    // One pass over `scored` crossed with the member numbers (not one scan per member): each
    // column is a CASE on the member number. Feature columns are unambiguous (`m` has only `churn__k`).
    let (mut grp, mut feature, mut push, mut cand, mut text, mut keys) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for (g, (_, members)) in groups.iter().enumerate() {
        for &k in members {
            let s = &src[k];
            let value = if s.categorical {
                format!("COALESCE({}, 'missing')", s.column)
            } else {
                value_text(d, &s.column)
            };
            let typical = model
                .reason_profile
                .iter()
                .find(|p| p.feature == s.name)
                .and_then(|p| p.typical)
                .filter(|_| !s.categorical)
                .map(|t| format!(" (typical {})", ReasonValue(t)))
                .unwrap_or_default();
            let rendered = d.concat(&[
                d.literal(&format!("{}=", s.name)),
                value,
                d.literal(&typical),
            ]);
            let when = |then: String| format!("WHEN {k} THEN {then}");
            grp.push(when(g.to_string()));
            feature.push(when(d.literal(&s.name)));
            push.push(when(format!("s.churn__push_{k}")));
            cand.push(when(format!(
                "CASE WHEN s.churn__push_{k} > 0 AND {} THEN 1 ELSE 0 END",
                risky(model, d, s)
            )));
            text.push(when(rendered));
            keys.push(format!("SELECT {k} AS churn__k"));
        }
    }
    let case = |arms: &[String]| format!("CASE m.churn__k {} END", arms.join(" "));
    format!(
        "SELECT s.customer_id, {} AS grp, {} AS feature, {} AS push, {} AS cand, {} AS text \
         FROM scored s CROSS JOIN ({}) m",
        case(&grp),
        case(&feature),
        case(&push),
        case(&cand),
        case(&text),
        keys.join(" UNION ALL ")
    )
}

/// The play of a signal group (`NULL`: none of its own).
fn play(group: SignalGroup) -> Option<&'static str> {
    match group {
        SignalGroup::Support => Some("support follow-up"),
        SignalGroup::Engagement => Some("re-engagement"),
        SignalGroup::Nps => Some("feedback call"),
        SignalGroup::Billing => Some("renewal or loyalty offer"),
        SignalGroup::Account | SignalGroup::Other => None,
    }
}

/// Where the list's own columns come from: SQL over the `scored` row `s`.
pub struct ListColumns {
    /// Monthly revenue (NULL: no revenue at risk).
    pub revenue: String,
    /// Tenure in days for the onboarding play (NULL: none).
    pub tenure: String,
    /// The list's `as_of` text (empty in tabular mode).
    pub as_of: String,
}

/// The scoring CTEs after `features`: `scored`, `member`, `grouped`, `reasons`, `listed`,
/// `played`.
///
/// # Errors
/// `ModelMismatch` for a form the SQL cannot reproduce.
pub fn scoring_ctes(
    model: &ChurnModel,
    d: Dialect,
    list: &ListColumns,
) -> Result<Vec<(String, String)>> {
    let src = sources(model, d);
    let names: Vec<String> = src.iter().map(|s| s.name.clone()).collect();
    let groups = group_members(&names);
    let play_expr = |g: &str| play_of(d, &groups, g, "l.tenure");
    Ok(vec![
        ("scored".into(), pushes(model, d, &src)?),
        ("member".into(), members(model, d, &src)),
        ("grouped".into(), grouped(d)),
        (
            "reasons".into(),
            "SELECT customer_id, grp, total, rep_text, ROW_NUMBER() OVER (PARTITION BY \
             customer_id ORDER BY total DESC, rep ASC) AS r FROM grouped WHERE total > 0"
                .into(),
        ),
        ("listed".into(), listed(d, list)),
        (
            "played".into(),
            format!(
                "SELECT l.*, COALESCE({}, {}, {}, 'account review') AS play FROM listed l",
                play_expr("l.grp_1"),
                play_expr("l.grp_2"),
                play_expr("l.grp_3"),
            ),
        ),
    ])
}

/// Per (customer, group): the summed push and the member that represents it (a candidate
/// with the largest push, ties by name), kept when a candidate exists and the sum is at least
/// [`MIN_REASON_PUSH`].
fn grouped(d: Dialect) -> String {
    format!(
        "SELECT customer_id, grp, total, rep, rep_text, rep_push FROM (\
         SELECT customer_id, grp, SUM(push) OVER (PARTITION BY customer_id, grp) AS total, \
         MAX(cand) OVER (PARTITION BY customer_id, grp) AS any_cand, \
         feature AS rep, text AS rep_text, push AS rep_push, \
         ROW_NUMBER() OVER (PARTITION BY customer_id, grp ORDER BY cand DESC, push DESC, \
         feature ASC) AS k FROM member) m \
         WHERE k = 1 AND any_cand = 1 AND total >= {}",
        d.number(MIN_REASON_PUSH)
    )
}

/// Each scored row with its three reasons (text and group), revenue and tenure.
fn listed(d: Dialect, list: &ListColumns) -> String {
    let reason = |r: usize, what: &str| format!("MAX(CASE WHEN x.r = {r} THEN x.{what} END)");
    format!(
        "SELECT s.customer_id, s.churn__logit AS logit, MAX({revenue}) AS monthly_revenue, \
         MAX({tenure}) AS tenure, {r1} AS reason_1, {r2} AS reason_2, {r3} AS reason_3, \
         {g1} AS grp_1, {g2} AS grp_2, {g3} AS grp_3 \
         FROM scored s LEFT JOIN (SELECT q.customer_id, q.r, q.grp, {text} AS text \
         FROM reasons q WHERE q.r <= 3) x ON x.customer_id = s.customer_id \
         GROUP BY s.customer_id, s.churn__logit",
        revenue = list.revenue,
        tenure = list.tenure,
        r1 = reason(1, "text"),
        r2 = reason(2, "text"),
        r3 = reason(3, "text"),
        g1 = reason(1, "grp"),
        g2 = reason(2, "grp"),
        g3 = reason(3, "grp"),
        text = d.concat(&[
            "q.rep_text".into(),
            "' ('".into(),
            fixed2(d, "q.total", true),
            "')'".into()
        ]),
    )
}

/// The play of the group numbered `grp` (NULL: none of its own), given the customer's tenure.
fn play_of(d: Dialect, groups: &[(SignalGroup, Vec<usize>)], grp: &str, tenure: &str) -> String {
    let cases: Vec<String> = groups
        .iter()
        .enumerate()
        .filter_map(|(g, (kind, _))| {
            let label = d.literal(play(*kind)?);
            let label = if *kind == SignalGroup::Engagement {
                format!(
                    "CASE WHEN {tenure} < {} THEN 'guided onboarding' ELSE {label} END",
                    d.number(NEW_CUSTOMER_DAYS)
                )
            } else {
                label
            };
            Some(format!("WHEN {grp} = {g} THEN {label}"))
        })
        .collect();
    if cases.is_empty() {
        "NULL".to_string()
    } else {
        format!("CASE {} END", cases.join(" "))
    }
}

/// The list: the contract's eleven columns, best first.
pub fn list_select(model: &ChurnModel, d: Dialect, list: &ListColumns) -> String {
    let p = "CASE WHEN logit >= 0 THEN 1.0 / (1.0 + EXP(-logit)) ELSE EXP(logit) / (1.0 + EXP(logit)) END";
    let tiers = &model.tiers;
    format!(
        "SELECT ROW_NUMBER() OVER (ORDER BY churn_probability DESC, {id_order} ASC) AS {rank}, \
         customer_id, churn_probability, \
         CASE WHEN churn_probability >= {high} THEN 'high' WHEN churn_probability >= {medium} \
         THEN 'medium' ELSE 'low' END AS risk_tier, \
         churn_probability * monthly_revenue * 12.0 + 0.0 AS revenue_at_risk, \
         COALESCE(reason_1, '') AS reason_1, COALESCE(reason_2, '') AS reason_2, \
         COALESCE(reason_3, '') AS reason_3, \
         CASE WHEN churn_probability >= {medium} THEN play ELSE 'monitor' END AS suggested_action, \
         {model_id} AS model_id, {as_of} AS as_of \
         FROM (SELECT played.*, {p} AS churn_probability FROM played) t \
         ORDER BY churn_probability DESC, {id_order} ASC",
        id_order = d.by_bytes("customer_id"),
        rank = d.ident("rank"),
        high = d.number(tiers.high),
        medium = d.number(tiers.medium),
        model_id = d.literal(&model.model_id),
        as_of = d.literal(&list.as_of),
    )
}
