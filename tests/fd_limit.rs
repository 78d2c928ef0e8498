//! The runtime raises the soft limit on open files to the hard limit when it starts, unless
//! told not to. One test in a binary of its own: the limit is the whole process's.

use std::io;

fn nofile() -> libc::rlimit {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid, writable rlimit for the duration of the call.
    let rc = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
    assert_eq!(rc, 0);
    limit
}

fn set_soft(soft: u64) {
    let limit = libc::rlimit {
        rlim_cur: soft,
        rlim_max: nofile().rlim_max,
    };
    // SAFETY: `limit` is a valid rlimit that the call only reads.
    let rc = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) };
    assert_eq!(rc, 0, "setrlimit: {}", io::Error::last_os_error());
}

#[test]
fn the_soft_limit_on_open_files_is_raised_unless_turned_off() {
    let hard = nofile().rlim_max;
    let low = hard.min(256);
    if low == hard {
        eprintln!("the hard limit is {hard}: nothing to raise");
        return;
    }

    set_soft(low);
    let rt = runtime::Builder::new()
        .workers(1)
        .raise_fd_limit(false)
        .build()
        .unwrap();
    assert_eq!(nofile().rlim_cur, low, "left alone when turned off");
    drop(rt);

    let rt = runtime::Builder::new().workers(1).build().unwrap();
    assert_eq!(
        nofile().rlim_cur,
        hard,
        "raised to the hard limit by default"
    );
    drop(rt);
}
