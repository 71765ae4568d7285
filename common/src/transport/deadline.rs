//! Exchanges bounded by wall-clock time, not by bytes: a stream read or written through
//! [`Deadlined`] fails with `TimedOut` once its deadline has passed, however the peer paces its
//! bytes (a socket timeout bounds each read, so a peer sending one byte just inside it could hold
//! a frame open for days).

use std::io::{self, Read, Write};
use std::os::fd::AsFd;
use std::time::Instant;

use rustix::event::{poll, PollFd, PollFlags, Timespec};
use rustix::net::{RecvFlags, SendFlags};

use super::stream::Stream;

/// A stream whose reads and writes all end by `deadline`.
pub struct Deadlined<'a> {
    stream: &'a Stream,
    deadline: Instant,
}

impl Stream {
    /// Read and write this stream with every operation ending by `deadline`.
    pub fn until(&self, deadline: Instant) -> Deadlined<'_> {
        Deadlined { stream: self, deadline }
    }
}

/// The error of an exchange whose deadline passed.
pub fn timed_out() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "the deadline passed")
}

/// Wait until `fd` is ready for `flags`, or `deadline` (None: no limit) passes.
pub fn wait(fd: impl AsFd, flags: PollFlags, deadline: Option<Instant>) -> io::Result<()> {
    loop {
        let timeout = match deadline {
            None => None,
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(timed_out());
                }
                Some(Timespec { tv_sec: left.as_secs() as i64, tv_nsec: left.subsec_nanos() as _ })
            }
        };
        let mut fds = [PollFd::new(&fd, flags)];
        match poll(&mut fds, timeout.as_ref()) {
            Ok(0) => {} // the deadline, checked at the top
            // Readiness, a hang-up or an error: the read or write that follows tells which.
            Ok(_) => return Ok(()),
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
}

impl Read for Deadlined<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            wait(self.stream, PollFlags::IN, Some(self.deadline))?;
            match rustix::net::recv(self.stream, &mut *buf, RecvFlags::DONTWAIT) {
                Ok((n, _)) => return Ok(n),
                Err(rustix::io::Errno::AGAIN | rustix::io::Errno::INTR) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
}

impl Write for Deadlined<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        loop {
            wait(self.stream, PollFlags::OUT, Some(self.deadline))?;
            // NOSIGNAL: a peer that went away is an error to handle, not a SIGPIPE.
            match rustix::net::send(self.stream, buf, SendFlags::DONTWAIT | SendFlags::NOSIGNAL) {
                Ok(n) => return Ok(n),
                Err(rustix::io::Errno::AGAIN | rustix::io::Errno::INTR) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_dribbling_peer_is_cut_at_the_deadline() {
        let (c, s) = Stream::pair().unwrap();
        // One byte every 20 ms: each read would beat a 100 ms socket timeout, the whole does
        // not beat a 300 ms deadline.
        let writer = std::thread::spawn(move || {
            for _ in 0..100 {
                if (&c).write_all(b"x").is_err() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        let t0 = Instant::now();
        let err = s.until(t0 + Duration::from_millis(300)).read_exact(&mut [0u8; 100]).unwrap_err();
        let took = t0.elapsed();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(took >= Duration::from_millis(300) && took < Duration::from_secs(2), "{took:?}");
        s.shutdown();
        writer.join().unwrap();
    }

    #[test]
    fn a_peer_that_reads_nothing_cannot_hold_a_write() {
        let (c, _s) = Stream::pair().unwrap();
        let t0 = Instant::now();
        let big = vec![0u8; 64 << 20];
        let err = c.until(t0 + Duration::from_millis(200)).write_all(&big).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(t0.elapsed() < Duration::from_secs(2));
    }
}
