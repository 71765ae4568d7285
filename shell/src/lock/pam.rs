//! Password checks through PAM (libpam), with a conversation that answers the password
//! prompt and nothing else.

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::ptr;

const PAM_SUCCESS: c_int = 0;
const PAM_BUF_ERR: c_int = 5;
const PAM_CONV_ERR: c_int = 19;
const PAM_PROMPT_ECHO_OFF: c_int = 1;
const PAM_ERROR_MSG: c_int = 3;
const PAM_TEXT_INFO: c_int = 4;

#[repr(C)]
struct PamMessage {
    msg_style: c_int,
    msg: *const c_char,
}

#[repr(C)]
struct PamResponse {
    resp: *mut c_char,
    resp_retcode: c_int,
}

type ConvFn = unsafe extern "C" fn(c_int, *mut *const PamMessage, *mut *mut PamResponse, *mut c_void) -> c_int;

#[repr(C)]
struct PamConv {
    conv: ConvFn,
    appdata_ptr: *mut c_void,
}

#[link(name = "pam")]
extern "C" {
    fn pam_start(service: *const c_char, user: *const c_char, conv: *const PamConv, pamh: *mut *mut c_void) -> c_int;
    fn pam_authenticate(pamh: *mut c_void, flags: c_int) -> c_int;
    fn pam_acct_mgmt(pamh: *mut c_void, flags: c_int) -> c_int;
    fn pam_end(pamh: *mut c_void, status: c_int) -> c_int;
    fn pam_strerror(pamh: *mut c_void, errnum: c_int) -> *const c_char;
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PamError {
    /// The password (or the account) was refused.
    #[error("{0}")]
    Refused(String),
    /// PAM itself could not run (bad service, missing module…).
    #[error("PAM: {0}")]
    Failed(String),
}

/// The answer the conversation gives, zeroed when dropped.
struct Secret(CString);

impl Drop for Secret {
    fn drop(&mut self) {
        let bytes = std::mem::take(&mut self.0).into_bytes_with_nul();
        let mut bytes = bytes;
        for b in bytes.iter_mut() {
            // SAFETY: writing a byte we own; volatile so the wipe is not optimised away.
            unsafe { ptr::write_volatile(b, 0) };
        }
    }
}

unsafe extern "C" fn conversation(
    n: c_int,
    msgs: *mut *const PamMessage,
    resp: *mut *mut PamResponse,
    appdata: *mut c_void,
) -> c_int {
    if n <= 0 || msgs.is_null() || resp.is_null() || appdata.is_null() {
        return PAM_CONV_ERR;
    }
    // SAFETY: appdata is the &Secret passed to pam_start, alive for the whole transaction.
    let secret = unsafe { &*(appdata as *const Secret) };
    // PAM frees the responses with free(), so they come from calloc/strdup.
    let out = unsafe { libc::calloc(n as usize, std::mem::size_of::<PamResponse>()) } as *mut PamResponse;
    if out.is_null() {
        return PAM_BUF_ERR;
    }
    for i in 0..n as usize {
        // SAFETY: Linux-PAM passes an array of n message pointers.
        let m = unsafe { &**msgs.add(i) };
        match m.msg_style {
            PAM_PROMPT_ECHO_OFF => {
                let copy = unsafe { libc::strdup(secret.0.as_ptr()) };
                if copy.is_null() {
                    free_responses(out, i);
                    return PAM_BUF_ERR;
                }
                unsafe { (*out.add(i)).resp = copy };
            }
            PAM_ERROR_MSG | PAM_TEXT_INFO => {
                if !m.msg.is_null() {
                    let text = unsafe { CStr::from_ptr(m.msg) }.to_string_lossy();
                    tracing::info!("PAM says: {text}");
                }
            }
            // A lock screen has one hidden field; anything else (an echoed prompt such as a
            // user name or an OTP) is not something it can answer.
            _ => {
                free_responses(out, i);
                return PAM_CONV_ERR;
            }
        }
    }
    unsafe { *resp = out };
    PAM_SUCCESS
}

fn free_responses(out: *mut PamResponse, filled: usize) {
    for j in 0..filled {
        // SAFETY: entries before `filled` were set by us (or are null from calloc).
        unsafe {
            let r = (*out.add(j)).resp;
            if !r.is_null() {
                libc::free(r as *mut c_void);
            }
        }
    }
    unsafe { libc::free(out as *mut c_void) };
}

fn strerror(pamh: *mut c_void, code: c_int) -> String {
    // SAFETY: pam_strerror returns a static string for any code.
    let p = unsafe { pam_strerror(pamh, code) };
    if p.is_null() {
        format!("error {code}")
    } else {
        unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
    }
}

/// Checks `password` for `user` with the PAM `service` (a file in /etc/pam.d): authentication,
/// then account validity. Blocks (pam_unix delays failures), so call it off the UI thread.
pub fn authenticate(service: &str, user: &str, password: &str) -> Result<(), PamError> {
    let c = |s: &str, what: &str| CString::new(s).map_err(|_| PamError::Failed(format!("{what} contains NUL")));
    let service = c(service, "service name")?;
    let user = c(user, "user name")?;
    let secret = Secret(CString::new(password).map_err(|_| PamError::Refused("Wrong password".into()))?);
    let conv = PamConv { conv: conversation, appdata_ptr: &secret as *const Secret as *mut c_void };
    let mut pamh: *mut c_void = ptr::null_mut();
    // SAFETY: all pointers are valid for the call; conv and secret outlive the transaction.
    let rc = unsafe { pam_start(service.as_ptr(), user.as_ptr(), &conv, &mut pamh) };
    if rc != PAM_SUCCESS {
        return Err(PamError::Failed(format!("pam_start: {}", strerror(pamh, rc))));
    }
    let mut rc = unsafe { pam_authenticate(pamh, 0) };
    let result = if rc != PAM_SUCCESS {
        Err(PamError::Refused(strerror(pamh, rc)))
    } else {
        rc = unsafe { pam_acct_mgmt(pamh, 0) };
        if rc == PAM_SUCCESS {
            Ok(())
        } else {
            Err(PamError::Refused(strerror(pamh, rc)))
        }
    };
    unsafe { pam_end(pamh, rc) };
    result
}

/// The name of the user running this process.
pub fn current_user() -> Option<String> {
    // SAFETY: getpwuid_r with a buffer we own.
    let uid = unsafe { libc::getuid() };
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut buf = vec![0 as c_char; 4096];
    let mut result: *mut libc::passwd = ptr::null_mut();
    let rc = unsafe { libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr(), buf.len(), &mut result) };
    if rc != 0 || result.is_null() || pwd.pw_name.is_null() {
        return None;
    }
    Some(unsafe { CStr::from_ptr(pwd.pw_name) }.to_string_lossy().into_owned())
}
