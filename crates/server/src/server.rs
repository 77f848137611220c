//! Running the server: state from configuration, the HTTPS (or loopback HTTP) listener, the
//! optional HTTP→HTTPS redirect listener, and housekeeping.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::http::{header, HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use crate::config::{load_master_key, KeyOrigin, ServeConfig};
use crate::crypto::{Keys, PasswordHasher};
use crate::error::{Error, Result};
use crate::mail::Mailer;
use crate::state::{now, Core};
use crate::store::SqliteStore;
use crate::tls::{self, TlsSetup};
use crate::web::{self, security, AppState, WebConfig};

/// Time allowed for a TLS handshake and for request headers.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections served at once per listener; more wait in the kernel's backlog.
const MAX_CONNECTIONS: usize = 1024;
/// How often expired sessions and old failures are purged.
const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(300);

/// The application state for `config`: opens (and migrates) the database, loads the master
/// key, connects the mailer. Also returns where the key came from.
pub fn build_state(config: &ServeConfig) -> Result<(AppState, KeyOrigin)> {
    config.validate()?;
    let (key, origin) = load_master_key(&config.key_source, &config.data_dir)?;
    let store = SqliteStore::open(&config.db)?;
    let mailer = config.smtp.as_ref().map(Mailer::new).transpose()?;
    let hasher = PasswordHasher::owasp();
    hasher.warm_up();
    let core = Core {
        store: Arc::new(store),
        keys: Keys::new(&key),
        hasher,
        settings: config.settings.clone(),
        mailer,
    };
    let web = WebConfig::for_bind(config.bind.ip(), &config.allowed_hosts, config.serves_tls());
    Ok((AppState::new(core, web), origin))
}

/// A running server.
#[derive(Debug)]
pub struct Running {
    /// The address actually bound (port 0 resolved).
    pub addr: SocketAddr,
    /// The redirect listener's address, if any.
    pub redirect_addr: Option<SocketAddr>,
    /// TLS details (fingerprint, certificate path); `None` for plain HTTP.
    pub tls: Option<TlsSetup>,
    /// Where the master key came from.
    pub key_origin: KeyOrigin,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Running {
    /// The base URL (`https://127.0.0.1:8443`).
    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// Stops accepting connections and waits for the listeners to end.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// Binds and starts serving in the background (for embedding: the desktop app calls this and
/// keeps the handle).
pub async fn start(config: ServeConfig) -> Result<Running> {
    let prepared = config.clone();
    let (state, key_origin) = tokio::task::spawn_blocking(move || build_state(&prepared)).await??;
    start_with_state(config, state, key_origin).await
}

/// [`start`] with an already built state.
pub(crate) async fn start_with_state(
    config: ServeConfig,
    state: AppState,
    key_origin: KeyOrigin,
) -> Result<Running> {
    let mut names = config.allowed_hosts.clone();
    if !config.bind.ip().is_unspecified() {
        names.push(config.bind.ip().to_string());
    }
    let tls = tls::load(&config.tls, &config.data_dir, &names)?;
    let listener = TcpListener::bind(config.bind)
        .await
        .map_err(|e| Error::io(format!("cannot listen on {}", config.bind), e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::io("cannot read the bound address", e))?;
    let (stop, stopped) = watch::channel(false);
    let router = web::app(state.clone());
    let acceptor = tls.as_ref().map(|t| TlsAcceptor::from(t.config.clone()));
    let mut tasks = vec![tokio::spawn(accept_loop(
        listener,
        router,
        acceptor,
        stopped.clone(),
    ))];

    let mut redirect_addr = None;
    if let Some(bind) = config.redirect_http {
        let listener = TcpListener::bind(bind)
            .await
            .map_err(|e| Error::io(format!("cannot listen on {bind}"), e))?;
        redirect_addr = Some(
            listener
                .local_addr()
                .map_err(|e| Error::io("cannot read the bound address", e))?,
        );
        let router = redirect_router(state.clone(), addr.port());
        tasks.push(tokio::spawn(accept_loop(
            listener,
            router,
            None,
            stopped.clone(),
        )));
    }
    tasks.push(tokio::spawn(housekeeping(state, stopped)));
    Ok(Running {
        addr,
        redirect_addr,
        tls,
        key_origin,
        stop,
        tasks,
    })
}

/// Runs the server until Ctrl-C or SIGTERM, printing the address and certificate
/// fingerprint on standard output first (scripts and the desktop app read them).
pub async fn serve(config: ServeConfig) -> Result<()> {
    let running = start(config).await?;
    // "listening on" comes last: scripts wait for it and then find everything above.
    if let Some(tls) = &running.tls {
        println!("keygate: certificate sha256 {}", tls.fingerprint);
        println!("keygate: certificate file {}", tls.cert_path.display());
    }
    if let Some(addr) = running.redirect_addr {
        println!("keygate: redirecting http://{addr} to HTTPS");
    }
    if let KeyOrigin::Generated(path) = &running.key_origin {
        println!(
            "keygate: generated a development secret key at {} (see check --deploy)",
            path.display()
        );
    }
    println!("keygate: listening on {}", running.url());
    use std::io::Write;
    let _ = std::io::stdout().flush();
    shutdown_signal().await;
    tracing::info!("shutting down");
    running.shutdown().await;
    Ok(())
}

/// [`serve`] on a runtime of its own, for a synchronous `main` (`keygate serve`).
pub fn serve_blocking(config: ServeConfig) -> Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("cannot start the async runtime", e))?
        .block_on(serve(config))
}

/// Logs to standard error, filtered by `RUST_LOG` (default `info`); does nothing if a logger
/// is already installed. Secrets are never logged at any level.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

async fn accept_loop(
    listener: TcpListener,
    router: Router,
    acceptor: Option<TlsAcceptor>,
    mut stopped: watch::Receiver<bool>,
) {
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        let slot = tokio::select! {
            _ = stopped.changed() => return,
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => return,
            },
        };
        let (stream, peer) = tokio::select! {
            _ = stopped.changed() => return,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let router = router.clone();
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            if let Err(e) = serve_connection(stream, peer, router, acceptor).await {
                tracing::debug!(error = %e, %peer, "connection ended with an error");
            }
            drop(slot);
        });
    }
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    acceptor: Option<TlsAcceptor>,
) -> std::result::Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let _ = stream.set_nodelay(true);
    let service = router.map_request(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        request
    });
    let service = TowerToHyperService::new(service);
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HANDSHAKE_TIMEOUT)
        .max_buf_size(64 * 1024);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(100)
        .max_header_list_size(64 * 1024);
    match acceptor {
        Some(acceptor) => {
            let tls = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await??;
            builder.serve_connection(TokioIo::new(tls), service).await?;
        }
        None => {
            builder
                .serve_connection(TokioIo::new(stream), service)
                .await?;
        }
    }
    Ok(())
}

