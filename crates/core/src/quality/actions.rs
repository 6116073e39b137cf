//! Action plans: how an action is added by hand and how it moves between states. The provider
//! records progress (in progress, or submitted for review); an officer accepts (closes) or
//! reopens. Pure decisions: the store loads the action, asks, and saves the transition.

use super::ActionStatus;
use crate::{Date, FieldError, FieldErrors};

fn trimmed(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// An action added by hand to a service's plan, as typed.
#[derive(Debug, Clone, Default)]
pub struct NewAction {
    pub service_id: String,
    pub title: String,
    pub detail: Option<String>,
    pub owner: String,
    pub due_on: Option<Date>,
}

/// A hand-added action ready to save: title, owner and due date present, text trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedAction {
    pub title: String,
    pub detail: Option<String>,
    pub owner: String,
    pub due_on: Date,
}

impl NewAction {
    /// What the provider must do, who owns it and when it is due are all required.
    pub fn check(&self) -> Result<CheckedAction, FieldErrors> {
        let mut e = FieldErrors::new();
        let title = trimmed(&self.title);
        if title.is_none() {
            e.add("title", "Enter what the provider needs to do");
        }
        let owner = trimmed(&self.owner);
        if owner.is_none() {
            e.add("owner", "Enter who owns the action");
        }
        if self.due_on.is_none() {
            e.add("due_on", "Enter the date the action is due");
        }
        match (title, owner, self.due_on) {
            (Some(title), Some(owner), Some(due_on)) if e.is_empty() => {
                Ok(CheckedAction { title, detail: self.detail.as_deref().and_then(trimmed), owner, due_on })
            }
            _ => Err(e),
        }
    }
}

/// A provider's update on one of its actions: the status it moves to (in progress or submitted
/// for review) with a note saying what has been done. An accepted action is closed.
pub fn provider_update(current: ActionStatus, to: ActionStatus, note: &str) -> Result<(), FieldErrors> {
    let mut e = FieldErrors::new();
    if !matches!(to, ActionStatus::InProgress | ActionStatus::Submitted) {
        e.add("status", "Choose in progress or submitted for review");
    }
    if note.trim().is_empty() {
        e.add("note", "Enter what has been done");
    }
    if e.is_empty() && current == ActionStatus::Accepted {
        e.add("status", "This action has been accepted by the council and is closed");
    }
    e.into_result(())
}

/// An officer accepts an action as done. The note defaults to "Accepted".
pub fn accept(current: ActionStatus, note: &str) -> Result<String, FieldError> {
    if current == ActionStatus::Accepted {
        return Err(FieldError::new("decision", "This action has already been accepted"));
    }
    Ok(if note.trim().is_empty() { "Accepted".to_string() } else { note.to_string() })
}

/// An officer reopens an action (submitted, or accepted too early), saying why.
pub fn reopen(current: ActionStatus, reason: &str) -> Result<(), FieldError> {
    if reason.trim().is_empty() {
        return Err(FieldError::new("reason", "Enter why the action is reopened"));
    }
    if matches!(current, ActionStatus::Open | ActionStatus::Reopened) {
        return Err(FieldError::new("decision", "This action is already open"));
    }
    Ok(())
}

/// Which actions a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionState {
    /// Not accepted.
    Open,
    /// Open and due before the day asked about.
    Overdue,
    Submitted,
    Accepted,
}

impl ActionState {
    pub fn parse(s: &str) -> Option<ActionState> {
        match s.trim() {
            "open" => Some(ActionState::Open),
            "overdue" => Some(ActionState::Overdue),
            "submitted" => Some(ActionState::Submitted),
            "accepted" => Some(ActionState::Accepted),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn a_hand_added_action_needs_a_title_an_owner_and_a_due_date() {
        let a =
            NewAction { service_id: "s".into(), title: " Train staff ".into(), detail: Some(" ".into()), owner: "".into(), due_on: None };
        let fields: Vec<String> = a.check().unwrap_err().0.into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["owner", "due_on"]);
        let ok = NewAction { owner: "Manager".into(), due_on: Some(date(2025, 1, 2)), ..a }.check().expect("ok");
        assert_eq!((ok.title.as_str(), ok.detail, ok.due_on), ("Train staff", None, date(2025, 1, 2)));
    }

    #[test]
    fn providers_move_open_actions_forward_and_officers_close_or_reopen() {
        use ActionStatus::*;
        assert_eq!(provider_update(Open, Submitted, "Done"), Ok(()));
        assert_eq!(provider_update(Open, Accepted, "Done").unwrap_err().0[0].field, "status");
        assert_eq!(provider_update(Open, InProgress, " ").unwrap_err().0[0].field, "note");
        assert!(provider_update(Accepted, InProgress, "More").unwrap_err().0[0].message.contains("closed"));
        assert_eq!(accept(Submitted, " ").as_deref(), Ok("Accepted"));
        assert_eq!(accept(Accepted, "x").unwrap_err().field, "decision");
        assert_eq!(reopen(Submitted, "").unwrap_err().field, "reason");
        assert_eq!(reopen(Reopened, "why").unwrap_err().field, "decision");
        assert_eq!(reopen(Accepted, "too early"), Ok(()));
    }

    #[test]
    fn only_open_actions_past_their_date_are_overdue() {
        let on = date(2025, 3, 1);
        assert!(ActionStatus::Open.is_overdue(date(2025, 2, 28), on));
        assert!(!ActionStatus::Open.is_overdue(on, on));
        assert!(!ActionStatus::Accepted.is_overdue(date(2025, 1, 1), on));
        assert_eq!(ActionState::parse("overdue"), Some(ActionState::Overdue));
        assert_eq!(ActionState::parse("all"), None);
    }
}
