//! Steering a `SO_REUSEPORT` group with BPF, so that a sharded server can stop accepting
//! without losing connections.
//!
//! Listeners bound to one port with `SO_REUSEPORT` form a group in the kernel, which routes
//! each new connection (its SYN) to one of them; the handshake then completes into that
//! listener's accept queue. Closing a listener resets every connection still in its queue, and
//! a handshake that completes after its listener closed is reset too: a client whose `connect`
//! succeeded reads `ECONNRESET`. Draining a listener (accepting until its queue is empty) and
//! then closing it cannot help while the kernel keeps routing new connections to it: one may
//! complete between the last accept and the close.
//!
//! A program attached to the group (to any of its sockets) decides where new connections go:
//!
//! - [`TcpListener::refuse_new_connections`] attaches an eBPF program of type
//!   `BPF_PROG_TYPE_SK_REUSEPORT` that answers `SK_DROP` to every connection: the kernel refuses
//!   them (the client's `connect` fails with `ECONNREFUSED`, no handshake completes), so once the
//!   handshakes already under way have completed, the queues only shrink, and every listener
//!   can be drained and closed with no loss. Loading an eBPF program needs `CAP_BPF` (or
//!   `CAP_SYS_ADMIN`): without it, `EPERM`.
//! - [`TcpListener::steer_new_connections_to_first`] attaches a classic BPF program that returns
//!   the constant 0, an index into the group: every new connection goes to the group's first
//!   socket (the first to listen, for as long as it stays open: the kernel fills a closed
//!   socket's place with the group's last one). Every other listener can then be drained and
//!   closed with no loss, and the first one is drained and closed last; a handshake completing
//!   between its last accept and its close is still reset. Any user may attach it.
//!
//! A program stays attached for as long as the group exists, and the group holds every socket
//! of the same user bound to the port: a process that binds the port meanwhile (a new instance
//! started before the old one finished draining) joins the group and is refused, or starved,
//! with it.
//!
//! The system calls are made through `libc`, as no socket crate wraps these options.

use std::io;
use std::mem::size_of;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use super::TcpListener;

/// `bpf(2)` command that loads a program.
const BPF_PROG_LOAD: libc::c_long = 5;
/// The program type a `SO_REUSEPORT` group runs to pick a socket.
const BPF_PROG_TYPE_SK_REUSEPORT: u32 = 21;
/// What an `SK_REUSEPORT` program returns to drop the packet: the connection is refused.
const SK_DROP: i32 = 0;
/// eBPF opcodes: `r0 = imm` is a 64-bit ALU move of an immediate, `exit` a jump-class exit.
const BPF_ALU64_MOV_K: u8 = 0x07 | 0xb0;
const BPF_JMP_EXIT: u8 = 0x05 | 0x90;

/// One eBPF instruction (`struct bpf_insn`): opcode, destination and source registers in one
/// byte, offset, immediate.
#[repr(C)]
struct Insn {
    code: u8,
    regs: u8,
    off: i16,
    imm: i32,
}

/// The leading fields of `union bpf_attr` that `BPF_PROG_LOAD` reads, through `prog_flags`
/// so that the struct has no padding: the kernel rejects nonzero bytes in fields it knows.
#[repr(C)]
struct ProgLoadAttr {
    prog_type: u32,
    insn_cnt: u32,
    insns: u64,
    license: u64,
    log_level: u32,
    log_size: u32,
    log_buf: u64,
    kern_version: u32,
    prog_flags: u32,
}

impl TcpListener {
    /// Makes the kernel refuse every new connection to this listener's `SO_REUSEPORT` group
    /// (this listener and every other socket bound to the port with `SO_REUSEPORT`), while the
    /// connections already queued stay there to be accepted. A refused client's `connect`
    /// fails with `ConnectionRefused`.
    ///
    /// This is how to stop accepting without resetting connections: closing a listener resets
    /// the connections in its accept queue, so a listener the kernel still routes connections
    /// to can never be closed safely. Once new connections are refused and the handshakes
    /// already under way have completed (a round trip), every listener of the group can be
    /// drained with [`try_accept`](TcpListener::try_accept) and closed with no loss.
    ///
    /// Loads a two-instruction eBPF program (`BPF_PROG_TYPE_SK_REUSEPORT`, returning
    /// `SK_DROP`), which needs `CAP_BPF` or `CAP_SYS_ADMIN`: without them this fails with
    /// `PermissionDenied`, and [`steer_new_connections_to_first`] is the unprivileged
    /// alternative. The program stays attached for as long as the group exists.
    ///
    /// [`steer_new_connections_to_first`]: TcpListener::steer_new_connections_to_first
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// use std::io::ErrorKind;
    /// use runtime::net::{ListenOptions, TcpStream};
    ///
    /// let listener = ListenOptions::new().reuse_port(true).bind("127.0.0.1:0")?;
    /// let addr = listener.local_addr()?;
    /// match listener.refuse_new_connections() {
    ///     Ok(()) => {
    ///         let refused = TcpStream::connect(addr).await.unwrap_err();
    ///         assert_eq!(refused.kind(), ErrorKind::ConnectionRefused);
    ///     }
    ///     // Without the privilege, steer instead.
    ///     Err(e) if e.kind() == ErrorKind::PermissionDenied => {
    ///         listener.steer_new_connections_to_first()?
    ///     }
    ///     Err(e) => return Err(e),
    /// }
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn refuse_new_connections(&self) -> io::Result<()> {
        let program = load_sk_drop()?;
        set_socket_option(
            self.as_raw_fd(),
            libc::SO_ATTACH_REUSEPORT_EBPF,
            &program.as_raw_fd(),
        )
        // The group holds its own reference to the program: `program` may close.
    }

