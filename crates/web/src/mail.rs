//! Sending email (the PA register's confirmation and withdrawal links, issue 17 item 10) with
//! `lettre`: through an SMTP relay when one is configured, otherwise into a folder of `.eml`
//! files (the outbox), one per message, which the demo and the tests read and an operator can
//! send on or inspect. Messages are plain text; nothing about the recipient is logged.

use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox, Message};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};
use std::path::PathBuf;

/// Where mail goes.
#[derive(Debug, Clone)]
pub enum MailSettings {
    /// A folder of `.eml` files (created if missing).
    Outbox(PathBuf),
    /// An SMTP relay as a URL, e.g. `smtps://user:password@smtp.example.org` or
    /// `smtp://relay.internal:25?tls=required` (lettre's URL form). A secret: it may hold a
    /// password.
    Smtp(SecretString),
}

impl Default for MailSettings {
    fn default() -> Self {
        MailSettings::Outbox(PathBuf::from("outbox"))
    }
}

enum Transport {
    Outbox(AsyncFileTransport<Tokio1Executor>, PathBuf),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

pub struct Mailer {
    from: Mailbox,
    transport: Transport,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("the mail settings are not valid: {0}")]
    Settings(String),
    #[error("the email could not be sent: {0}")]
    Send(String),
}

impl Mailer {
    pub fn new(settings: &MailSettings, from: &str) -> Result<Mailer, MailError> {
        let from: Mailbox = from.parse().map_err(|e| MailError::Settings(format!("mail_from '{from}': {e}")))?;
        let transport = match settings {
            // The folder is made when the first message is written, not before.
            MailSettings::Outbox(dir) => Transport::Outbox(AsyncFileTransport::new(dir), dir.clone()),
            MailSettings::Smtp(url) => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
                    .map_err(|e| MailError::Settings(format!("smtp_url: {e}")))?
                    .build(),
            ),
        };
        Ok(Mailer { from, transport })
    }

    /// The outbox folder, when mail is written there rather than sent.
    pub fn outbox(&self) -> Option<&std::path::Path> {
        match &self.transport {
            Transport::Outbox(_, dir) => Some(dir),
            Transport::Smtp(_) => None,
        }
    }

    /// Send a plain-text message to one address. The text must be ASCII with lines under 998
    /// characters: it is sent as 7-bit text so that links are never split or encoded (a
    /// quoted-printable body would break a link over lines and turn `?token=` into
    /// `?token=3D` for anyone reading the file or a mail client that does not decode it).
    pub async fn send(&self, to: &str, subject: &str, body: String) -> Result<(), MailError> {
        let to: Mailbox = to.parse().map_err(|e| MailError::Send(format!("recipient: {e}")))?;
        // 7-bit text allows lines of up to 998 characters (RFC 5322); lettre would choose
        // quoted-printable for anything over 76, which is where a link is.
        if !body.is_ascii() || body.lines().any(|l| l.len() > 998) {
            return Err(MailError::Send("the message is not 7-bit text with lines under 998 characters".into()));
        }
        let body =
            Body::dangerous_pre_encoded(body.replace("\r\n", "\n").replace('\n', "\r\n").into_bytes(), ContentTransferEncoding::SevenBit);
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| MailError::Send(e.to_string()))?;
        match &self.transport {
            Transport::Outbox(t, dir) => {
                tokio::fs::create_dir_all(dir).await.map_err(|e| MailError::Send(format!("the outbox folder {}: {e}", dir.display())))?;
                t.send(message).await.map(|_| ()).map_err(|e| MailError::Send(e.to_string()))
            }
            Transport::Smtp(t) => t.send(message).await.map(|_| ()).map_err(|e| MailError::Send(e.to_string())),
        }
    }
}
