//! Locations handed to an import as a file is read, in batches (issue 18 item 1: memory that
//! does not grow with the file's locations).
//!
//! The reader runs on a thread of its own (it blocks on the file) and the import on the
//! runtime; a bounded channel between them holds at most [`QUEUED_BATCHES`] batches, so the
//! reader waits while the database catches up and the file is read while batches are written.
//! The reader says how the file ended: an import never takes a reader that stopped part-way for
//! the end of the file.
//!
//! Each location's content digest (core's `CqcLocation::content_hash`, what the import compares
//! with the stored one) is worked out on the reader's thread as the location is queued: the import
//! and the database take turns on their side of the channel, so a digest made there is time an
//! unchanged re-import waits for (about a tenth of it), while the reader has time to spare.
//!
//! The stream carries what a first reading of the file listed ([`Listed`]: its ids, local
//! authorities and count), which the import's deregistration and national figures use instead of
//! gathering the same ids again: at 500,000 locations a second set of ids was about 14 MiB more at
//! the import's peak (benchmarks/import.md). A file that reads differently the second time fails
//! the import (its reader says so), so what was listed is what is applied.

use super::batch::BATCH_ROWS;
use crate::{Result, StoreError};
use caremarket_core::FieldError;
use caremarket_core::register::CqcLocation;
use caremarket_core::register::import_plan::Listed;
use tokio::sync::{mpsc, oneshot};

/// Batches read and not yet applied, at most.
const QUEUED_BATCHES: usize = 2;

/// Locations in file order, each with its content digest.
pub(super) type Batch = (Vec<CqcLocation>, Vec<String>);

enum Message {
    Batch(Batch),
    End,
    Failed(String),
}

/// Which of the file's locations the import wants read again, once it has compared what the
/// first reading listed with the register (decision 57).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wanted {
    /// Every location: the import could not compare first (an import into an empty register,
    /// a listing without digests, or a file that lists a location twice).
    All,
    /// The locations at these places in the file's order (`true`): the others are stored as the
    /// first reading listed them.
    Some(Vec<bool>),
    /// None: every location is stored as listed, and the file is not read again.
    None,
}

/// The reader's end: every location in file order, then [`LocationSender::end`]. It passes on
/// only the locations the import wants ([`Wanted`]), so a reader that sends every one cannot have
/// a skipped location counted twice.
pub struct LocationSender {
    sender: mpsc::Sender<Message>,
    /// The import's answer, until it is received.
    asked: Option<oneshot::Receiver<Wanted>>,
    wanted: Wanted,
    /// The place in the file's order of the next location sent.
    place: usize,
    batch: Vec<CqcLocation>,
    hashes: Vec<String>,
    open: bool,
}

/// The import's end, given to [`crate::Store::import_cqc_streamed`].
pub struct LocationStream {
    receiver: mpsc::Receiver<Message>,
    wanted: Option<oneshot::Sender<Wanted>>,
    /// Locations the reader will send (for progress), kept apart from `listed`, which the import
    /// takes.
    total: u64,
    listed: Listed,
}

/// A channel for one file's locations. `listed` is what a first reading of the file listed: the
/// reader must send exactly its locations, in the file's order.
pub fn location_stream(listed: Listed) -> (LocationSender, LocationStream) {
    let (sender, receiver) = mpsc::channel(QUEUED_BATCHES);
    let (say_wanted, wanted) = oneshot::channel();
    let batch = Vec::with_capacity(BATCH_ROWS);
    let hashes = Vec::with_capacity(BATCH_ROWS);
    (
        LocationSender { sender, asked: Some(wanted), wanted: Wanted::All, place: 0, batch, hashes, open: true },
        LocationStream { receiver, wanted: Some(say_wanted), total: listed.locations, listed },
    )
}

impl LocationSender {
    /// Which locations the import wants: waits until it has compared the listing with the
    /// register, so call it before reading, and read nothing when it is [`Wanted::None`]. An
    /// import that stopped first wants none.
    pub fn wanted(&mut self) -> &Wanted {
        if let Some(asked) = self.asked.take() {
            match asked.blocking_recv() {
                Ok(wanted) => self.wanted = wanted,
                Err(_) => {
                    self.open = false;
                    self.wanted = Wanted::None;
                }
            }
        }
        &self.wanted
    }

    /// Queue the file's next location, if the import wants it. Blocks while the import is
    /// behind, so call it from a thread of its own (`spawn_blocking`), never from the runtime.
    pub fn send(&mut self, location: CqcLocation) {
        let place = self.place;
        self.place += 1;
        let wanted = match self.wanted() {
            Wanted::All => true,
            Wanted::Some(places) => places.get(place).copied().unwrap_or(false),
            Wanted::None => false,
        };
        if !self.open || !wanted {
            return;
        }
        self.hashes.push(location.content_hash());
        self.batch.push(location);
        if self.batch.len() >= BATCH_ROWS {
            let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH_ROWS));
            let hashes = std::mem::replace(&mut self.hashes, Vec::with_capacity(BATCH_ROWS));
            self.open = self.sender.blocking_send(Message::Batch((batch, hashes))).is_ok();
        }
    }

    /// False once the import has stopped (it failed): reading on is wasted.
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// The file was read to its end (`Ok`), or could not be (`Err` says why, naming the file).
    pub fn end(mut self, read: std::result::Result<(), String>) {
        if !self.open {
            return;
        }
        let last = match read {
            Ok(()) => {
                let batch = std::mem::take(&mut self.batch);
                let hashes = std::mem::take(&mut self.hashes);
                if !batch.is_empty() && self.sender.blocking_send(Message::Batch((batch, hashes))).is_err() {
                    return;
                }
                Message::End
            }
            Err(why) => Message::Failed(why),
        };
        // The import may have stopped meanwhile; it has its own error then.
        let _ = self.sender.blocking_send(last);
    }
}

impl LocationStream {
    pub(super) fn total(&self) -> u64 {
        self.total
    }

    /// What the first reading listed; the stream keeps an empty list.
    pub(super) fn take_listed(&mut self) -> Listed {
        std::mem::take(&mut self.listed)
    }

    /// Tell the reader which locations to send ([`Wanted`]); until the import says, the reader
    /// waits, and the first call of [`LocationStream::next`] says [`Wanted::All`].
    pub(super) fn want(&mut self, wanted: Wanted) {
        if let Some(say) = self.wanted.take() {
            // A reader that has gone has its own error.
            let _ = say.send(wanted);
        }
    }

    /// The next batch, `None` at the file's end, or why the file could not be read to its end.
    pub(super) async fn next(&mut self) -> Result<Option<Batch>> {
        self.want(Wanted::All);
        match self.receiver.recv().await {
            Some(Message::Batch(batch)) => Ok(Some(batch)),
            Some(Message::End) => Ok(None),
            Some(Message::Failed(why)) => Err(unfinished(&why)),
            None => Err(unfinished("its reading stopped before the end of the file")),
        }
    }
}

fn unfinished(why: &str) -> StoreError {
    StoreError::Invalid(FieldError::new("file", format!("the file could not be read to its end ({why}); nothing was imported")))
}
