//! `opora-server`: runs the API and serves the built app; `opora-server admin …` manages
//! organisations and accounts. See `--help`.

use clap::{Parser, Subcommand};
use opora_server::{Settings, admin};
use std::io::Read;
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "opora-server", about = "Opora: сервер API и приложения")]
struct Cli {
    #[command(flatten)]
    settings: Settings,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Учётные записи и организации (без запуска сервера).
    #[command(subcommand)]
    Admin(AdminCommand),
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Создать пользователя. Без --password-stdin выдаётся одноразовый код активации.
    CreateUser {
        #[arg(long)]
        login: String,
        /// Фамилия, имя, отчество.
        #[arg(long)]
        name: String,
        /// учитель, директор, отдел образования, региональный специалист, администратор.
        #[arg(long)]
        role: String,
        #[arg(long)]
        school: Option<String>,
        #[arg(long)]
        municipality: Option<String>,
        #[arg(long)]
        region: Option<String>,
        /// Прочитать пароль со стандартного ввода.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Импорт организаций и пользователей из CSV или XLSX (столбцы: Регион, Муниципалитет,
    /// Школа, ШНОР, ШФНСУ, ФИО, Логин, Роль). Всё или ничего.
    Import {
        file: PathBuf,
        /// Куда записать логины и коды активации (CSV для Excel).
        #[arg(long)]
        codes_out: Option<PathBuf>,
        /// Только проверить файл.
        #[arg(long)]
        dry_run: bool,
    },
    /// Сбросить пароль: новый код активации или пароль со стандартного ввода.
    ResetPassword {
        #[arg(long)]
        login: String,
        #[arg(long)]
        password_stdin: bool,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "opora_server=info,tower_http=warn".into()),
        )
        .init();
    let cli = Cli::parse();
    if let Some(Command::Admin(command)) = cli.command {
        return run_admin(cli.settings, command).await;
    }
    tracing::info!(settings = ?cli.settings, "starting");
    let addr = cli.settings.addr;
    let demo = cli.settings.demo.then(|| cli.settings.demo_file.clone());
    let state = opora_server::start(cli.settings).await?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    // Tests and the xtask read this line to learn the port when started on port 0.
    println!("listening on http://{local}");
    if let Some(demo_file) = demo {
        opora_server::demo::print_logins(&demo_file);
    }
    opora_server::serve(state, listener, shutdown_signal()).await?;
    Ok(())
}

fn password_from_stdin(wanted: bool) -> anyhow::Result<Option<String>> {
    if !wanted {
        return Ok(None);
    }
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text)?;
    Ok(Some(text.trim_end_matches(['\r', '\n']).to_owned()))
}

async fn run_admin(settings: Settings, command: AdminCommand) -> anyhow::Result<()> {
    let state = opora_server::start(settings).await?;
    let store = state.store.as_ref();
    let now = opora_server::system_now_ms();
    match command {
        AdminCommand::CreateUser { login, name, role, school, municipality, region, password_stdin } => {
            let password = password_from_stdin(password_stdin)?;
            let code = admin::create_user_named(
                store,
                &login,
                &name,
                &role,
                school.as_deref(),
                municipality.as_deref(),
                region.as_deref(),
                password,
                now,
            )
            .await?;
            println!("Создан пользователь {login}.");
            if let Some(code) = code {
                println!(
                    "Код активации: {code} (действует до {})",
                    admin::format_date(now + opora_domain::accounts::ACTIVATION_TTL_MS)
                );
            }
        }
        AdminCommand::Import { file, codes_out, dry_run } => {
            let table = admin::read_table(&file)?;
            match admin::import(store, &table, dry_run, now).await? {
                Err(errors) => {
                    eprintln!("Файл не импортирован: ошибок {}. Ничего не записано.", errors.len());
                    for e in errors {
                        eprintln!("  {e}");
                    }
                    std::process::exit(2);
                }
                Ok(report) => {
                    let verb = if dry_run {
                        "Проверено, будет создано"
                    } else {
                        "Импортировано"
                    };
                    println!(
                        "{verb}: регионов {}, муниципалитетов {}, школ {}, учётных записей {}, предметов у прежних учителей {}.",
                        report.regions,
                        report.municipalities,
                        report.schools,
                        report.accounts.len(),
                        report.subjects_updated
                    );
                    if !dry_run {
                        let csv = admin::codes_csv(&report.accounts, admin::format_date);
                        match codes_out {
                            Some(path) => {
                                std::fs::write(&path, csv)?;
                                println!("Логины и коды активации: {}", path.display());
                            }
                            None => print!("{}", csv.trim_start_matches('\u{feff}')),
                        }
                    }
                }
            }
        }
        AdminCommand::ResetPassword { login, password_stdin } => {
            match admin::reset_password(store, &login, password_from_stdin(password_stdin)?, now).await? {
                Some(code) => println!("Новый код активации для {login}: {code}. Все сеансы завершены."),
                None => println!("Пароль {login} изменён. Все сеансы завершены."),
            }
        }
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
}
