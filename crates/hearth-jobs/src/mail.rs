//! E-mail transports: a folder (the default, so the demo needs no mail server) or SMTP.

use hearth_app::jobs::OutgoingMail;
use hearth_app::App;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::PathBuf;

/// Mail settings.
#[derive(Debug, Clone)]
pub enum MailConfig {
    /// Write each message as a .eml file in this folder.
    Folder(PathBuf),
    /// Relay through an SMTP server (plain, to a local relay that handles onward TLS).
    Smtp {
        host: String,
        port: u16,
        from: String,
    },
}

/// A ready transport.
#[derive(Clone)]
pub enum MailTransport {
    Folder(PathBuf),
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
    },
}

impl MailTransport {
    pub fn new(config: &MailConfig) -> Result<MailTransport, String> {
        match config {
            MailConfig::Folder(p) => Ok(MailTransport::Folder(p.clone())),
            MailConfig::Smtp { host, port, from } => {
                let from: Mailbox = from
                    .parse()
                    .map_err(|e| format!("mail from address {from}: {e}"))?;
                let transport =
                    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host.as_str())
                        .port(*port)
                        .build();
                Ok(MailTransport::Smtp { transport, from })
            }
        }
    }

    async fn send(&self, m: &OutgoingMail) -> Result<(), String> {
        match self {
            MailTransport::Folder(dir) => {
                tokio::fs::create_dir_all(dir)
                    .await
                    .map_err(|e| e.to_string())?;
                let text = format!(
                    "To: {}\r\nSubject: {}\r\nX-Hearth-Outbox-Id: {}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{}\r\n",
                    m.to_address, m.subject, m.id, m.body
                );
                let tmp = dir.join(format!(".{:08}.eml.tmp", m.id));
                let path = dir.join(format!("{:08}.eml", m.id));
                tokio::fs::write(&tmp, text)
                    .await
                    .map_err(|e| e.to_string())?;
                tokio::fs::rename(&tmp, &path)
                    .await
                    .map_err(|e| e.to_string())
            }
            MailTransport::Smtp { transport, from } => {
                let to: Mailbox = m
                    .to_address
                    .parse()
                    .map_err(|e| format!("address {}: {e}", m.to_address))?;
                let msg = Message::builder()
                    .from(from.clone())
                    .to(to)
                    .subject(m.subject.clone())
                    .body(m.body.clone())
                    .map_err(|e| e.to_string())?;
                transport
                    .send(msg)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
        }
    }

    /// Sends what is waiting in the outbox; returns how many were sent.
    pub async fn deliver_outbox(&self, app: &App) -> Result<usize, String> {
        let waiting = app.outbox_due(100).await.map_err(|e| e.to_string())?;
        let mut sent = 0;
        for m in waiting {
            match self.send(&m).await {
                Ok(()) => {
                    app.mark_mail_sent(m.id).await.map_err(|e| e.to_string())?;
                    sent += 1;
                }
                Err(e) => {
                    tracing::warn!(outbox_id = m.id, error = %e, "could not send e-mail");
                    app.mark_mail_failed(m.id, &e)
                        .await
                        .map_err(|e| e.to_string())?;
                }
            }
        }
        Ok(sent)
    }
}
