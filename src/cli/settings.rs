//! `metrotrack settings show|set`: the letterhead and signature block of the report
//! document (Decree 30/2020/NĐ-CP), kept by an admin.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use metrotrack_core::ReportSettings;
use metrotrack_store::{Store, StoreError};

use super::{Format, UserArg};

#[derive(Debug, Subcommand)]
pub enum SettingsCommand {
    /// The report document's settings.
    Show(ShowArgs),
    /// Set them; a field not given keeps its value, an empty one clears it.
    Set(SetArgs),
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

#[derive(Debug, Args)]
pub struct SetArgs {
    /// The governing body above the lab (cơ quan chủ quản), e.g. "SỞ KHOA HỌC VÀ CÔNG NGHỆ".
    #[arg(long)]
    parent_body: Option<String>,
    /// The issuing body's name (tên cơ quan ban hành); empty: the lab's name.
    #[arg(long)]
    issuing_body: Option<String>,
    /// The issuing body's abbreviation in the number: "Số: …/BC-SYMBOL".
    #[arg(long)]
    symbol: Option<String>,
    /// The place before the date, e.g. "Hà Nội".
    #[arg(long)]
    place: Option<String>,
    /// The signer's authority and title, e.g. "GIÁM ĐỐC" (a \n starts a new line).
    #[arg(long)]
    signer_title: Option<String>,
    #[arg(long)]
    signer_name: Option<String>,
    /// A recipient (Nơi nhận), once for each; replaces the list.
    #[arg(long = "recipient")]
    recipients: Vec<String>,
    /// Clear the recipients.
    #[arg(long, conflicts_with = "recipients")]
    no_recipients: bool,
    #[command(flatten)]
    user: UserArg,
}

fn print(s: &ReportSettings, format: Format) -> anyhow::Result<()> {
    match format {
        Format::Json => println!("{}", serde_json::to_string(s)?),
        Format::Text => {
            let fields = [
                ("parent_body", s.parent_body.as_str()),
                ("issuing_body", &s.issuing_body),
                ("symbol", &s.symbol),
                ("place", &s.place),
                ("signer_title", &s.signer_title),
                ("signer_name", &s.signer_name),
            ];
            for (name, value) in fields {
                println!("{name}\t{}", value.replace('\n', "\\n"));
            }
            for r in &s.recipients {
                println!("recipient\t{r}");
            }
        }
    }
    Ok(())
}

pub async fn run<S: Store>(store: &S, command: SettingsCommand) -> anyhow::Result<ExitCode> {
    let lab = store.default_lab().await?;
    match command {
        SettingsCommand::Show(args) => print(&store.report_settings(lab).await?, args.format)?,
        SettingsCommand::Set(args) => {
            let mut s = store.report_settings(lab).await?;
            let unescape = |v: String| v.replace("\\n", "\n");
            let fields = [
                (&mut s.parent_body, args.parent_body),
                (&mut s.issuing_body, args.issuing_body),
                (&mut s.symbol, args.symbol),
                (&mut s.place, args.place),
                (&mut s.signer_title, args.signer_title),
                (&mut s.signer_name, args.signer_name),
            ];
            for (field, value) in fields {
                if let Some(v) = value {
                    *field = unescape(v);
                }
            }
            if args.no_recipients {
                s.recipients.clear();
            } else if !args.recipients.is_empty() {
                s.recipients = args.recipients;
            }
            match store.set_report_settings(lab, &s, &args.user.name()).await {
                Ok(stored) => print(&stored, Format::Text)?,
                Err(StoreError::Invalid(why)) => {
                    eprintln!("error: {why}");
                    return Ok(ExitCode::FAILURE);
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