    /// Makes the kernel send every new connection to this listener's `SO_REUSEPORT` group to
    /// the group's first socket: the first of them to listen, for as long as it stays open.
    /// Every other listener of the group then only drains, and can be closed without
    /// resetting a connection once its queue is empty; the first one, closed last, may still
    /// reset a connection whose handshake completes between its last accept and its close.
    ///
    /// Attaches a one-instruction classic BPF program (`SO_ATTACH_REUSEPORT_CBPF`), which any
    /// user may do. It stays attached for as long as the group exists.
    ///
    /// ```
    /// # runtime::Runtime::new()?.block_on(async {
    /// use runtime::net::{ListenOptions, TcpStream};
    ///
    /// let options = ListenOptions::new().reuse_port(true);
    /// let first = options.bind("127.0.0.1:0")?;
    /// let addr = first.local_addr()?;
    /// let second = options.bind(addr)?;
    /// second.steer_new_connections_to_first()?;
    /// for _ in 0..8 {
    ///     let _client = TcpStream::connect(addr).await?;
    ///     first.accept().await?;
    /// }
    /// // None went to `second`.
    /// assert!(second.try_accept().is_err());
    /// # std::io::Result::Ok(())
    /// # })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn steer_new_connections_to_first(&self) -> io::Result<()> {
        let mut code = [libc::sock_filter {
            code: (libc::BPF_RET | libc::BPF_K) as u16,
            jt: 0,
            jf: 0,
            k: 0,
        }];
        let program = libc::sock_fprog {
            len: code.len() as u16,
            filter: code.as_mut_ptr(),
        };
        set_socket_option(self.as_raw_fd(), libc::SO_ATTACH_REUSEPORT_CBPF, &program)
    }
}

/// Loads the eBPF program `r0 = SK_DROP; exit` as an `SK_REUSEPORT` program.
fn load_sk_drop() -> io::Result<OwnedFd> {
    let insns = [
        Insn {
            code: BPF_ALU64_MOV_K,
            regs: 0, // r0
            off: 0,
            imm: SK_DROP,
        },
        Insn {
            code: BPF_JMP_EXIT,
            regs: 0,
            off: 0,
            imm: 0,
        },
    ];
    let license = c"MIT OR Apache-2.0";
    let attr = ProgLoadAttr {
        prog_type: BPF_PROG_TYPE_SK_REUSEPORT,
        insn_cnt: insns.len() as u32,
        insns: insns.as_ptr() as u64,
        license: license.as_ptr() as u64,
        log_level: 0,
        log_size: 0,
        log_buf: 0,
        kern_version: 0,
        prog_flags: 0,
    };
    // SAFETY: `attr` is a fully initialised `bpf_attr` prefix of the size passed, and the
    // instructions and the NUL-terminated license it points to outlive the call; the kernel
    // only reads them.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            BPF_PROG_LOAD,
            &attr as *const ProgLoadAttr,
            size_of::<ProgLoadAttr>(),
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a successful `BPF_PROG_LOAD` returns a new file descriptor (a `RawFd`, so the
    // conversion is lossless) that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

/// `setsockopt(fd, SOL_SOCKET, name, value)`.
fn set_socket_option<T>(fd: RawFd, name: libc::c_int, value: &T) -> io::Result<()> {
    // SAFETY: `value` points to a live `T` of the size passed, which the kernel only reads
    // during the call; a bad `fd` is reported as an error, not undefined behaviour.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            name,
            (value as *const T).cast(),
            size_of::<T>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}
