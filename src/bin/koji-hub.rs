//! `koji-hub --config hub.conf <serve|migrate|create-user>`.

use anyhow::Context;
use clap::{Parser, Subcommand};
use koji_rs::config::HubConfig;
use koji_rs::{auth, db};
use std::path::PathBuf;

#[derive(Parser)]
#[command(version, about = "The koji-rs hub: Koji's XML-RPC API on PostgreSQL")]
struct Cli {
    /// Koji-format hub.conf (INI, [hub] section)
    #[arg(long, default_value = "/etc/koji-hub/hub.conf")]
    config: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the hub until SIGINT/SIGTERM.
    Serve,
    /// Apply pending schema migrations (a second run does nothing).
    Migrate,
    /// Create a user with a password, optionally with the admin permission.
    CreateUser {
        name: String,
        /// File holding the password (its first line is used)
        #[arg(long)]
        password_file: PathBuf,
        #[arg(long)]
        admin: bool,
        /// If the user exists already, set its password (and admin permission) instead of failing
        #[arg(long)]
        reset_password: bool,
    },
}

fn init_logging(config: &HubConfig) {
    let level = match config.log_level.to_ascii_uppercase().as_str() {
        "DEBUG" => "debug",
        "WARNING" | "WARN" => "warn",
        "ERROR" | "CRITICAL" => "error",
        _ => "info",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("{level},actix_server=warn")));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    for key in &config.unknown_keys {
        tracing::warn!(key = %key, "unknown [hub] option ignored");
    }
}

async fn migrate(config: &HubConfig) -> anyhow::Result<()> {
    let pool = db::make_pool(config, 1)?;
    let mut client = pool.get().await.context("cannot connect to the database")?;
    let report = db::migrate::run(&mut client).await.context("migration failed")?;
    for name in &report.adopted {
        println!("adopted existing Koji schema: {name}");
    }
    for name in &report.applied {
        println!("applied {name}");
    }
    if report.applied.is_empty() && report.adopted.is_empty() {
        println!("schema is up to date");
    }
    Ok(())
}

async fn create_user(
    config: &HubConfig,
    name: &str,
    password_file: &PathBuf,
    admin: bool,
    reset_password: bool,
) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(password_file).with_context(|| format!("cannot read {}", password_file.display()))?;
    let password = text.lines().next().unwrap_or("").to_owned();
    anyhow::ensure!(!password.is_empty(), "{} holds no password", password_file.display());
    let pool = db::make_pool(config, 1)?;
    let mut client = pool.get().await.context("cannot connect to the database")?;
    let tx = client.transaction().await?;
    let hash = auth::hash_password(&password);
    let existing = db::users::by_name(&tx, name).await?;
    anyhow::ensure!(existing.is_none() || reset_password, "user {name} already exists");
    let id = match &existing {
        Some(user) => {
            db::users::set_password(&tx, user.id, &hash).await?;
            user.id
        }
        None => db::users::create(&tx, name, Some(&hash), db::users::STATUS_NORMAL, db::users::USER_NORMAL).await?,
    };
    let perm = db::perms::id_by_name(&tx, "admin").await?.context("the admin permission is missing; run migrate")?;
    if admin && !db::perms::is_granted(&tx, id, perm).await? {
        let event = db::new_event(&tx).await?;
        db::perms::grant(&tx, id, perm, event, id).await?;
    }
    tx.commit().await?;
    let verb = if existing.is_some() { "reset the password of" } else { "created" };
    println!("{verb} user {name} (id {id}){}", if admin { " with admin permission" } else { "" });
    Ok(())
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = HubConfig::load(&cli.config)?;
    init_logging(&config);
    match cli.command {
        Command::Serve => koji_rs::startup::serve(config).await,
        Command::Migrate => migrate(&config).await,
        Command::CreateUser { name, password_file, admin, reset_password } => {
            create_user(&config, &name, &password_file, admin, reset_password).await
        }
    }
}
