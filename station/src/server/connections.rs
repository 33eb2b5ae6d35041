//! Accepting and serving HTTP connections within bounds: at most `max_connections` at once
//! (one more is answered 503 in the one error shape and closed, while those admitted keep
//! being served), a connection must complete each request's headers within the header
//! timeout, and a keep-alive connection waiting between requests is closed after the idle
//! timeout. Also the process's file-descriptor limit, which the connection limit must fit
//! under.
//!
//! hyper's own `header_read_timeout` runs from the moment it waits for a request, so it
//! would close an idle keep-alive connection at the header timeout too; the two times are
//! kept apart here by watching each connection: how many of its requests are in flight (a
//! request counts until its answer's body is dropped, so a live stream is never idle), when
//! it last became idle, and when the first byte of its next request arrived.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::Router;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{watch, Semaphore};

use crate::config::ServerConfig;
use crate::message;

/// File descriptors kept for everything but HTTP connections: the store's files, devices,
/// printers, the control socket, label files, and connections being turned away.
pub const RESERVED_FDS: u64 = 64 + MAX_REFUSING as u64;

/// Connections being answered "too many connections" at once; beyond these, a connection
/// over the limit is closed without an answer.
const MAX_REFUSING: usize = 32;

/// How long a refused connection is given to take its answer before it is closed.
const REFUSE_LINGER: Duration = Duration::from_secs(2);

/// How long open requests may take to finish after shutdown begins.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// The bounds the server applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// HTTP connections served at once.
    pub max_connections: usize,
    /// From connecting, or from a later request's first byte, to its complete headers.
    pub header_timeout: Duration,
    /// Between requests on a keep-alive connection.
    pub idle_timeout: Duration,
}

impl Limits {
    /// The configured bounds, the connection limit lowered to fit under `fd_limit` (the
    /// soft `RLIMIT_NOFILE`) with [`RESERVED_FDS`] to spare.
    pub fn new(config: &ServerConfig, fd_limit: Option<u64>) -> Limits {
        let mut max_connections = config.max_connections.max(1);
        if let Some(fd_limit) = fd_limit {
            let room = usize::try_from(fd_limit.saturating_sub(RESERVED_FDS)).unwrap_or(usize::MAX);
            if room < max_connections {
                tracing::warn!(
                    configured = max_connections,
                    fd_limit,
                    used = room.max(1),
                    "[server] max_connections does not fit under the file-descriptor limit; lowered"
                );
                max_connections = room.max(1);
            }
        }
        Limits {
            max_connections,
            header_timeout: Duration::from_secs(config.header_timeout_secs.max(1)),
            idle_timeout: Duration::from_secs(config.idle_timeout_secs.max(1)),
        }
    }
}

/// Raises the soft `RLIMIT_NOFILE` to the hard limit and returns (soft before, soft now,
/// hard); `None` where the limit cannot be read.
pub fn raise_fd_limit() -> Option<(u64, u64, u64)> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we own; no other memory is touched.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return None;
    }
    let before = limit.rlim_cur;
    if limit.rlim_cur < limit.rlim_max {
        let raised = libc::rlimit {
            rlim_cur: limit.rlim_max,
            rlim_max: limit.rlim_max,
        };
        // SAFETY: setrlimit only reads the struct we pass.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            limit.rlim_cur = limit.rlim_max;
        }
    }
    Some((before, limit.rlim_cur, limit.rlim_max))
}

/// The soft `RLIMIT_NOFILE`, if it can be read.
pub fn fd_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we own.
    (unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0).then_some(limit.rlim_cur)
}

