//! `crm`: one binary, roles by subcommand.

use std::sync::LazyLock;

use clap::{CommandFactory, FromArgMatches, Subcommand};
use crm::commands;
use crm::settings::{LogFormat, Settings};

#[derive(clap::Parser)]
#[command(
    name = "crm",
    about = "The hosted CRM: API, workers and admin commands"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply database migrations (idempotent; refuses a newer schema).
    Migrate,
    /// Serve the HTTP API on CRM_HTTP_ADDR and metrics on CRM_METRICS_ADDR.
    Serve,
    /// Run background jobs.
    Worker,
    /// Manage tenants.
    Tenant {
        #[command(subcommand)]
        command: TenantCommand,
    },
    /// Create the demo tenant with a user per built-in role and print their credentials.
    SeedDemo,
    /// migrate + seed-demo + serve + worker in one process, for local use.
    Dev,
}

#[derive(Subcommand)]
enum TenantCommand {
    /// Create a tenant and its first owner; prints the tenant id.
    Create {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        admin_email: String,
        #[arg(long)]
        admin_password: String,
        #[arg(long, default_value = "Europe/Madrid")]
        time_zone: String,
        #[arg(long, default_value = "EUR")]
        currency: String,
        #[arg(long, default_value = "es")]
        locale: String,
    },
    /// Suspend a tenant: its tokens and keys stop working at once.
    Suspend {
        #[arg(long)]
        slug: String,
    },
    /// Reactivate a suspended tenant.
    Activate {
        #[arg(long)]
        slug: String,
    },
}

fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("CRM_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
        LogFormat::Pretty => builder.init(),
    }
}

/// `crm --version`: the version and the git revision this binary was built from.
static VERSION: LazyLock<String> = LazyLock::new(|| {
    use domain::build_info::{REVISION, VERSION};
    format!("{VERSION} (git {REVISION})")
});

fn parse() -> Cli {
    let matches = Cli::command().version(VERSION.as_str()).get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // reqwest and lettre use rustls without a default crypto provider: ours, first.
    integrations::tls::install_default_provider();
    let cli = parse();
    let dev = matches!(cli.command, Command::Dev);
    let settings = match Settings::from_env(dev) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("crm: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    init_logs(settings.log_format);
    if settings.jwt_key_generated {
        tracing::warn!(
            "!!! DEV MODE: no CRM_JWT_PRIVATE_KEY set, generated a throwaway signing key. \
             Tokens die with this process. Never run like this in production. !!!"
        );
    }
    let result = match cli.command {
        Command::Migrate => commands::migrate(&settings).await,
        Command::Serve => commands::serve(&settings, commands::shutdown_signal()).await,
        Command::Worker => commands::worker(&settings, commands::shutdown_signal()).await,
        Command::SeedDemo => commands::seed_demo(&settings).await,
        Command::Dev => commands::dev(&settings).await,
        Command::Tenant { command } => match command {
            TenantCommand::Create {
                slug,
                name,
                admin_email,
                admin_password,
                time_zone,
                currency,
                locale,
            } => {
                let spec = services::tenants::TenantSpec {
                    slug,
                    name,
                    time_zone,
                    currency,
                    locale,
                };
                commands::tenant_create(&settings, &spec, &admin_email, &admin_password)
                    .await
                    .map(|id| println!("{id}"))
            }
            TenantCommand::Suspend { slug } => {
                commands::tenant_set_active(&settings, &slug, false).await
            }
            TenantCommand::Activate { slug } => {
                commands::tenant_set_active(&settings, &slug, true).await
            }
        },
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "command failed");
            eprintln!("crm: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
