//! The lifecycle protocol's pace: how long a frame may take once begun. Every exchange reads and
//! writes through `canopy_common::transport::Deadlined`, bounded by wall-clock time, not bytes.

use std::time::Duration;

/// How long a frame may take to arrive once its first byte has (events, requests on an idle
/// connection); and how long a reply may take to be written.
pub const FRAME_TIME: Duration = Duration::from_secs(5);

#[cfg(test)]
mod tests {
    use super::*;
    use canopy_common::transport::Stream;
    use canopy_protocols::lifecycle::{encode, read_frame_bytes, write_frame, FrameError, Request};
    use std::io::{self, Write};
    use std::time::Instant;

    #[test]
    fn a_dribbled_frame_is_cut_at_the_deadline_and_a_prompt_one_is_read() {
        let (c, s) = Stream::pair().unwrap();

        write_frame(&mut c.until(Instant::now() + FRAME_TIME), &Request::ListVms).unwrap();
        assert!(read_frame_bytes(&mut s.until(Instant::now() + FRAME_TIME)).is_ok());

        // One byte every 20 ms; each read would beat a 100 ms socket timeout, the frame does not
        // beat a 300 ms deadline.
        let frame = encode(&Request::StopVm { vm: "x".repeat(100) }).unwrap();
        let writer = std::thread::spawn(move || {
            for b in frame {
                if (&c).write_all(&[b]).is_err() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        let t0 = Instant::now();
        let err = read_frame_bytes(&mut s.until(t0 + Duration::from_millis(300))).unwrap_err();
        let took = t0.elapsed();
        assert!(matches!(&err, FrameError::Io(e) if e.kind() == io::ErrorKind::TimedOut), "{err}");
        assert!(err.is_timeout());
        assert!(took >= Duration::from_millis(300) && took < Duration::from_secs(2), "{took:?}");
        s.shutdown();
        writer.join().unwrap();
    }
}
