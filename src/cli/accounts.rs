//! `metrotrack user create`, `metrotrack token create|list|revoke`, `metrotrack lab create|list`.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use metrotrack_api::auth::{
    MIN_PASSWORD_CHARS, generate_password, generate_token, hash_password, hash_token,
};
use metrotrack_core::LabId;
use metrotrack_store::Store;
use metrotrack_store::accounts::{NewToken, NewUser, Role};

use super::UserArg;

/// Which lab an account command acts on.
#[derive(Debug, Args)]
pub struct LabArg {
    /// The lab's code (default: the installation's default lab).
    #[arg(long, env = "METROTRACK_LAB")]
    lab: Option<String>,
}

impl LabArg {
    async fn resolve<S: Store>(&self, store: &S) -> anyhow::Result<LabId> {
        match &self.lab {
            None => Ok(store.default_lab().await?),
            Some(code) => store
                .labs()
                .await?
                .into_iter()
                .find(|l| &l.code == code)
                .map(|l| l.id)
                .with_context(|| format!("there is no lab {code:?} (metrotrack lab list)")),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; prints a generated password unless --password-stdin is given.
    Create {
        /// The username (unique in its lab).
        name: String,
        /// reader, technician, supervisor, admin or national.
        #[arg(long)]
        role: Role,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        lab: LabArg,
        #[command(flatten)]
        by: UserArg,
    },
    /// List the lab's users.
    List {
        #[command(flatten)]
        lab: LabArg,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token; prints it once, alone on the last line.
    Create {
        /// What the token is for (shown in lists).
        #[arg(long)]
        name: String,
        /// reader, technician, supervisor, admin or national.
        #[arg(long)]
        role: Role,
        /// The user the token acts for (its role may not exceed theirs).
        #[arg(long = "for-user", alias = "owner")]
        for_user: Option<String>,
        #[command(flatten)]
        lab: LabArg,
        #[command(flatten)]
        by: UserArg,
    },
    /// List the lab's tokens (never the tokens themselves).
    List {
        #[command(flatten)]
        lab: LabArg,
    },
    /// Revoke a token by id: it fails from the next request on.
    Revoke {
        id: i64,
        #[command(flatten)]
        lab: LabArg,
        #[command(flatten)]
        by: UserArg,
    },
}

#[derive(Debug, Subcommand)]
pub enum LabCommand {
    /// Create a lab (a national deployment holds many).
    Create {
        /// Short code, used in `?lab=CODE`.
        code: String,
        /// Display name.
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        by: UserArg,
    },
    /// List the labs.
    List,
}

pub async fn user<S: Store>(store: &S, cmd: UserCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        UserCommand::Create {
            name,
            role,
            password_stdin,
            lab,
            by,
        } => {
            let lab = lab.resolve(store).await?;
            let (password, generated) = if password_stdin {
                if std::io::stdin().is_terminal() {
                    eprintln!("password (then Enter):");
                }
                let mut line = String::new();
                std::io::stdin()
                    .lock()
                    .read_line(&mut line)
                    .context("cannot read the password from standard input")?;
                let password = line.trim_end_matches(['\r', '\n']).to_owned();
                if password.chars().count() < MIN_PASSWORD_CHARS {
                    bail!("the password must have at least {MIN_PASSWORD_CHARS} characters");
                }
                (password, false)
            } else {
                (generate_password()?, true)
            };
            let hash = tokio::task::spawn_blocking(move || {
                hash_password(&password).map(|h| (h, password))
            })
            .await?
            .map_err(anyhow::Error::msg)?;
            let (hash, password) = hash;
            let user = store
                .create_user(
                    lab,
                    &NewUser {
                        username: name,
                        password_hash: hash,
                        role,
                    },
                    &by.name(),
                )
                .await?;
            println!(
                "created user {} ({}) with id {}",
                user.username, user.role, user.id
            );
            if generated {
                println!("password (shown once):");
                println!("{password}");
            }
        }
        UserCommand::List { lab } => {
            let lab = lab.resolve(store).await?;
            for u in store.users(lab).await? {
                println!(
                    "{}\t{}\t{}\t{}",
                    u.id,
                    u.username,
                    u.role,
                    u.created_at.to_rfc3339()
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn token<S: Store>(store: &S, cmd: TokenCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        TokenCommand::Create {
            name,
            role,
            for_user,
            lab,
            by,
        } => {
            let lab = lab.resolve(store).await?;
            let user_id = match for_user {
                None => None,
                Some(username) => {
                    let user = store
                        .users(lab)
                        .await?
                        .into_iter()
                        .find(|u| u.username == username)
                        .with_context(|| format!("there is no user {username:?} in this lab"))?;
                    if !user.role.at_least(role)
                        || (role == Role::National && user.role != Role::National)
                    {
                        bail!(
                            "a token of {} may not exceed their role ({})",
                            user.username,
                            user.role
                        );
                    }
                    Some(user.id)
                }
            };
            let token = generate_token()?;
            let info = store
                .create_token(
                    lab,
                    &NewToken {
                        name,
                        role,
                        user_id,
                        token_hash: hash_token(&token),
                    },
                    &by.name(),
                )
                .await?;
            println!(
                "created token {} ({}, {}); it is shown this once:",
                info.id, info.name, info.role
            );
            println!("{token}");
        }
        TokenCommand::List { lab } => {
            let lab = lab.resolve(store).await?;
            println!("id\tname\trole\tuser\tcreated\tlast used\trevoked");
            for t in store.tokens(lab).await? {
                let opt = |v: Option<chrono::DateTime<chrono::Utc>>| {
                    v.map(|d| d.to_rfc3339()).unwrap_or_else(|| "-".into())
                };
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    t.id,
                    t.name,
                    t.role,
                    t.username.as_deref().unwrap_or("-"),
                    t.created_at.to_rfc3339(),
                    opt(t.last_used_at),
                    opt(t.revoked_at)
                );
            }
        }
        TokenCommand::Revoke { id, lab, by } => {
            let lab = lab.resolve(store).await?;
            let t = store.revoke_token(lab, id, &by.name()).await?;
            println!("revoked token {} ({})", t.id, t.name);
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn lab<S: Store>(store: &S, cmd: LabCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        LabCommand::Create { code, name, by } => {
            let name = name.unwrap_or_else(|| code.clone());
            let lab = store.create_lab(&code, &name, &by.name()).await?;
            println!("created lab {} ({}) with id {}", lab.code, lab.name, lab.id);
        }
        LabCommand::List => {
            for l in store.labs().await? {
                println!("{}\t{}\t{}", l.id, l.code, l.name);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