/// Serves `router` on `listener` within `limits` until `shutdown` completes; then stops
/// accepting, lets open requests finish (for at most [`SHUTDOWN_GRACE`]) and returns.
/// With `tls`, every connection is served over TLS: its handshake must complete within the
/// header timeout too (the headers of its first request are owed from the moment it
/// connected), and a client speaking plain HTTP to it is answered so in plain HTTP.
pub(super) async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    limits: Limits,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let tls = tls.map(tokio_rustls::TlsAcceptor::from);
    let https_only = Arc::new(https_only());
    let admitted = Arc::new(Semaphore::new(limits.max_connections));
    let refusing = Arc::new(Semaphore::new(MAX_REFUSING));
    let refusal = Arc::new(too_many_connections(limits.max_connections));
    // Dropping `stop` tells every connection to finish; each holds a clone of `open`, so
    // `open.closed()` completes when the last one has ended.
    let (stop, stopped) = watch::channel(());
    let (open, _) = watch::channel(());
    let mut shutdown = pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(error) if is_connection_error(&error) => continue,
            Err(error) => {
                // Out of file descriptors or memory: wait for some to be given back rather
                // than spin on the error.
                tracing::warn!(%error, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(permit) = admitted.clone().try_acquire_owned() else {
            match refusing.clone().try_acquire_owned() {
                Ok(refusing) => {
                    let refusal = refusal.clone();
                    let tls = tls.clone();
                    tokio::spawn(async move {
                        match tls {
                            None => refuse(stream, &refusal).await,
                            // Said over TLS, where the client expects it; a handshake that
                            // does not complete in time is closed without an answer.
                            Some(tls) => {
                                if let Ok(Ok(stream)) =
                                    tokio::time::timeout(REFUSE_LINGER, tls.accept(stream)).await
                                {
                                    refuse(stream, &refusal).await;
                                }
                            }
                        }
                        drop(refusing);
                    });
                }
                Err(_) => drop(stream),
            }
            tracing::debug!(
                max = limits.max_connections,
                "connection refused: too many connections"
            );
            continue;
        };
        if let Err(error) = stream.set_nodelay(true) {
            // Answers are small and latency matters more than packet count.
            tracing::debug!(%error, "could not set TCP_NODELAY");
        }
        let router = router.clone();
        let mut stopped = stopped.clone();
        let open = open.subscribe();
        let tls = tls.clone();
        let https_only = https_only.clone();
        tokio::spawn(async move {
            match tls {
                None => serve_connection(stream, router, limits, &mut stopped).await,
                Some(tls) => {
                    serve_tls_connection(stream, tls, &https_only, router, limits, &mut stopped)
                        .await;
                }
            }
            drop(open);
            drop(permit);
        });
    }
    drop(listener);
    drop(stop);
    if tokio::time::timeout(SHUTDOWN_GRACE, open.closed())
        .await
        .is_err()
    {
        tracing::warn!("connections still open at the end of the shutdown grace; closing them");
    }
    Ok(())
}

/// Errors of one incoming connection (it went away before it was accepted), not of the
/// listener.
fn is_connection_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// The whole answer to a connection over the limit.
fn too_many_connections(max: usize) -> Vec<u8> {
    let message = message!(ServerTooManyConnections, max = max);
    let body = serde_json::json!({ "error": message.code, "message": message.text }).to_string();
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The whole answer to plain HTTP sent to the HTTPS port.
fn https_only() -> Vec<u8> {
    let message = message!(ServerHttpsOnly);
    let body = serde_json::json!({ "error": message.code, "message": message.text }).to_string();
    format!(
        "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The first byte of every TLS connection: a handshake record (RFC 8446, 5.1).
const TLS_HANDSHAKE: u8 = 0x16;

/// Serves one connection over TLS: the handshake (within the header timeout, from the
/// moment the connection opened), then HTTP as [`serve_connection`] does. A client that
/// sends anything but a TLS handshake (plain HTTP to the HTTPS port) is answered 400 in
/// plain HTTP, saying to use https://, and closed.
async fn serve_tls_connection(
    stream: TcpStream,
    tls: tokio_rustls::TlsAcceptor,
    https_only: &[u8],
    router: Router,
    limits: Limits,
    stopped: &mut watch::Receiver<()>,
) {
    let activity = Arc::new(Activity::new());
    let client = client_addr(&stream);
    let handshake = async {
        let mut first = [0u8; 1];
        match stream.peek(&mut first).await {
            Ok(1..) if first[0] != TLS_HANDSHAKE => return Err(stream),
            _ => {}
        }
        let watched = Watched {
            inner: stream,
            activity: activity.clone(),
        };
        Ok(tls.accept(watched).await)
    };
    let accepted = tokio::select! {
        accepted = tokio::time::timeout(limits.header_timeout, handshake) => accepted,
        _ = stopped.changed() => return,
    };
    match accepted {
        Ok(Ok(Ok(stream))) => {
            serve_watched(stream, client, activity, router, limits, stopped).await
        }
        Ok(Ok(Err(error))) => tracing::debug!(%error, "TLS handshake failed"),
        Ok(Err(plain)) => {
            tracing::debug!("plain HTTP on the HTTPS port: answered 400");
            refuse(plain, https_only).await;
        }
        Err(_) => tracing::debug!("connection closed: the TLS handshake timed out"),
    }
}

/// Answers `stream` with `answer` and closes it. What the client sent meanwhile is read
/// and dropped for a moment first: closing a socket with unread data resets it, and the
/// client could lose the answer.
async fn refuse<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, answer: &[u8]) {
    use tokio::io::AsyncReadExt;
    if stream.write_all(answer).await.is_err() || stream.shutdown().await.is_err() {
        return;
    }
    let mut sink = [0u8; 4096];
    let _ = tokio::time::timeout(REFUSE_LINGER, async {
        let mut n_read = 0usize;
        while let Ok(n) = stream.read(&mut sink).await {
            n_read += n;
            if n == 0 || n_read > 64 * 1024 {
                break;
            }
        }
    })
    .await;
}

/// Serves one connection until it ends, breaks a timeout, or the server stops.
async fn serve_connection(
    stream: TcpStream,
    router: Router,
    limits: Limits,
    stopped: &mut watch::Receiver<()>,
) {
    let activity = Arc::new(Activity::new());
    let client = client_addr(&stream);
    let watched = Watched {
        inner: stream,
        activity: activity.clone(),
    };
    serve_watched(watched, client, activity, router, limits, stopped).await;
}

/// The client's address, which sign-in attempts are counted by too.
fn client_addr(stream: &TcpStream) -> Option<super::handlers::ClientAddr> {
    stream
        .peer_addr()
        .ok()
        .map(|peer| super::handlers::ClientAddr(peer.ip()))
}

/// Serves HTTP on `stream` (a [`Watched`] connection, or TLS over one) until it ends,
/// breaks a timeout, or the server stops; `activity` is what its [`Watched`] reports to.
async fn serve_watched<S>(
    stream: S,
    client: Option<super::handlers::ClientAddr>,
    activity: Arc<Activity>,
    router: Router,
    limits: Limits,
    stopped: &mut watch::Receiver<()>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let io = TokioIo::new(stream);
    let inner = TowerToHyperService::new(router);
    let tracked = activity.clone();
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        if let Some(client) = client {
            request.extensions_mut().insert(client);
        }
        let request_guard = tracked.begin_request();
        let answer = hyper::service::Service::call(&inner, request);
        async move {
            let response = answer.await?;
            // The request stays in flight until its answer's body is dropped (sent to the
            // end, or the connection gone): a live stream is never idle.
            Ok::<_, Infallible>(response.map(|body| {
                Body::new(body.map_frame(move |frame| {
                    let _in_flight = &request_guard;
                    frame
                }))
            }))
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    // The watchdog below keeps the header and idle timeouts apart (see the module's doc).
    builder.header_read_timeout(None);
    let mut connection = pin!(builder.serve_connection(io, service));
    let tick = (limits.header_timeout.min(limits.idle_timeout) / 4)
        .clamp(Duration::from_millis(10), Duration::from_secs(1));
    let mut stopping = false;
    // Armed when the server stops: open requests get this long to finish.
    let mut grace = pin!(tokio::time::sleep(Duration::ZERO));
    loop {
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(%error, "connection ended with an error");
                }
                return;
            }
            _ = stopped.changed(), if !stopping => {
                stopping = true;
                connection.as_mut().graceful_shutdown();
                grace.as_mut().reset(tokio::time::Instant::now() + SHUTDOWN_GRACE);
            }
            () = &mut grace, if stopping => return,
            () = tokio::time::sleep(tick) => {
                if let Some(late) = activity.overdue(limits) {
                    tracing::debug!(late, "connection closed: timed out");
                    return;
                }
            }
        }
    }
}

