//! What one client may hold of the server's connections (`serve`): a share of them per client
//! address, and a socket that gives up on a peer who stops reading.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Bytes of a response the kernel holds unsent on a socket at most (`TCP_NOTSENT_LOWAT`). With
/// the kernel's own send buffer (megabytes on a fast link), a write could wait minutes for a slow
/// but steady reader to drain it; with this, a write goes through whenever the client has taken
/// about half of it: every couple of seconds at 2G speed, well within the write timeout.
pub(crate) const NOTSENT_LOWAT: u32 = 16 * 1024;

/// Open connections per client (its address as the throttles count it, an IPv6 client by its
/// /64), each at most `max`.
pub(crate) struct PerClient {
    open: Mutex<HashMap<String, usize>>,
    max: usize,
}

/// One open connection counted against its client's share; dropping it gives the place back.
pub(crate) struct Place {
    owner: Arc<PerClient>,
    client: String,
}

impl PerClient {
    pub(crate) fn new(max: usize) -> Arc<Self> {
        Arc::new(PerClient { open: Mutex::default(), max: max.max(1) })
    }

    /// A place for one more connection of `client`, or `None` when it holds its whole share.
    pub(crate) fn take(self: &Arc<Self>, client: String) -> Option<Place> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(client.clone()).or_default();
        if *count >= self.max {
            return None;
        }
        *count += 1;
        Some(Place { owner: Arc::clone(self), client })
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        let mut open = self.owner.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.client) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.client);
            }
        }
    }
}

/// A socket whose writes fail with `TimedOut` once the peer has taken none of our bytes for
/// `timeout`: a client that stops reading makes every write wait (its receive window is full),
/// and without this its connection, with the response unsent, would stay open for ever. Any
/// progress starts the timer afresh, so a slow but steady download is never cut off.
pub(crate) struct WriteTimeout<S> {
    inner: S,
    timeout: Duration,
    /// Set while a write waits; reset by any write that goes through.
    stalled: Option<Pin<Box<tokio::time::Sleep>>>,
}

/// A socket given up on: closing it should discard what it still holds for the peer.
pub(crate) trait Abandon {
    fn abandon(&self);
}

impl Abandon for tokio::net::TcpStream {
    /// Closed with a reset rather than a FIN queued behind unsent bytes the client will never
    /// read: otherwise the kernel keeps the orphaned socket and its data for minutes.
    fn abandon(&self) {
        let _ = self.set_zero_linger();
    }
}

impl<S: Abandon> WriteTimeout<S> {
    pub(crate) fn new(inner: S, timeout: Duration) -> Self {
        WriteTimeout { inner, timeout, stalled: None }
    }

    fn watch<T>(&mut self, cx: &mut Context<'_>, poll: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        if poll.is_ready() {
            self.stalled = None;
            return poll;
        }
        let timeout = self.timeout;
        let stalled = self.stalled.get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        ready!(stalled.as_mut().poll(cx));
        self.inner.abandon();
        Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "the client took nothing we sent")))
    }
}

impl<S: AsyncRead + Abandon + Unpin> AsyncRead for WriteTimeout<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Abandon + Unpin> AsyncWrite for WriteTimeout<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.watch(cx, poll)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.watch(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.inner).poll_flush(cx);
        self.watch(cx, poll)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.inner).poll_shutdown(cx);
        self.watch(cx, poll)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Abandon for tokio::io::DuplexStream {
        fn abandon(&self) {}
    }

    #[test]
    fn each_client_holds_at_most_its_share_and_gets_places_back() {
        let shares = PerClient::new(2);
        let a1 = shares.take("a".into()).expect("first");
        let _a2 = shares.take("a".into()).expect("second");
        assert!(shares.take("a".into()).is_none(), "a third is over the share");
        assert!(shares.take("b".into()).is_some(), "another client has its own");
        drop(a1);
        assert!(shares.take("a".into()).is_some(), "a closed connection gives its place back");
    }

    #[tokio::test]
    async fn a_write_the_peer_never_takes_fails_after_the_timeout_and_progress_resets_it() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (ours, mut theirs) = tokio::io::duplex(1024);
        let mut ours = WriteTimeout::new(ours, Duration::from_millis(200));
        // Steady progress, slower overall than the timeout: never cut off.
        let reader = tokio::spawn(async move {
            let mut buf = [0u8; 512];
            for _ in 0..8 {
                tokio::time::sleep(Duration::from_millis(60)).await;
                theirs.read_exact(&mut buf).await.unwrap();
            }
            theirs
        });
        ours.write_all(&[7u8; 1024 + 8 * 512]).await.expect("the reader keeps taking bytes");
        let _theirs = reader.await.unwrap();
        // The peer stops reading: the duplex buffer is full and the next write waits.
        let started = std::time::Instant::now();
        let err = ours.write_all(&[7u8; 4096]).await.expect_err("a stalled write fails");
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(started.elapsed() >= Duration::from_millis(200));
    }
}
