//! Bodies the kernel sends without copying them: a large body held in memory for a
//! long time (a hot file of the media cache) is also kept in a file, and when a
//! connection writes bytes of that body, it hands the socket the file's pages with
//! `sendfile` instead of copying the bytes in, as a static file server does.
//!
//! The file is an unnamed one (`O_TMPFILE`) in the temporary directory (`TMPDIR`,
//! else `/tmp`): nothing can open it by name, and it goes when the body does. On a
//! disk filesystem its pages come in large folios, which `sendfile` walks faster
//! than small pages (the kernel may write them back to the disk once, as any
//! file's; they are public media). Where that directory cannot hold one, it is a
//! memory file (`memfd`) sealed against writes and resizing. hewn never writes to
//! either again, so pages the kernel still holds for a socket never change, and
//! they outlive the file for as long as the socket needs them.
//!
//! The body is still an ordinary [`Bytes`]: a writer that does not know of the file
//! (HTTP/2, a layer that copies) sends the same bytes from the heap. A connection
//! recognises a shared body by the address of the bytes it is asked to write,
//! looked up in a table of shared bodies; a body leaves the table when its last
//! clone is dropped.
//!
//! Elsewhere than Linux, or when no file can be made, bodies are not shared and
//! every write copies, as before.

use axum::body::Bytes;

/// Bodies shorter than this are not worth a file and a second system call.
pub const MIN_SHARED_BYTES: usize = 64 * 1024;
/// Most bodies shared at once: each holds a file descriptor (counted in the
/// server's reserve, [`crate::server::RESERVED_FILES`]); past it, bodies are copied.
pub const MAX_SHARED_FILES: usize = 128;

#[cfg(target_os = "linux")]
pub use linux::{poll_write_vectored, shareable, shared_bytes_sent};

#[cfg(not(target_os = "linux"))]
pub use elsewhere::{poll_write_vectored, shareable, shared_bytes_sent};

/// How many copies of a large body a shareable one takes at most.
pub const COPIES: usize = if cfg!(target_os = "linux") { 2 } else { 1 };

/// The memory a shareable body takes: the heap copy, and the kept file's when it
/// has one.
pub fn held_bytes(body: &Bytes, shared: bool) -> usize {
    if shared { body.len().saturating_mul(COPIES) } else { body.len() }
}

#[cfg(target_os = "linux")]
mod linux {
    use std::collections::BTreeMap;
    use std::io::{IoSlice, Write};
    use std::os::fd::OwnedFd;
    use std::pin::Pin;
    use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
    use std::sync::{Arc, PoisonError, RwLock};
    use std::task::{Context, Poll};

    use axum::body::Bytes;
    use rustix::fs::{MemfdFlags, Mode, OFlags, SealFlags};
    use rustix::net::{SendAncillaryBuffer, SendFlags};
    use tokio::io::{AsyncWrite, Interest};
    use tokio::net::TcpStream;

    use super::{MAX_SHARED_FILES, MIN_SHARED_BYTES};

    /// Writes shorter than this are not looked up (headers, small pages).
    const MIN_LOOKUP_BYTES: usize = 4 * 1024;

    /// Shared bodies by the address of their first byte.
    static SHARED: RwLock<BTreeMap<usize, Shared>> = RwLock::new(BTreeMap::new());
    /// How many bodies are shared: writes skip the table while there are none.
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    /// Bytes sent from kept files since the process started.
    static SENT: AtomicU64 = AtomicU64::new(0);

    struct Shared {
        len: usize,
        file: Arc<OwnedFd>,
    }

    /// Owns a shared body: keeps its bytes where they are and takes the body out
    /// of the table when the last clone goes.
    struct Owner {
        data: Bytes,
        file: Arc<OwnedFd>,
    }

    impl AsRef<[u8]> for Owner {
        fn as_ref(&self) -> &[u8] {
            &self.data
        }
    }