/// The plain-HTTP listener: every request gets a 301 to the same path on the HTTPS origin
/// (only for allowed hosts).
fn redirect_router(state: AppState, https_port: u16) -> Router {
    let allowed = state.web.allowed_hosts.clone();
    let redirect = move |request: axum::extract::Request| {
        let allowed = allowed.clone();
        async move {
            let Some(host) = security::request_host(&request) else {
                return Error::BadHost.into_response();
            };
            if !security::host_allowed(&host, &allowed) {
                return Error::BadHost.into_response();
            }
            let path = request
                .uri()
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .to_string();
            let port = if https_port == 443 {
                String::new()
            } else {
                format!(":{https_port}")
            };
            let location = format!("https://{host}{port}{path}");
            let mut response: Response = StatusCode::MOVED_PERMANENTLY.into_response();
            if let Ok(value) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(header::LOCATION, value);
            }
            response
        }
    };
    Router::new()
        .fallback(redirect)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::headers,
        ))
        .with_state(state)
}

async fn housekeeping(state: AppState, mut stopped: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(HOUSEKEEPING_EVERY);
    loop {
        tokio::select! {
            _ = stopped.changed() => return,
            _ = tick.tick() => {}
        }
        let result = state
            .blocking(|core| {
                let now = now();
                let s = &core.settings;
                let mut tx = core.store.write()?;
                let ended = tx.delete_stale_sessions(
                    now - s.idle_timeout as i64,
                    now - s.absolute_timeout as i64,
                )?;
                tx.prune_failures(now - 3600)?;
                tx.commit()?;
                Ok(ended)
            })
            .await;
        match result {
            Ok(0) => {}
            Ok(ended) => tracing::info!(ended, "expired sessions removed"),
            Err(e) => tracing::error!(error = %e, "housekeeping failed"),
        }
    }
}