/// What a connection is doing, shared by its stream, its service and its watchdog. Times
/// are milliseconds since the connection opened.
struct Activity {
    opened: Instant,
    /// Requests whose answers are not yet sent.
    in_flight: AtomicUsize,
    /// When the headers now awaited began (the connection's start, or the first byte after
    /// an idle time), or [`NONE`].
    head_since: AtomicU64,
    /// When the connection last became idle (its last answer sent).
    idle_since: AtomicU64,
}

/// No time.
const NONE: u64 = u64::MAX;

impl Activity {
    fn new() -> Activity {
        // A new connection owes its first request's headers from the start.
        Activity {
            opened: Instant::now(),
            in_flight: AtomicUsize::new(0),
            head_since: AtomicU64::new(0),
            idle_since: AtomicU64::new(0),
        }
    }

    fn now(&self) -> u64 {
        u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(NONE - 1)
    }

    /// A request's headers are complete: it is in flight until the guard is dropped.
    fn begin_request(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        self.head_since.store(NONE, Ordering::SeqCst);
        InFlight(self.clone())
    }

    /// Bytes arrived: if the connection was idle, a request's headers have begun.
    fn received(&self) {
        if self.in_flight.load(Ordering::SeqCst) == 0 {
            let now = self.now();
            let _ = self
                .head_since
                .compare_exchange(NONE, now, Ordering::SeqCst, Ordering::SeqCst);
        }
    }

    /// Which timeout the connection has run past: "header" or "idle".
    fn overdue(&self, limits: Limits) -> Option<&'static str> {
        if self.in_flight.load(Ordering::SeqCst) > 0 {
            return None;
        }
        let now = self.now();
        let waited = |since: u64| Duration::from_millis(now.saturating_sub(since));
        match self.head_since.load(Ordering::SeqCst) {
            NONE => (waited(self.idle_since.load(Ordering::SeqCst)) >= limits.idle_timeout)
                .then_some("idle"),
            since => (waited(since) >= limits.header_timeout).then_some("header"),
        }
    }
}

/// A request in flight; dropping it may leave its connection idle.
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let activity = &self.0;
        activity.idle_since.store(activity.now(), Ordering::SeqCst);
        activity.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A connection's stream that tells its [`Activity`] when bytes arrive.
struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.received();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
