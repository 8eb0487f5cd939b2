//! The handlers: protocol in, a pure query of `vault::features` or the analysis, protocol
//! out. `request` answers requests, `notification` takes the client's notifications (the
//! documents, the files, the settings, trust). Commands are in `commands`.

pub mod notification;
pub mod request;
