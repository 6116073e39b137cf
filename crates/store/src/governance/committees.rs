//! Committees, meetings, work programme and forward plan items with their cover sheets, and the
//! options appraisal kept with each item. Rules are `caremarket_core::governance::committees`'s.

use crate::audit::record;
use crate::versions::{Versioned, check_current, saved};
use crate::{Actor, Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::governance::committees::{
    AppraisedOption, Committee, CoverSheet, Item, KeyDecisionReason, Meeting, NewCommittee, NewItem, NewMeeting, NewOption, OptionOutcome,
    PaperLink, WorkProgramme,
};
use caremarket_core::governance::delivery_plan::ByWhen;
use caremarket_core::versions::Version;
use serde::Serialize;
use serde_json::json;
use sqlx::{Any, Transaction};

/// A committee in the list of committees.
#[derive(Debug, Clone, Serialize)]
pub struct CommitteeSummary {
    pub id: String,
    pub name: String,
    pub meetings: i64,
    /// The first meeting on or after the day asked about.
    pub next_meeting: Option<String>,
    pub forward_plan: i64,
}

#[derive(sqlx::FromRow)]
struct CommitteeRecord {
    id: String,
    name: String,
    remit: String,
}

#[derive(sqlx::FromRow)]
struct MeetingRecord {
    id: String,
    committee_id: String,
    meets_on: String,
    starts_at: String,
    place: String,
}

impl MeetingRecord {
    fn into_meeting(self) -> Result<Meeting> {
        Ok(Meeting {
            meets_on: StoreError::decode("committee_meetings", "meets_on", &self.meets_on)?,
            id: self.id,
            committee_id: self.committee_id,
            starts_at: self.starts_at,
            place: self.place,
        })
    }
}

const ITEM_COLUMNS: &str = "id, committee_id, meeting_id, position, title, detail, officer, proposed_text, proposed_on, paper_title, paper_url,
    recommendations, progress, eia_undertaken, eia_reference, exempt, exempt_paragraph, exempt_detail, key_decision, key_decision_reasons, updated_at";

#[derive(sqlx::FromRow)]
struct ItemRecord {
    id: String,
    committee_id: String,
    meeting_id: Option<String>,
    position: i64,
    title: String,
    detail: String,
    officer: String,
    proposed_text: String,
    proposed_on: Option<String>,
    paper_title: String,
    paper_url: String,
    recommendations: String,
    progress: String,
    eia_undertaken: Option<i64>,
    eia_reference: String,
    exempt: Option<i64>,
    exempt_paragraph: Option<i64>,
    exempt_detail: String,
    key_decision: Option<i64>,
    key_decision_reasons: String,
    updated_at: String,
}

fn yes_no(column: &'static str, v: Option<i64>) -> Result<Option<bool>> {
    match v {
        None => Ok(None),
        Some(0) => Ok(Some(false)),
        Some(1) => Ok(Some(true)),
        Some(x) => Err(StoreError::Corrupt { table: "committee_items", column, value: x.to_string() }),
    }
}

fn flag(v: Option<bool>) -> Option<i64> {
    v.map(i64::from)
}

impl ItemRecord {
    fn into_item(self, options: Vec<AppraisedOption>) -> Result<Item> {
        let proposed_on = self.proposed_on.as_deref().map(|d| StoreError::decode("committee_items", "proposed_on", d)).transpose()?;
        let paper = PaperLink::parse(&self.paper_url).map_err(|_| StoreError::Corrupt {
            table: "committee_items",
            column: "paper_url",
            value: self.paper_url.clone(),
        })?;
        let reasons = KeyDecisionReason::split(&self.key_decision_reasons).map_err(|v| StoreError::Corrupt {
            table: "committee_items",
            column: "key_decision_reasons",
            value: v,
        })?;
        let paragraph = match self.exempt_paragraph {
            None => None,
            Some(p) => Some(u8::try_from(p).map_err(|_| StoreError::Corrupt {
                table: "committee_items",
                column: "exempt_paragraph",
                value: p.to_string(),
            })?),
        };
        Ok(Item {
            id: self.id,
            committee_id: self.committee_id,
            meeting_id: self.meeting_id,
            position: self.position,
            title: self.title,
            detail: self.detail,
            officer: self.officer,
            proposed: ByWhen { text: self.proposed_text, date: proposed_on },
            paper_title: self.paper_title,
            paper,
            recommendations: self.recommendations,
            progress: self.progress,
            cover: CoverSheet {
                eia_undertaken: yes_no("eia_undertaken", self.eia_undertaken)?,
                eia_reference: self.eia_reference,
                exempt: yes_no("exempt", self.exempt)?,
                exempt_paragraph: paragraph,
                exempt_detail: self.exempt_detail,
                key_decision: yes_no("key_decision", self.key_decision)?,
                key_decision_reasons: reasons,
            },
            options,
            updated_at: self.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct OptionRecord {
    id: String,
    item_id: String,
    position: i64,
    option_text: String,
    outcome: String,
    core_reason: String,
}

impl OptionRecord {
    fn into_option(self) -> Result<AppraisedOption> {
        let outcome = OptionOutcome::parse(&self.outcome).ok_or_else(|| StoreError::Corrupt {
            table: "appraisal_options",
            column: "outcome",
            value: self.outcome.clone(),
        })?;
        Ok(AppraisedOption { id: self.id, position: self.position, option: self.option_text, outcome, core_reason: self.core_reason })
    }
}

fn item_json(i: &NewItem) -> serde_json::Value {
    json!({
        "meeting_id": i.meeting_id, "title": i.title, "detail": i.detail, "officer": i.officer, "proposed": i.proposed.text,
        "paper_title": i.paper_title, "paper_url": i.paper.as_ref().map(|p| p.url()), "recommendations": i.recommendations,
        "progress": i.progress, "cover_sheet": i.cover,
    })
}

fn item_json_kept(i: &Item) -> serde_json::Value {
    json!({
        "meeting_id": i.meeting_id, "title": i.title, "detail": i.detail, "officer": i.officer, "proposed": i.proposed.text,
        "paper_title": i.paper_title, "paper_url": i.paper.as_ref().map(|p| p.url()), "recommendations": i.recommendations,
        "progress": i.progress, "cover_sheet": i.cover,
    })
}

async fn committee_of_meeting(tx: &mut Transaction<'_, Any>, meeting_id: &str) -> Result<String> {
    sqlx::query_scalar("SELECT committee_id FROM committee_meetings WHERE id = $1")
        .bind(meeting_id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("meeting {meeting_id}")))
}

async fn require_committee(tx: &mut Transaction<'_, Any>, id: &str) -> Result<()> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM committees WHERE id = $1").bind(id).fetch_one(&mut **tx).await?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("committee {id}")));
    }
    Ok(())
}

/// An item's meeting must be one of its committee's.
async fn check_meeting(tx: &mut Transaction<'_, Any>, committee_id: &str, meeting_id: Option<&str>) -> Result<()> {
    if let Some(m) = meeting_id
        && committee_of_meeting(tx, m).await.ok().as_deref() != Some(committee_id)
    {
        return Err(StoreError::invalid("meeting_id", "Select one of the committee's meetings, or the forward plan"));
    }
    Ok(())
}

async fn touch_committee(tx: &mut Transaction<'_, Any>, id: &str) -> Result<()> {
    sqlx::query("UPDATE committees SET updated_at = $1 WHERE id = $2").bind(now_timestamp()).bind(id).execute(&mut **tx).await?;
    Ok(())
}

fn bind_item<'q>(
    q: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments>,
    i: &'q NewItem,
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments> {
    q.bind(i.meeting_id.clone())
        .bind(&i.title)
        .bind(&i.detail)
        .bind(&i.officer)
        .bind(&i.proposed.text)
        .bind(i.proposed.date.map(|d| d.to_string()))
        .bind(&i.paper_title)
        .bind(i.paper.as_ref().map(|p| p.url().to_string()).unwrap_or_default())
        .bind(&i.recommendations)
        .bind(&i.progress)
        .bind(flag(i.cover.eia_undertaken))
        .bind(&i.cover.eia_reference)
        .bind(flag(i.cover.exempt))
        .bind(i.cover.exempt_paragraph.map(i64::from))
        .bind(&i.cover.exempt_detail)
        .bind(flag(i.cover.key_decision))
        .bind(KeyDecisionReason::join(&i.cover.key_decision_reasons))
}

impl Store {
    /// Every committee, by name, with its meetings, the next one on or after `today`, and how
    /// many items wait on its forward plan.
    pub async fn committees(&self, today: caremarket_core::Date) -> Result<Vec<CommitteeSummary>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            id: String,
            name: String,
            meetings: i64,
            next_meeting: Option<String>,
            forward_plan: i64,
        }
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT c.id, c.name,
                    (SELECT COUNT(*) FROM committee_meetings m WHERE m.committee_id = c.id) AS meetings,
                    (SELECT MIN(m.meets_on) FROM committee_meetings m WHERE m.committee_id = c.id AND m.meets_on >= $1) AS next_meeting,
                    (SELECT COUNT(*) FROM committee_items i WHERE i.committee_id = c.id AND i.meeting_id IS NULL) AS forward_plan
             FROM committees c ORDER BY c.name, c.id",
        )
        .bind(today.to_string())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| CommitteeSummary {
                id: r.id,
                name: r.name,
                meetings: r.meetings,
                next_meeting: r.next_meeting,
                forward_plan: r.forward_plan,
            })
            .collect())
    }

    pub async fn committee(&self, id: &str) -> Result<Committee> {
        let r: CommitteeRecord = sqlx::query_as("SELECT id, name, remit FROM committees WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("committee {id}")))?;
        Ok(Committee { id: r.id, name: r.name, remit: r.remit })
    }

    /// A committee's meetings and items with their options appraisals.
    pub async fn work_programme(&self, committee_id: &str) -> Result<WorkProgramme> {
        let committee = self.committee(committee_id).await?;
        let meetings: Vec<MeetingRecord> = sqlx::query_as(
            "SELECT id, committee_id, meets_on, starts_at, place FROM committee_meetings WHERE committee_id = $1 ORDER BY meets_on, id",
        )
        .bind(committee_id)
        .fetch_all(&self.pool)
        .await?;
        let meetings = meetings.into_iter().map(MeetingRecord::into_meeting).collect::<Result<Vec<_>>>()?;
        let items = self.items_where("committee_id = {}", committee_id).await?;
        Ok(WorkProgramme::gather(committee, meetings, items))
    }

    /// Items matching `clause` (`{}` stands for `value`'s placeholder), each with its options.
    async fn items_where(&self, clause: &str, value: &str) -> Result<Vec<Item>> {
        let mut q = crate::query::SqlBuilder::new(format!("SELECT {ITEM_COLUMNS} FROM committee_items WHERE 1 = 1"));
        q.and_bind(clause, value).push(" ORDER BY position, id");
        let records: Vec<ItemRecord> = q.query_as().fetch_all(&self.pool).await?;
        let mut by_item: std::collections::HashMap<String, Vec<AppraisedOption>> = std::collections::HashMap::new();
        if !records.is_empty() {
            let mut q = crate::query::SqlBuilder::new(
                "SELECT id, item_id, position, option_text, outcome, core_reason FROM appraisal_options WHERE 1 = 1",
            );
            q.and_in("item_id", records.iter().map(|r| r.id.as_str())).push(" ORDER BY position, id");
            for o in q.query_as::<OptionRecord>().fetch_all(&self.pool).await? {
                let key = o.item_id.clone();
                by_item.entry(key).or_default().push(o.into_option()?);
            }
        }
        records
            .into_iter()
            .map(|r| {
                let options = by_item.remove(&r.id).unwrap_or_default();
                r.into_item(options)
            })
            .collect()
    }

    pub async fn meeting(&self, id: &str) -> Result<Meeting> {
        let r: MeetingRecord = sqlx::query_as("SELECT id, committee_id, meets_on, starts_at, place FROM committee_meetings WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("meeting {id}")))?;
        r.into_meeting()
    }

    pub async fn committee_item(&self, id: &str) -> Result<Item> {
        self.items_where("id = {}", id).await?.pop().ok_or_else(|| StoreError::NotFound(format!("committee item {id}")))
    }

    /// The items whose paper is a caremarket page at `path` (`/reports/quarterly`), so a paper
    /// caremarket generates can show the committee item it goes to.
    pub async fn committee_items_for_paper(&self, path: &str) -> Result<Vec<Item>> {
        let items = self.items_where("paper_url LIKE {}", &format!("{}%", path.replace('%', ""))).await?;
        Ok(items.into_iter().filter(|i| i.paper.as_ref().and_then(|p| p.path()) == Some(path)).collect())
    }

    pub async fn create_committee(&self, actor: &Actor, c: &NewCommittee) -> Result<String> {
        let mut tx = self.begin_write().await?;
        let id = new_id();
        let now = now_timestamp();
        sqlx::query("INSERT INTO committees (id, name, remit, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)")
            .bind(&id)
            .bind(&c.name)
            .bind(&c.remit)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        record(&mut tx, actor, "create", "committee", Some(&id), &format!("Added committee '{}'", c.name), None, Some(&json!(c))).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Made from version `expected` of the committee (decision 25): one changed since is
    /// refused (`Stale`) and nothing is written. Its meetings and items do not raise it.
    pub async fn update_committee(&self, actor: &Actor, id: &str, c: &NewCommittee, expected: Version) -> Result<()> {
        let before = self.committee(id).await?;
        check_current(self.version_of(Versioned::Committees, id).await?, expected)?;
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE committees SET name = $1, remit = $2, updated_at = $3, version = version + 1 WHERE id = $4 AND version = $5",
        )
        .bind(&c.name)
        .bind(&c.remit)
        .bind(now_timestamp())
        .bind(id)
        .bind(expected.get())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        saved(&mut tx, Versioned::Committees, id, changed).await?;
        record(
            &mut tx,
            actor,
            "update",
            "committee",
            Some(id),
            &format!("Changed committee '{}'", c.name),
            Some(&json!({"name": before.name, "remit": before.remit})),
            Some(&json!(c)),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn add_meeting(&self, actor: &Actor, committee_id: &str, m: &NewMeeting) -> Result<String> {
        let mut tx = self.begin_write().await?;
        require_committee(&mut tx, committee_id).await?;
        let id = new_id();
        sqlx::query(
            "INSERT INTO committee_meetings (id, committee_id, meets_on, starts_at, place, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&id)
        .bind(committee_id)
        .bind(m.meets_on.to_string())
        .bind(&m.starts_at)
        .bind(&m.place)
        .bind(now_timestamp())
        .execute(&mut *tx)
        .await?;
        touch_committee(&mut tx, committee_id).await?;
        let after = json!({"committee_id": committee_id, "meets_on": m.meets_on.to_string(), "starts_at": m.starts_at, "place": m.place});
        record(&mut tx, actor, "create", "committee_meeting", Some(&id), &format!("Added a meeting on {}", m.meets_on), None, Some(&after))
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Made from version `expected` of the meeting (decision 25): one changed since is refused
    /// (`Stale`) and nothing is written. Its items do not raise it.
    pub async fn update_meeting(&self, actor: &Actor, id: &str, m: &NewMeeting, expected: Version) -> Result<()> {
        let before = self.meeting(id).await?;
        check_current(self.version_of(Versioned::CommitteeMeetings, id).await?, expected)?;
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE committee_meetings SET meets_on = $1, starts_at = $2, place = $3, version = version + 1 WHERE id = $4 AND version = $5",
        )
        .bind(m.meets_on.to_string())
        .bind(&m.starts_at)
        .bind(&m.place)
        .bind(id)
        .bind(expected.get())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        saved(&mut tx, Versioned::CommitteeMeetings, id, changed).await?;
        touch_committee(&mut tx, &before.committee_id).await?;
        record(
            &mut tx,
            actor,
            "update",
            "committee_meeting",
            Some(id),
            &format!("Changed the meeting of {}", before.meets_on),
            Some(&json!({"meets_on": before.meets_on.to_string(), "starts_at": before.starts_at, "place": before.place})),
            Some(&json!({"meets_on": m.meets_on.to_string(), "starts_at": m.starts_at, "place": m.place})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Add an item to a committee's work programme: at one of its meetings, or on its forward plan.
    pub async fn add_committee_item(&self, actor: &Actor, committee_id: &str, i: &NewItem) -> Result<String> {
        let mut tx = self.begin_write().await?;
        require_committee(&mut tx, committee_id).await?;
        check_meeting(&mut tx, committee_id, i.meeting_id.as_deref()).await?;
        let position: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM committee_items WHERE committee_id = $1")
            .bind(committee_id)
            .fetch_one(&mut *tx)
            .await?;
        let id = new_id();
        let now = now_timestamp();
        let q = sqlx::query(
            "INSERT INTO committee_items (meeting_id, title, detail, officer, proposed_text, proposed_on, paper_title, paper_url,
                recommendations, progress, eia_undertaken, eia_reference, exempt, exempt_paragraph, exempt_detail, key_decision,
                key_decision_reasons, id, committee_id, position, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $21)",
        );
        bind_item(q, i).bind(&id).bind(committee_id).bind(position + 1).bind(&now).execute(&mut *tx).await?;
        touch_committee(&mut tx, committee_id).await?;
        record(&mut tx, actor, "create", "committee_item", Some(&id), &format!("Added item '{}'", i.title), None, Some(&item_json(i)))
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Made from version `expected` of the item (decision 25): one changed since is refused
    /// (`Stale`) and nothing is written. Adding or changing its appraisal options does not raise it.
    pub async fn update_committee_item(&self, actor: &Actor, id: &str, i: &NewItem, expected: Version) -> Result<()> {
        let before = self.committee_item(id).await?;
        check_current(self.version_of(Versioned::CommitteeItems, id).await?, expected)?;
        let mut tx = self.begin_write().await?;
        check_meeting(&mut tx, &before.committee_id, i.meeting_id.as_deref()).await?;
        let q = sqlx::query(
            "UPDATE committee_items SET meeting_id = $1, title = $2, detail = $3, officer = $4, proposed_text = $5, proposed_on = $6,
                paper_title = $7, paper_url = $8, recommendations = $9, progress = $10, eia_undertaken = $11, eia_reference = $12,
                exempt = $13, exempt_paragraph = $14, exempt_detail = $15, key_decision = $16, key_decision_reasons = $17, updated_at = $18,
                version = version + 1
             WHERE id = $19 AND version = $20",
        );
        let changed = bind_item(q, i).bind(now_timestamp()).bind(id).bind(expected.get()).execute(&mut *tx).await?.rows_affected();
        saved(&mut tx, Versioned::CommitteeItems, id, changed).await?;
        touch_committee(&mut tx, &before.committee_id).await?;
        record(
            &mut tx,
            actor,
            "update",
            "committee_item",
            Some(id),
            &format!("Changed item '{}'", i.title),
            Some(&item_json_kept(&before)),
            Some(&item_json(i)),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Add an option to an item's appraisal. Core's check that one option is preferred is run
    /// by the caller with the item's options; this refuses a second preferred option that
    /// arrived in between.
    pub async fn add_appraisal_option(&self, actor: &Actor, item_id: &str, o: &NewOption) -> Result<String> {
        let mut tx = self.begin_write().await?;
        let committee_id: String = sqlx::query_scalar("SELECT committee_id FROM committee_items WHERE id = $1")
            .bind(item_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("committee item {item_id}")))?;
        refuse_second_preferred(&mut tx, item_id, None, o).await?;
        let position: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM appraisal_options WHERE item_id = $1").bind(item_id).fetch_one(&mut *tx).await?;
        let id = new_id();
        sqlx::query(
            "INSERT INTO appraisal_options (id, item_id, position, option_text, outcome, core_reason) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&id)
        .bind(item_id)
        .bind(position + 1)
        .bind(&o.option)
        .bind(o.outcome.as_str())
        .bind(&o.core_reason)
        .execute(&mut *tx)
        .await?;
        touch_committee(&mut tx, &committee_id).await?;
        record(
            &mut tx,
            actor,
            "create",
            "appraisal_option",
            Some(&id),
            &format!("Added an option ({}) to the appraisal of an item", o.outcome.label()),
            None,
            Some(&json!({"item_id": item_id, "option": o.option, "outcome": o.outcome.as_str(), "core_reason": o.core_reason})),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Made from version `expected` of the option (decision 25): one changed since is refused
    /// (`Stale`) and nothing is written, before the one-preferred check (which the option as it
    /// is now may change).
    pub async fn update_appraisal_option(
        &self,
        actor: &Actor,
        item_id: &str,
        option_id: &str,
        o: &NewOption,
        expected: Version,
    ) -> Result<()> {
        let item = self.committee_item(item_id).await?;
        let before = item.options.iter().find(|x| x.id == option_id).ok_or_else(|| StoreError::NotFound(format!("option {option_id}")))?;
        check_current(self.version_of(Versioned::AppraisalOptions, option_id).await?, expected)?;
        let mut tx = self.begin_write().await?;
        refuse_second_preferred(&mut tx, item_id, Some(option_id), o).await?;
        let changed = sqlx::query(
            "UPDATE appraisal_options SET option_text = $1, outcome = $2, core_reason = $3, version = version + 1
             WHERE id = $4 AND item_id = $5 AND version = $6",
        )
        .bind(&o.option)
        .bind(o.outcome.as_str())
        .bind(&o.core_reason)
        .bind(option_id)
        .bind(item_id)
        .bind(expected.get())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        saved(&mut tx, Versioned::AppraisalOptions, option_id, changed).await?;
        touch_committee(&mut tx, &item.committee_id).await?;
        record(
            &mut tx,
            actor,
            "update",
            "appraisal_option",
            Some(option_id),
            &format!("Changed an option of the appraisal of '{}'", item.title),
            Some(&json!({"option": before.option, "outcome": before.outcome.as_str(), "core_reason": before.core_reason})),
            Some(&json!({"option": o.option, "outcome": o.outcome.as_str(), "core_reason": o.core_reason})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

async fn refuse_second_preferred(tx: &mut Transaction<'_, Any>, item_id: &str, except: Option<&str>, o: &NewOption) -> Result<()> {
    if o.outcome != OptionOutcome::Preferred {
        return Ok(());
    }
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM appraisal_options WHERE item_id = $1 AND outcome = $2 AND id <> $3")
        .bind(item_id)
        .bind(OptionOutcome::Preferred.as_str())
        .bind(except.unwrap_or(""))
        .fetch_one(&mut **tx)
        .await?;
    if n > 0 {
        return Err(StoreError::invalid("outcome", "Only one option can be preferred, and another already is: change that option first"));
    }
    Ok(())
}
