//! Binding the listening socket and HTTP/3's UDP socket: backlog, address reuse,
//! SO_REUSEPORT so several share one port; or taking over those a supervisor bound.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

use socket2::{Domain, Protocol, Socket, Type};

pub fn resolve(host: &str, port: u16) -> io::Result<SocketAddr> {
    (host, port).to_socket_addrs()?.next().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{host} does not resolve"),
        )
    })
}

pub fn bind(addr: SocketAddr, backlog: i32, reuse_port: bool) -> io::Result<std::net::TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    if reuse_port {
        socket.set_reuse_port(true)?;
    }
    if addr.is_ipv6() {
        socket.set_only_v6(false).ok();
    }
    socket.set_tcp_nodelay(true)?;
    socket
        .bind(&addr.into())
        .map_err(|err| describe(err, addr))?;
    socket.listen(backlog)?;
    socket.set_nonblocking(true)?;
    Ok(socket.into())
}

/// A listening socket bound by another process (a supervisor), taken over: this
/// process closes it when done.
pub fn inherit(fd: i32) -> io::Result<std::net::TcpListener> {
    use std::os::fd::FromRawFd;
    // SAFETY: the descriptor was handed to this process for this server alone; a
    // descriptor that is not a listening TCP socket fails below, not later.
    let listener = unsafe { std::net::TcpListener::from_raw_fd(fd) };
    let socket = socket2::SockRef::from(&listener);
    if socket.r#type()? != Type::STREAM || !socket.is_listener()? {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("descriptor {fd} is not a listening TCP socket"),
        ));
    }
    listener.set_nonblocking(true)?;
    Ok(listener)
}

/// The UDP socket of HTTP/3 bound by a supervisor, taken over as [`inherit`] does.
pub fn inherit_udp(fd: i32) -> io::Result<std::net::UdpSocket> {
    use std::os::fd::FromRawFd;
    // SAFETY: as in `inherit`.
    let socket = unsafe { std::net::UdpSocket::from_raw_fd(fd) };
    if socket2::SockRef::from(&socket).r#type()? != Type::DGRAM {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("descriptor {fd} is not a UDP socket"),
        ));
    }
    socket.set_nonblocking(true)?;
    Ok(socket)
}

fn describe(err: io::Error, addr: SocketAddr) -> io::Error {
    let what = match err.kind() {
        io::ErrorKind::AddrInUse => format!("{addr} is already in use"),
        io::ErrorKind::AddrNotAvailable => format!("{addr} is not an address of this machine"),
        io::ErrorKind::PermissionDenied => format!("no permission to listen on {addr}"),
        _ => format!("cannot listen on {addr}: {err}"),
    };
    io::Error::new(err.kind(), what)
}

/// The UDP socket for QUIC on the TCP listener's address.
pub fn bind_udp(addr: SocketAddr, reuse_port: bool) -> io::Result<std::net::UdpSocket> {
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    if reuse_port {
        socket.set_reuse_port(true)?;
    }
    if addr.is_ipv6() {
        socket.set_only_v6(false).ok();
    }
    socket
        .bind(&addr.into())
        .map_err(|err| describe(err, addr))?;
    socket.set_nonblocking(true)?;
    Ok(socket.into())
}
