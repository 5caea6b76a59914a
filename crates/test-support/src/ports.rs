//! Free loopback ports for the servers a test starts itself.
//!
//! Binding port 0 and releasing it hands back a port from the kernel's
//! ephemeral range, the range every outgoing connection takes its source
//! port from: between the release and the server's own bind, a NATS route
//! dial or any other test's connection may take it, and the server then
//! fails with "address already in use". The ports here come from below that
//! range (read from `/proc/sys/net/ipv4/ip_local_port_range`), where no
//! outgoing connection lands, each checked free by binding it and handed out
//! once per process.

use std::{
    net::TcpListener,
    sync::atomic::{AtomicU32, Ordering},
};

/// The lowest port handed out: above the ports `.env.example` and the
/// scripts fix for the dev and test stacks.
const FIRST: u16 = 29_000;

/// The kernel's lowest ephemeral port, 32768 when it cannot be read.
fn ephemeral_low() -> u16 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse().ok())
        .unwrap_or(32_768)
}

/// Where this process starts looking: spread by process id so two test
/// processes running at once start far apart.
fn next_offset() -> u32 {
    static NEXT: AtomicU32 = AtomicU32::new(u32::MAX);
    let seed = std::process::id().wrapping_mul(2_654_435_761) % 4_096;
    let _ = NEXT.compare_exchange(u32::MAX, seed, Ordering::Relaxed, Ordering::Relaxed);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// A loopback TCP port nothing listens on now, that no outgoing connection
/// will take as its source port and that this process has not handed out
/// before.
///
/// # Panics
/// When no port below the ephemeral range is free.
pub fn free_port() -> u16 {
    let low = ephemeral_low();
    if low <= FIRST + 64 {
        // No room below the ephemeral range: the kernel's choice.
        return TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
    }
    let span = u32::from(low - FIRST);
    for _ in 0..span {
        let port = FIRST + u16::try_from(next_offset() % span).expect("below the range");
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free loopback port in {FIRST}..{low}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_below_the_ephemeral_range_free_and_never_handed_out_twice() {
        let low = ephemeral_low();
        let ports: Vec<u16> = (0..200).map(|_| free_port()).collect();
        let distinct: std::collections::HashSet<_> = ports.iter().collect();
        assert_eq!(distinct.len(), ports.len(), "a port handed out twice");
        for &port in &ports {
            assert!(
                (FIRST..low).contains(&port),
                "{port} outside {FIRST}..{low}"
            );
        }
        let held = TcpListener::bind(("127.0.0.1", ports[0])).expect("the port is free");
        drop(held);
    }
}