    impl Drop for Owner {
        fn drop(&mut self) {
            let mut shared = SHARED.write().unwrap_or_else(PoisonError::into_inner);
            let start = self.data.as_ptr() as usize;
            if shared.get(&start).is_some_and(|s| Arc::ptr_eq(&s.file, &self.file)) {
                shared.remove(&start);
                COUNT.store(shared.len(), Ordering::Relaxed);
            }
        }
    }

    /// `data` as a body whose bytes connections send from a kept file,
    /// and whether it is one (a short body, or one whose file could not be made,
    /// comes back as it was).
    pub fn shareable(data: Bytes) -> (Bytes, bool) {
        if data.len() < MIN_SHARED_BYTES || COUNT.load(Ordering::Relaxed) >= MAX_SHARED_FILES {
            return (data, false);
        }
        match kept_copy(&data) {
            Ok(file) => share(data, file),
            Err(e) => {
                tracing::debug!(error = %e, "cannot keep a body in a file; it is copied when sent");
                (data, false)
            }
        }
    }

    /// `data` as a body sent from `file`, which holds the same bytes (unless the
    /// table is full, or already has a body at that address).
    fn share(data: Bytes, file: OwnedFd) -> (Bytes, bool) {
        let file = Arc::new(file);
        let start = data.as_ptr() as usize;
        let mut shared = SHARED.write().unwrap_or_else(PoisonError::into_inner);
        if shared.len() >= MAX_SHARED_FILES || shared.contains_key(&start) {
            return (data, false);
        }
        shared.insert(start, Shared { len: data.len(), file: file.clone() });
        COUNT.store(shared.len(), Ordering::Relaxed);
        drop(shared);
        (Bytes::from_owner(Owner { data, file }), true)
    }

    /// A file holding `data` that nothing writes again: an unnamed file in the
    /// temporary directory when its filesystem makes them (a disk filesystem keeps
    /// the pages in large folios, which `sendfile` walks faster than a memory file's
    /// small pages), else a memory file sealed against writes and resizing.
    fn kept_copy(data: &[u8]) -> std::io::Result<OwnedFd> {
        match unnamed_file(&std::env::temp_dir(), data) {
            Ok(fd) => Ok(fd),
            Err(_) => sealed_memory_file(data),
        }
    }

    /// An `O_TMPFILE` file in `dir`: it has no name, only this process can reach
    /// it, and it goes when its last descriptor closes.
    fn unnamed_file(dir: &std::path::Path, data: &[u8]) -> std::io::Result<OwnedFd> {
        let flags = OFlags::TMPFILE | OFlags::RDWR | OFlags::CLOEXEC;
        filled(rustix::fs::open(dir, flags, Mode::RUSR | Mode::WUSR)?, data)
    }

    fn sealed_memory_file(data: &[u8]) -> std::io::Result<OwnedFd> {
        let fd = rustix::fs::memfd_create("hewn-body", MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING)?;
        let fd = filled(fd, data)?;
        rustix::fs::fcntl_add_seals(&fd, SealFlags::WRITE | SealFlags::SHRINK | SealFlags::GROW | SealFlags::SEAL)?;
        Ok(fd)
    }

    /// The new, empty file `fd` with `data` written into it.
    fn filled(fd: OwnedFd, data: &[u8]) -> std::io::Result<OwnedFd> {
        let mut file = std::fs::File::from(fd);
        file.write_all(data)?;
        Ok(OwnedFd::from(file))
    }

    /// Bytes sent from kept files since the process started.
    pub fn shared_bytes_sent() -> u64 {
        SENT.load(Ordering::Relaxed)
    }

    /// The kept file holding `slice` and where in it `slice` starts.
    fn file_of(slice: &[u8]) -> Option<(Arc<OwnedFd>, u64)> {
        if slice.len() < MIN_LOOKUP_BYTES || COUNT.load(Ordering::Relaxed) == 0 {
            return None;
        }
        let at = slice.as_ptr() as usize;
        let shared = SHARED.read().unwrap_or_else(PoisonError::into_inner);
        let (start, body) = shared.range(..=at).next_back()?;
        let offset = at - start;
        (offset.checked_add(slice.len())? <= body.len).then(|| (body.file.clone(), offset as u64))
    }

