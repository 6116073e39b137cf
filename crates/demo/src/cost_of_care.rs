//! The demo council's cost of care exercise for 2025/26 (issue 11 item 4; `004` §5.1 "the rate
//! calculated as 'median' through the Fair Cost of Care exercise"): returns from about two in
//! three of the registered home care agencies and care homes, line by line, with plausible
//! spreads (home care about £22–£30 a contact hour, care homes about £800–£1,300 a bed a week,
//! nursing homes dearer than residential). The portal provider's services send none, so its
//! demo user has returns to send. Written through the store's own path, as the council's upload
//! would write them.

use crate::DemoError;
use caremarket_core::Date;
use caremarket_core::fees::cost_of_care::{CostModel, CostReturnDraft};
use caremarket_core::register::ServiceKind;
use caremarket_store::fees::cost_of_care::SentBy;
use caremarket_store::register::ServiceFilter;
use caremarket_store::{Actor, Store};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The financial year of the demo's returns: 2025/26.
pub const DEMO_YEAR: i32 = 2025;

fn pounds(p: i64) -> String {
    format!("{}.{:02}", p / 100, p % 100)
}

/// `amount × per_cent_x100 / 10,000`, rounded to the penny.
fn share(amount: i64, per_cent_x100: i64) -> i64 {
    caremarket_core::direct_payments::money::div_round(amount * per_cent_x100, 10_000)
}

/// A home care agency's costs a contact hour, in the lines' order.
fn home_care(rng: &mut StdRng) -> Vec<i64> {
    let pay = rng.gen_range(1221..=1340); // the National Living Wage (£12.21) and up
    let travel = share(pay, rng.gen_range(1200..=2300)); // 7 to 14 minutes an hour
    let mileage = rng.gen_range(90..=220);
    let holiday = share(pay + travel, 1207);
    let paid = pay + travel + holiday;
    let ni = share(paid, rng.gen_range(800..=1050));
    let pension = share(paid, rng.gen_range(250..=320));
    let training = rng.gen_range(15..=55);
    let supervision = rng.gen_range(15..=65);
    let back_office = rng.gen_range(280..=460);
    let registration = rng.gen_range(5..=16);
    let insurance = rng.gen_range(8..=28);
    let before = pay + travel + mileage + ni + pension + holiday + training + supervision + back_office + registration + insurance;
    let margin = share(before, rng.gen_range(250..=550));
    vec![pay, travel, mileage, ni, pension, holiday, training, supervision, back_office, registration, insurance, margin]
}

/// A care home's costs a bed a week, in the lines' order.
fn care_home(rng: &mut StdRng, nursing: bool) -> Vec<i64> {
    let care = if nursing { rng.gen_range(36_000..=44_000) } else { rng.gen_range(40_000..=50_000) };
    let nurses = if nursing { rng.gen_range(19_000..=25_000) } else { 0 };
    let other = rng.gen_range(14_000..=20_000);
    let non_staff = rng.gen_range(15_000..=22_000);
    let capital = rng.gen_range(4_500..=11_000);
    let before = care + nurses + other + non_staff + capital;
    let margin = share(before, rng.gen_range(300..=600));
    vec![care, nurses, other, non_staff, capital, margin]
}

/// Write the demo's returns; returns how many.
pub async fn generate_cost_of_care(store: &Store, seed: u64, portal_provider: &str, today: Date) -> Result<usize, DemoError> {
    let actor = Actor::system("demo");
    let mut rng = StdRng::seed_from_u64(seed ^ 0xC057_0FCA);
    let services =
        store.services(&ServiceFilter { any_area: false, per_page: 1000, sort: Some("name".into()), ..Default::default() }).await?;
    // 2025/26, unless the demo is dated before a 2025/26 return could be sent.
    let year = DEMO_YEAR.min(caremarket_core::fees::cost_of_care::year_of(today) + 1);
    let mut n = 0;
    for s in services.items {
        let Some(model) = CostModel::of(s.kind) else { continue };
        if s.registration_status != "registered" || s.provider_id == portal_provider {
            continue;
        }
        // About two in three send a return.
        if rng.gen_range(0..3) == 0 {
            continue;
        }
        let amounts = match model {
            CostModel::PerHour => home_care(&mut rng),
            CostModel::PerBedWeek => care_home(&mut rng, s.kind == ServiceKind::CareHomeNursing),
        };
        let draft = CostReturnDraft {
            kind: Some(s.kind),
            year: year.to_string(),
            amounts: model.lines().iter().zip(&amounts).map(|(l, p)| (l.as_str().to_string(), pounds(*p))).collect(),
        };
        let sent_by = if rng.gen_range(0..4) == 0 { SentBy::Council } else { SentBy::Provider };
        store.submit_cost_return(&actor, &s.id, &draft, sent_by, None, today).await?;
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_fall_in_plausible_ranges() {
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..500 {
            let h: i64 = home_care(&mut rng).iter().sum();
            assert!((2150..=3100).contains(&h), "home care {h}");
            let r: i64 = care_home(&mut rng, false).iter().sum();
            assert!((75_000..=112_000).contains(&r), "residential {r}");
            let nu: i64 = care_home(&mut rng, true).iter().sum();
            assert!((90_000..=130_000).contains(&nu), "nursing {nu}");
        }
    }
}
