//! The market's supply as the continuity calculation needs it (`caremarket_core::capacity::continuity`).

use crate::{Result, Store};
use caremarket_core::Date;
use caremarket_core::capacity::brokerage::Lot;
use caremarket_core::capacity::continuity::Supply;
use std::collections::HashSet;

impl Store {
    /// One line per care home and bed type (latest return: occupied beds committed, vacant beds
    /// spare), one per service with weekly activity (minutes committed), and one per spare
    /// capacity declaration (spare in its own area and lot). Services under a restriction on
    /// `today` are marked restricted.
    pub async fn market_supply(&self, today: Date) -> Result<Vec<Supply>> {
        let restricted: HashSet<String> = self.restrictions(Some(today)).await?.into_iter().map(|r| r.service_id).collect();
        let mut out = Vec::new();
        for h in self.latest_vacancy_returns(today).await? {
            for l in &h.lines {
                out.push(Supply {
                    service_id: h.service_id.clone(),
                    provider_id: h.provider_id.clone(),
                    provider_name: h.provider_name.clone(),
                    kind: h.kind,
                    category: l.bed_type.as_str().to_string(),
                    area_id: h.area_id.clone(),
                    people: l.occupied,
                    packages: 0,
                    committed: l.occupied,
                    spare: l.vacant,
                    restricted: restricted.contains(&h.service_id),
                });
            }
        }
        let activity = self.latest_activity().await?;
        for a in &activity {
            if a.kind.is_care_home() {
                continue;
            }
            let category = lot_category(a.lot_name.as_deref());
            let minutes =
                if a.minutes_per_week > 0 { a.minutes_per_week } else { (a.support.one_to_one_hours + a.support.shared_hours) * 60 };
            out.push(Supply {
                service_id: a.service_id.clone(),
                provider_id: a.provider_id.clone(),
                provider_name: a.provider_name.clone(),
                kind: a.kind,
                category: if a.kind == caremarket_core::register::ServiceKind::HomeCare { category } else { String::new() },
                area_id: a.area_id.clone(),
                people: a.people,
                packages: a.packages,
                committed: minutes,
                spare: 0,
                restricted: restricted.contains(&a.service_id),
            });
        }
        let spare = self.spare_capacity().await?;
        if !spare.is_empty() {
            let kinds = self.service_kinds().await?;
            for d in spare.into_iter().filter(|d| d.unit == "minutes") {
                let Some((kind, provider_name)) = kinds.get(&d.service_id).cloned() else { continue };
                out.push(Supply {
                    service_id: d.service_id.clone(),
                    provider_id: d.provider_id.clone(),
                    provider_name,
                    kind,
                    category: d.category.clone(),
                    area_id: d.area_id.clone(),
                    people: 0,
                    packages: 0,
                    committed: 0,
                    spare: d.amount,
                    restricted: restricted.contains(&d.service_id),
                });
            }
        }
        Ok(out)
    }

    async fn service_kinds(&self) -> Result<std::collections::HashMap<String, (caremarket_core::register::ServiceKind, String)>> {
        let rows: Vec<(String, String, String)> =
            sqlx::query_as("SELECT s.id, s.kind, p.name FROM services s JOIN providers p ON p.id = s.provider_id")
                .fetch_all(&self.pool)
                .await?;
        let mut m = std::collections::HashMap::new();
        for (id, kind, name) in rows {
            let kind =
                caremarket_core::register::ServiceKind::parse(&kind).ok_or_else(|| crate::register::corrupt("services", "kind", &kind))?;
            m.insert(id, (kind, name));
        }
        Ok(m)
    }
}

/// The continuity category of a home care service: its framework lot, else General.
pub fn lot_category(lot_name: Option<&str>) -> String {
    lot_name.and_then(Lot::from_lot_name).unwrap_or(Lot::General).as_str().to_string()
}
