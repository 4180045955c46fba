//! The part of librdkafka's C API (rdkafka.h, stable since 1.x) the
//! producer uses, loaded with dlopen when the looking glass starts: the
//! plugin does not link librdkafka, so VPP loads it (and serves DHCP)
//! whether librdkafka1 is installed or not, and `looking-glass` says so
//! when it is not.

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::sync::OnceLock;

pub type Kafka = c_void;
pub type Conf = c_void;
pub type Topic = c_void;

/// rd_kafka_message_t's leading fields (the delivery report reads them).
#[repr(C)]
pub struct Message {
    pub err: c_int,
    pub rkt: *mut Topic,
    pub partition: i32,
    pub payload: *mut c_void,
    pub len: usize,
    pub key: *mut c_void,
    pub key_len: usize,
    pub offset: i64,
    /// The `msg_opaque` given to rd_kafka_produce.
    pub opaque: *mut c_void,
}

pub const PRODUCER: c_int = 0;
pub const PARTITION_UA: i32 = -1;
pub const MSG_F_COPY: c_int = 0x2;
pub const CONF_OK: c_int = 0;
pub const ERR_QUEUE_FULL: c_int = -184;
pub const ERR_ALL_BROKERS_DOWN: c_int = -187;

pub type DeliveryCb = extern "C" fn(*mut Kafka, *const Message, *mut c_void);
pub type ErrorCb = extern "C" fn(*mut Kafka, c_int, *const c_char, *mut c_void);

/// The functions, as found in the library.
pub struct Api {
    pub conf_new: unsafe extern "C" fn() -> *mut Conf,
    pub conf_set:
        unsafe extern "C" fn(*mut Conf, *const c_char, *const c_char, *mut c_char, usize) -> c_int,
    pub conf_set_dr_msg_cb: unsafe extern "C" fn(*mut Conf, DeliveryCb),
    pub conf_set_error_cb: unsafe extern "C" fn(*mut Conf, ErrorCb),
    pub conf_set_opaque: unsafe extern "C" fn(*mut Conf, *mut c_void),
    pub conf_destroy: unsafe extern "C" fn(*mut Conf),
    pub new: unsafe extern "C" fn(c_int, *mut Conf, *mut c_char, usize) -> *mut Kafka,
    pub destroy: unsafe extern "C" fn(*mut Kafka),
    pub topic_new: unsafe extern "C" fn(*mut Kafka, *const c_char, *mut c_void) -> *mut Topic,
    pub topic_destroy: unsafe extern "C" fn(*mut Topic),
    #[allow(clippy::type_complexity)]
    pub produce: unsafe extern "C" fn(
        *mut Topic,
        i32,
        c_int,
        *mut c_void,
        usize,
        *const c_void,
        usize,
        *mut c_void,
    ) -> c_int,
    pub last_error: unsafe extern "C" fn() -> c_int,
    pub err2str: unsafe extern "C" fn(c_int) -> *const c_char,
    pub poll: unsafe extern "C" fn(*mut Kafka, c_int) -> c_int,
    pub flush: unsafe extern "C" fn(*mut Kafka, c_int) -> c_int,
}

/// The library's file name (Debian's librdkafka1).
const LIBRARY: &CStr = c"librdkafka.so.1";

/// librdkafka's functions, loaded once (or why they cannot be).
pub fn api() -> Result<&'static Api, String> {
    static API: OnceLock<Result<Api, String>> = OnceLock::new();
    API.get_or_init(load).as_ref().map_err(Clone::clone)
}

// Each symbol's type is the field it is stored in.
#[allow(clippy::missing_transmute_annotations)]
fn load() -> Result<Api, String> {
    // SAFETY: dlopen with a NUL-terminated name; the handle is kept for
    // the life of the process (never dlclosed), so the symbols stay valid.
    let handle = unsafe { libc::dlopen(LIBRARY.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
    if handle.is_null() {
        return Err(format!(
            "librdkafka is not installed ({}: {}); install the librdkafka1 package",
            LIBRARY.to_string_lossy(),
            dl_error()
        ));
    }
    macro_rules! symbol {
        ($name:literal) => {{
            let name = CString::new($name).expect("no NUL in a symbol name");
            // SAFETY: a valid handle and a NUL-terminated name.
            let p = unsafe { libc::dlsym(handle, name.as_ptr()) };
            if p.is_null() {
                return Err(format!("librdkafka has no {}: {}", $name, dl_error()));
            }
            // SAFETY: the symbol is the librdkafka function of that name,
            // whose C signature (rdkafka.h) the field's type spells.
            unsafe { std::mem::transmute::<*mut c_void, _>(p) }
        }};
    }
    Ok(Api {
        conf_new: symbol!("rd_kafka_conf_new"),
        conf_set: symbol!("rd_kafka_conf_set"),
        conf_set_dr_msg_cb: symbol!("rd_kafka_conf_set_dr_msg_cb"),
        conf_set_error_cb: symbol!("rd_kafka_conf_set_error_cb"),
        conf_set_opaque: symbol!("rd_kafka_conf_set_opaque"),
        conf_destroy: symbol!("rd_kafka_conf_destroy"),
        new: symbol!("rd_kafka_new"),
        destroy: symbol!("rd_kafka_destroy"),
        topic_new: symbol!("rd_kafka_topic_new"),
        topic_destroy: symbol!("rd_kafka_topic_destroy"),
        produce: symbol!("rd_kafka_produce"),
        last_error: symbol!("rd_kafka_last_error"),
        err2str: symbol!("rd_kafka_err2str"),
        poll: symbol!("rd_kafka_poll"),
        flush: symbol!("rd_kafka_flush"),
    })
}

fn dl_error() -> String {
    // SAFETY: dlerror returns NULL or a NUL-terminated message.
    let e = unsafe { libc::dlerror() };
    if e.is_null() {
        return "unknown error".into();
    }
    // SAFETY: non-NULL, NUL-terminated (above).
    unsafe { CStr::from_ptr(e) }.to_string_lossy().into_owned()
}

/// A librdkafka error code in words.
pub fn describe(api: &Api, err: c_int) -> String {
    // SAFETY: rd_kafka_err2str returns a static NUL-terminated string for
    // any code.
    let s = unsafe { (api.err2str)(err) };
    if s.is_null() {
        return format!("error {err}");
    }
    // SAFETY: non-NULL, NUL-terminated (above).
    unsafe { CStr::from_ptr(s) }.to_string_lossy().into_owned()
}
