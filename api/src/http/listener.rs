//! The HTTP listener, with the bounds `axum::serve` has no settings for: a header read timeout
//! (a client that opens a connection and never finishes its headers is dropped), and a bound on
//! concurrent connections (past it, new clients wait in the kernel's backlog instead of each
//! costing a task and buffers). Connections in flight finish on shutdown.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use super::limits::HttpLimits;

/// How long connections in flight may take to finish once shutdown begins.
const DRAIN: Duration = Duration::from_secs(10);

pub async fn serve(
    listener: TcpListener,
    router: axum::Router,
    limits: &HttpLimits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections as usize));
    let graceful = GracefulShutdown::new();
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout());
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(limits.header_timeout()))
        .keep_alive_timeout(limits.header_timeout());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    tracing::warn!(error = %e, "accepting an HTTP connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = TowerToHyperService::new(router.clone());
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "HTTP connection ended with an error");
            }
            drop(permit);
        });
    }
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("HTTP connections still open after the drain period were dropped");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use axum::body::Body;
    use axum::extract::State;
    use axum::routing::post;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    use super::*;
    use crate::http::limits::read_body;

    fn limits() -> HttpLimits {
        HttpLimits {
            header_timeout_secs: 1,
            body_timeout_secs: 1,
            max_body_bytes: 1000,
            max_connections: 2,
        }
    }

    /// A listener with one route that reads its body within the limits.
    async fn start() -> std::net::SocketAddr {
        let limits = limits();
        let router = axum::Router::new()
            .route(
                "/echo",
                post(|State(limits): State<HttpLimits>, body: Body| async move {
                    read_body(body, &limits).await.map(|b| b.len().to_string())
                }),
            )
            .with_state(limits.clone());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { serve(listener, router, &limits, std::future::pending()).await });
        addr
    }

    async fn read_all(stream: &mut TcpStream) -> String {
        let mut answer = Vec::new();
        let _ =
            tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
        String::from_utf8_lossy(&answer).into_owned()
    }

    #[tokio::test]
    async fn a_client_that_never_finishes_its_headers_is_dropped() {
        let addr = start().await;
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        let started = Instant::now();
        let answer = read_all(&mut stream).await;
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "closed by the header timeout"
        );
        assert!(!answer.contains("200 OK"), "{answer}");
    }

    #[tokio::test]
    async fn a_body_that_stops_arriving_gets_408_in_json() {
        let addr = start().await;
        let mut stream = TcpStream::connect(addr).await.unwrap();
        // The probe's request: declares 1000 bytes and sends one.
        stream
            .write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{")
            .await
            .unwrap();
        let answer = read_all(&mut stream).await;
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(answer.contains(r#""code":"BODY_TIMEOUT""#), "{answer}");
    }

    #[tokio::test]
    async fn a_body_past_the_limit_gets_413_in_json_whether_declared_or_chunked() {
        let addr = start().await;
        let mut declared = TcpStream::connect(addr).await.unwrap();
        declared
            .write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n")
            .await
            .unwrap();
        let answer = read_all(&mut declared).await;
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        assert!(answer.contains(r#""code":"BODY_TOO_LARGE""#), "{answer}");

        let mut chunked = TcpStream::connect(addr).await.unwrap();
        let chunk = "a".repeat(600);
        let request = format!(
            "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n{chunk}\r\n258\r\n{chunk}\r\n0\r\n\r\n"
        );
        chunked.write_all(request.as_bytes()).await.unwrap();
        let answer = read_all(&mut chunked).await;
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");

        let mut small = TcpStream::connect(addr).await.unwrap();
        small
            .write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc")
            .await
            .unwrap();
        let answer = read_all(&mut small).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.ends_with("\r\n\r\n3"), "{answer}");
    }

    #[tokio::test]
    async fn connections_past_the_bound_wait_until_one_closes() {
        let addr = start().await;
        // Two connections hold both permits, with headers half sent.
        let mut holders = Vec::new();
        for _ in 0..2 {
            let mut s = TcpStream::connect(addr).await.unwrap();
            s.write_all(b"POST /echo HTTP/1.1\r\n").await.unwrap();
            holders.push(s);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut third = TcpStream::connect(addr).await.unwrap();
        third
            .write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nConnection: close\r\n\r\nz")
            .await
            .unwrap();
        let mut first_bytes = [0u8; 12];
        let early =
            tokio::time::timeout(Duration::from_millis(300), third.read(&mut first_bytes)).await;
        assert!(
            early.is_err(),
            "the third connection is not served while two are held"
        );
        // The holders are dropped by the header timeout (or by us); then the third is served.
        drop(holders);
        let answer = read_all(&mut third).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }
}
