//! Nagle's algorithm off on the store's TCP connections to PostgreSQL.
//!
//! sqlx 0.9 leaves `TCP_NODELAY` unset on the sockets it opens and offers no hook to set
//! it; libpq (and so `psql`) sets it on every connection. Without it, a small write that
//! follows a large one waits for the server to acknowledge the large one's last segment,
//! and a server that has nothing to answer yet delays that acknowledgement by up to
//! 40 ms. A `COPY` is exactly that: its data, then `CopyDone` in a write of its own,
//! with the server silent until both have arrived. Measured on a 1M-row import (400
//! `COPY`s of up to about 1 MB): over TCP, 164 of them took 40 ms or more, 8.9 s in
//! all; over a Unix socket, none did, 3.1 s in all, and the import took 34 s instead of
//! 41–43 s.
//!
//! So each new connection asks the server which port it came from
//! (`inet_client_port()`, null over a Unix socket) and sets `TCP_NODELAY` on this
//! process's socket bound to that port, found among its open descriptors. Behind a proxy
//! or a NAT the port the server sees is not this process's, and nothing is found: the
//! connection then works as before, only slower. Linux only (`/proc/self/fd`); elsewhere
//! nothing is done.

#![allow(unsafe_code)]

use sqlx::PgConnection;

/// Turns Nagle's algorithm off on `conn`'s socket, if it is a TCP socket of this
/// process (see the module's documentation). Returns whether it did.
pub(super) async fn on(conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
    let port: Option<i32> = sqlx::query_scalar("select inet_client_port()")
        .fetch_one(&mut *conn)
        .await?;
    Ok(port
        .and_then(|p| u16::try_from(p).ok())
        .is_some_and(on_local_port))
}

/// Sets `TCP_NODELAY` on each TCP socket of this process bound to local `port`; returns
/// whether there was one.
#[cfg(target_os = "linux")]
fn on_local_port(port: u16) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc/self/fd") else {
        return false;
    };
    let mut found = false;
    for entry in entries.flatten() {
        let fd = entry.file_name().to_str().and_then(|n| n.parse().ok());
        if let Some(fd) = fd
            && local_port(fd) == Some(port)
        {
            found |= set_nodelay(fd);
        }
    }
    found
}

#[cfg(not(target_os = "linux"))]
fn on_local_port(_port: u16) -> bool {
    false
}

/// The local port of descriptor `fd` if it is an IPv4 or IPv6 socket.
///
/// Another thread may close `fd`, or close it and open another descriptor under its
/// number, meanwhile: `getsockname` then fails (`EBADF`) or describes that one. Neither
/// reads or writes memory other than the locals passed.
#[cfg(target_os = "linux")]
fn local_port(fd: libc::c_int) -> Option<u16> {
    // SAFETY: all-zero bytes are a valid `sockaddr_storage`.
    let mut addr: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = libc::socklen_t::try_from(std::mem::size_of_val(&addr)).ok()?;
    // SAFETY: `addr` is writable for `len` bytes, and `getsockname` writes at most that.
    let rc = unsafe {
        libc::getsockname(
            fd,
            std::ptr::from_mut(&mut addr).cast::<libc::sockaddr>(),
            &mut len,
        )
    };
    if rc != 0 {
        return None;
    }
    match libc::c_int::from(addr.ss_family) {
        libc::AF_INET => {
            // SAFETY: the family says `addr` holds a `sockaddr_in`, which it is large
            // and aligned enough for.
            let v4 = unsafe { &*std::ptr::from_ref(&addr).cast::<libc::sockaddr_in>() };
            Some(u16::from_be(v4.sin_port))
        }
        libc::AF_INET6 => {
            // SAFETY: as above, for `sockaddr_in6`.
            let v6 = unsafe { &*std::ptr::from_ref(&addr).cast::<libc::sockaddr_in6>() };
            Some(u16::from_be(v6.sin6_port))
        }
        _ => None,
    }
}

/// Whether this process's TCP socket bound to local `port` has Nagle's algorithm off
/// (`None`: no such socket, or not on Linux). For tests: see
/// [`super::testing::nodelay_of_local_port`].
#[cfg(any(test, feature = "conformance"))]
pub(crate) fn is_on_local_port(port: u16) -> Option<bool> {
    #[cfg(target_os = "linux")]
    {
        let entries = std::fs::read_dir("/proc/self/fd").ok()?;
        entries
            .flatten()
            .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse().ok()))
            .filter(|&fd| local_port(fd) == Some(port))
            .find_map(nodelay)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = port;
        None
    }
}

/// `TCP_NODELAY` of `fd`, if it is a TCP socket.
#[cfg(all(target_os = "linux", any(test, feature = "conformance")))]
fn nodelay(fd: libc::c_int) -> Option<bool> {
    let mut value: libc::c_int = 0;
    let mut len = libc::socklen_t::try_from(std::mem::size_of_val(&value)).ok()?;
    // SAFETY: `value` is writable for `len` bytes, and `getsockopt` writes at most that.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_NODELAY,
            std::ptr::from_mut(&mut value).cast::<libc::c_void>(),
            &mut len,
        )
    };
    (rc == 0).then_some(value != 0)
}

/// Sets `TCP_NODELAY` on `fd`; false if it is not a TCP socket (or is gone).
#[cfg(target_os = "linux")]
fn set_nodelay(fd: libc::c_int) -> bool {
    let on: libc::c_int = 1;
    let Ok(len) = libc::socklen_t::try_from(std::mem::size_of_val(&on)) else {
        return false;
    };
    // SAFETY: the option value is a readable `c_int` of `len` bytes.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_NODELAY,
            std::ptr::from_ref(&on).cast::<libc::c_void>(),
            len,
        )
    };
    rc == 0
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream};

    #[test]
    fn the_socket_bound_to_a_port_gets_nodelay_and_no_other_does() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
        let client = TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
        let other = TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
        let (server, _) = listener.accept().expect("accept");
        assert!(!client.nodelay().expect("nodelay"));
        let port = client.local_addr().expect("local").port();
        assert_eq!(is_on_local_port(port), Some(false));
        assert!(on_local_port(port));
        assert!(client.nodelay().expect("nodelay"));
        assert_eq!(is_on_local_port(port), Some(true));
        assert!(!other.nodelay().expect("nodelay"));
        assert!(!server.nodelay().expect("nodelay"));
        // A port no socket of this process is bound to: nothing found.
        let free = TcpListener::bind("127.0.0.1:0").expect("listen");
        let unused = free.local_addr().expect("addr").port();
        drop(free);
        assert!(!on_local_port(unused));
        assert_eq!(is_on_local_port(unused), None);
    }
}
