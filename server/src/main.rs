//! `opora-server`: runs the API and serves the built app. See `--help`.

use clap::Parser;
use opora_server::Settings;

#[derive(Parser)]
#[command(name = "opora-server", about = "Opora: сервер API и приложения")]
struct Cli {
    #[command(flatten)]
    settings: Settings,
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
