//! Taking data from a client through a pipe: never more than a limit, never for longer than a
//! deadline, and without blocking the compositor. The global clipboard and cross-VM drops both
//! read this way.

use std::cell::RefCell;
use std::io::{ErrorKind, Read};
use std::os::fd::{AsRawFd, OwnedFd};
use std::rc::Rc;
use std::time::Duration;

use smithay::reexports::calloop::generic::Generic;
use smithay::reexports::calloop::timer::{TimeoutAction, Timer};
use smithay::reexports::calloop::{Interest, Mode, PostAction};
use smithay::reexports::rustix::pipe::{pipe_with, PipeFlags};

use crate::state::{Canopy, State};

/// What came out of a pipe.
#[derive(Debug)]
pub enum Received {
    Data(Vec<u8>),
    /// More than the limit arrived; reading stopped there.
    TooBig,
    /// The writer neither finished nor closed its end in time.
    TimedOut,
    Failed,
}

type Done = Box<dyn FnOnce(&mut State, Received)>;

/// A pipe whose write end goes to a client: blocking for the writer (a client may write a large
/// payload with one call), non-blocking for the compositor's read end.
pub fn client_pipe() -> Option<(OwnedFd, OwnedFd)> {
    let (read, write) = pipe_with(PipeFlags::CLOEXEC).ok()?;
    // Safety: plain fcntl calls on a descriptor this function owns.
    unsafe {
        let fd = read.as_raw_fd();
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags < 0 || libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) < 0 {
            return None;
        }
    }
    Some((read, write))
}

impl Canopy {
    /// Read `read` to its end on the event loop, then call `done` once with what arrived.
    pub fn read_bounded(
        &self,
        read: OwnedFd,
        limit: usize,
        timeout: Duration,
        done: impl FnOnce(&mut State, Received) + 'static,
    ) {
        let done: Rc<RefCell<Option<Done>>> = Rc::new(RefCell::new(Some(Box::new(done))));
        let finish = |done: &Rc<RefCell<Option<Done>>>, state: &mut State, r: Received| {
            let f = done.borrow_mut().take();
            if let Some(f) = f {
                f(state, r);
            }
        };
        let mut buf = Vec::new();
        let on_read = done.clone();
        let file = std::fs::File::from(read);
        let token =
            self.loop_handle.insert_source(Generic::new(file, Interest::READ, Mode::Level), move |_, file, state| {
                let mut chunk = [0u8; 16 * 1024];
                loop {
                    // Safety: the file is not replaced while the source lives.
                    match unsafe { file.get_mut() }.read(&mut chunk) {
                        Ok(0) => {
                            finish(&on_read, state, Received::Data(std::mem::take(&mut buf)));
                            return Ok(PostAction::Remove);
                        }
                        Ok(n) => {
                            buf.extend_from_slice(&chunk[..n]);
                            if buf.len() > limit {
                                finish(&on_read, state, Received::TooBig);
                                return Ok(PostAction::Remove);
                            }
                        }
                        Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(PostAction::Continue),
                        Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                        Err(_) => {
                            finish(&on_read, state, Received::Failed);
                            return Ok(PostAction::Remove);
                        }
                    }
                }
            });
        let Ok(token) = token else {
            let f = done.borrow_mut().take();
            if let Some(f) = f {
                self.loop_handle.insert_idle(move |state| f(state, Received::Failed));
            }
            return;
        };
        let _ = self.loop_handle.insert_source(Timer::from_duration(timeout), move |_, _, state| {
            if done.borrow().is_some() {
                state.canopy.loop_handle.remove(token);
                finish(&done, state, Received::TimedOut);
            }
            TimeoutAction::Drop
        });
    }
}

/// Hand `data` to a client through `fd` on a thread of its own, so a client that reads slowly
/// (or never) cannot stall the compositor.
pub fn write_in_background(fd: OwnedFd, data: std::sync::Arc<Vec<u8>>, mime: String) {
    std::thread::spawn(move || {
        let mut f = std::fs::File::from(fd);
        if let Err(e) = std::io::Write::write_all(&mut f, &data) {
            tracing::warn!(mime, "transfer to a client: {e}");
        }
    });
}