    /// Writes `bufs` to `stream`, as `poll_write_vectored` does, except that a
    /// shared body goes from its kept file: the slices before it are written
    /// first (marked as more to come, so they leave with it), then the body is
    /// sent with `sendfile`. Like any write, it may write less than all.
    pub fn poll_write_vectored(
        stream: &mut TcpStream,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let found = bufs.iter().enumerate().find_map(|(i, b)| file_of(b).map(|(file, at)| (i, file, at, b.len())));
        let Some((index, file, offset, len)) = found else {
            return Pin::new(stream).poll_write_vectored(cx, bufs);
        };
        let before = bufs.get(..index).unwrap_or_default();
        loop {
            let shared = &*stream;
            std::task::ready!(shared.poll_write_ready(cx))?;
            let written = shared.try_io(Interest::WRITABLE, || {
                if index == 0 {
                    let mut at = offset;
                    rustix::fs::sendfile(shared, &*file, Some(&mut at), len).map_err(std::io::Error::from)
                } else {
                    let mut control = SendAncillaryBuffer::default();
                    let flags = SendFlags::MORE | SendFlags::NOSIGNAL;
                    rustix::net::sendmsg(shared, before, &mut control, flags).map_err(std::io::Error::from)
                }
            });
            match written {
                Ok(n) => {
                    if index == 0 {
                        SENT.fetch_add(n as u64, Ordering::Relaxed);
                    }
                    return Poll::Ready(Ok(n));
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                // A file `sendfile` cannot read from (an unusual filesystem): the body's
                // bytes are written from memory instead.
                Err(e) if index == 0 && cannot_send_from(&e) => {
                    tracing::debug!(error = %e, "sendfile refused a kept file; copying the body");
                    return Pin::new(stream).poll_write_vectored(cx, bufs.get(..1).unwrap_or_default());
                }
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }

    /// Whether `sendfile` failed because of the file rather than the socket.
    fn cannot_send_from(e: &std::io::Error) -> bool {
        use rustix::io::Errno;
        let code = e.raw_os_error();
        [Errno::INVAL, Errno::NOSYS, Errno::OPNOTSUPP, Errno::SPIPE]
            .iter()
            .any(|errno| code == Some(errno.raw_os_error()))
    }

    #[cfg(test)]
    #[allow(clippy::indexing_slicing, clippy::expect_used)]
    mod tests {
        use super::*;

        #[test]
        fn a_shared_body_is_found_by_any_slice_of_it_until_its_last_clone_goes() {
            let data = Bytes::from((0..100_000u32).map(|i| (i % 251) as u8).collect::<Vec<u8>>());
            let (body, shared) = shareable(data.clone());
            assert!(shared);
            assert_eq!(body, data);
            let Some((file, at)) = file_of(&body[100..30_000]) else { panic!("the body is not shared") };
            assert_eq!(at, 100);
            let mut copy = vec![0u8; 50];
            assert_eq!(rustix::io::pread(&*file, &mut copy, 100).ok(), Some(50));
            assert_eq!(copy, data[100..150]);
            assert!(file_of(&body[99_000..]).is_none(), "too short to be worth it");
            assert!(file_of(&data).is_some(), "the same bytes");
            let clone = body.slice(1_000..);
            drop(body);
            assert!(file_of(&clone).is_some());
            drop(clone);
            assert!(file_of(&data).is_none(), "the last clone of the shared body went");
        }

        #[test]
        fn both_kinds_of_kept_file_hold_the_body() {
            let data: Vec<u8> = (0..70_000u32).map(|i| (i % 253) as u8).collect();
            let holds_data = |fd: &OwnedFd| {
                let mut back = vec![0u8; data.len()];
                rustix::io::pread(fd, &mut back, 0).ok() == Some(data.len()) && back == data
            };
            let dir = tempfile::tempdir().expect("a temporary directory");
            match unnamed_file(dir.path(), &data) {
                Ok(fd) => {
                    assert!(holds_data(&fd));
                    assert_eq!(std::fs::read_dir(dir.path()).map(Iterator::count).ok(), Some(0), "it has no name");
                }
                // A filesystem without O_TMPFILE: kept_copy falls back to a memory file.
                Err(e) => {
                    let cannot = [rustix::io::Errno::OPNOTSUPP, rustix::io::Errno::ISDIR].map(|e| e.raw_os_error());
                    assert!(cannot.contains(&e.raw_os_error().unwrap_or(0)), "{e}");
                }
            }
            let sealed = sealed_memory_file(&data).expect("a memory file");
            assert!(holds_data(&sealed));
            assert!(rustix::io::pwrite(&sealed, b"x", 0).is_err(), "sealed against writes");
            assert!(holds_data(&kept_copy(&data).expect("a kept file of either kind")));
        }

        /// Writes `head` and `body` through [`poll_write_vectored`] to a loopback
        /// socket, as hyper writes a response, and returns what the peer read.
        async fn through_a_socket(head: &[u8], body: &Bytes) -> Vec<u8> {
            use tokio::io::AsyncReadExt;
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
            let address = listener.local_addr().expect("its address");
            let reader = tokio::spawn(async move {
                let (mut peer, _) = listener.accept().await.expect("a connection");
                let mut got = Vec::new();
                peer.read_to_end(&mut got).await.expect("the bytes");
                got
            });
            let mut stream = TcpStream::connect(address).await.expect("connected");
            stream.set_nodelay(true).expect("nodelay");
            let (mut head_at, mut body_at) = (0, 0);
            while body_at < body.len() {
                let bufs = [IoSlice::new(&head[head_at..]), IoSlice::new(&body[body_at..])];
                let bufs = if head_at < head.len() { &bufs[..] } else { &bufs[1..] };
                let n = std::future::poll_fn(|cx| poll_write_vectored(&mut stream, cx, bufs)).await.expect("written");
                let from_head = n.min(head.len() - head_at);
                head_at += from_head;
                body_at += n - from_head;
            }
            drop(stream);
            reader.await.expect("the reader")
        }

        #[tokio::test]
        async fn a_response_reads_the_same_from_its_kept_file_or_copied_when_the_file_cannot_be_sent() {
            let data = Bytes::from((0..300_000u32).map(|i| (i % 241) as u8).collect::<Vec<u8>>());
            let head = b"HTTP/1.1 200 OK\r\ncontent-length: 300000\r\n\r\n".to_vec();
            let mut whole = head.clone();
            whole.extend_from_slice(&data);

            let (kept, shared) = shareable(data.clone());
            let before = shared_bytes_sent();
            let sent = through_a_socket(&head, &kept).await;
            let from_file = shared_bytes_sent() - before;
            // A descriptor `sendfile` cannot read from (a UDP socket: EINVAL).
            let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("a UDP socket");
            let (refused, refused_shared) = share(Bytes::copy_from_slice(&data), OwnedFd::from(socket));
            let copied = through_a_socket(&head, &refused).await;

            assert!(shared && refused_shared);
            assert!(sent == whole, "the same bytes from the kept file");
            assert!(from_file >= 300_000, "{from_file} bytes from the file");
            assert!(copied == whole, "the same bytes, copied");
        }

        #[test]
        fn a_short_body_is_not_shared() {
            let (body, shared) = shareable(Bytes::from(vec![1u8; MIN_SHARED_BYTES - 1]));
            assert!(!shared);
            assert!(file_of(&body).is_none());
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod elsewhere {
    use std::io::IoSlice;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use axum::body::Bytes;
    use tokio::io::AsyncWrite;
    use tokio::net::TcpStream;

    pub fn shareable(data: Bytes) -> (Bytes, bool) {
        (data, false)
    }

    pub fn shared_bytes_sent() -> u64 {
        0
    }

    pub fn poll_write_vectored(
        stream: &mut TcpStream,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(stream).poll_write_vectored(cx, bufs)
    }
}
