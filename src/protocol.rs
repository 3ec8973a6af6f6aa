//! The push protocol between the hub and its builders: one WebSocket per builder (`/kojihub/builder`, on the
//! hub's HTTP(S) port, authenticated with the host's Koji session headers), binary frames of these types
//! encoded with postcard.
//!
//! Versioning: the first frame each way is `Hello`/`Welcome`, variant 0 with the version as its first field,
//! and that never changes. A builder speaking another version gets `Error` and the connection is closed, so an
//! old builder fails with a clear message instead of misreading frames. Results, uploads and subtasks still
//! go through the XML-RPC `host.*` calls, exactly as with Koji's kojid.

use serde::{Deserialize, Serialize};

/// 2: `Hello` lists the tasks the builder already runs, so a reconnecting builder learns which were taken away.
pub const PROTOCOL_VERSION: u32 = 2;
pub const PATH: &str = "/kojihub/builder";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FromBuilder {
    Hello {
        version: u32,
        heartbeat: Heartbeat,
        /// Tasks the builder is running already (after a reconnect); the hub cancels those it no longer owns.
        running: Vec<i32>,
    },
    Heartbeat(Heartbeat),
    /// Takes an offered task (Koji's `openTask`).
    Accept {
        task: i32,
    },
    /// Declines an offered or running task (Koji's `refuseTask`): a hard refusal holds for the task's life.
    Refuse {
        task: i32,
        soft: bool,
        reason: String,
    },
    /// Free-form progress of a running task (log tail, phase).
    Progress {
        task: i32,
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Heartbeat {
    /// Σ weight of the builder's running tasks.
    pub load: f64,
    pub ready: bool,
    pub maxjobs: u32,
    pub free_mem_mb: Option<u64>,
    pub free_disk_mb: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FromHub {
    Welcome {
        version: u32,
        host_id: i32,
        heartbeat_secs: u32,
    },
    /// A task placed on this builder; `request` is the XML-RPC call document Koji stores.
    Offer(TaskOffer),
    /// The task is now OPEN for this builder.
    Opened {
        task: i32,
    },
    /// The task is no longer this builder's (canceled, reassigned, or an Accept lost a race).
    Cancel {
        task: i32,
    },
    /// A child this waiting parent awaits has finished: call `host.taskWait`.
    Wake {
        task: i32,
    },
    Error {
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskOffer {
    pub id: i32,
    pub method: String,
    pub arch: String,
    pub priority: i32,
    pub weight: f64,
    pub parent: Option<i32>,
    pub request: String,
}

pub fn encode<T: Serialize>(frame: &T) -> Vec<u8> {
    postcard::to_allocvec(frame).expect("protocol frames always serialize")
}

pub fn decode<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, postcard::Error> {
    postcard::from_bytes(bytes)
}

/// The version of a `Hello` of any protocol version (variant 0, then the version as a varint), read before
/// the rest, whose layout may differ between versions. `None` if the frame is not a `Hello`.
pub fn hello_version(bytes: &[u8]) -> Option<u32> {
    #[derive(Deserialize)]
    enum Head {
        Hello { version: u32 },
    }
    match postcard::take_from_bytes::<Head>(bytes) {
        Ok((Head::Hello { version }, _)) => Some(version),
        Err(_) => None,
    }
}

/// What the hub side asks a connected builder's session to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, actix::Message)]
#[rtype(result = "()")]
pub enum ToBuilder {
    Offer(i32),
    Cancel(i32),
    Wake(i32),
}

impl ToBuilder {
    /// The `koji_builder` notification payload: `<host>:<kind>:<task>`.
    pub fn to_notification(self, host: i32) -> String {
        let (kind, task) = match self {
            ToBuilder::Offer(t) => ("offer", t),
            ToBuilder::Cancel(t) => ("cancel", t),
            ToBuilder::Wake(t) => ("wake", t),
        };
        format!("{host}:{kind}:{task}")
    }

    pub fn from_notification(payload: &str) -> Option<(i32, ToBuilder)> {
        let mut parts = payload.split(':');
        let host = parts.next()?.parse().ok()?;
        let kind = parts.next()?;
        let task = parts.next()?.parse().ok()?;
        let msg = match kind {
            "offer" => ToBuilder::Offer(task),
            "cancel" => ToBuilder::Cancel(task),
            "wake" => ToBuilder::Wake(task),
            _ => return None,
        };
        Some((host, msg))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip() {
        let hello = FromBuilder::Hello {
            version: PROTOCOL_VERSION,
            heartbeat: Heartbeat { load: 1.5, ready: true, maxjobs: 10, free_mem_mb: Some(1024), free_disk_mb: None },
            running: vec![3, 4],
        };
        assert_eq!(decode::<FromBuilder>(&encode(&hello)).unwrap(), hello);
        let offer = FromHub::Offer(TaskOffer {
            id: 7,
            method: "buildArch".into(),
            arch: "x86_64".into(),
            priority: 19,
            weight: 1.5,
            parent: Some(6),
            request: "<?xml version='1.0'?>".into(),
        });
        assert_eq!(decode::<FromHub>(&encode(&offer)).unwrap(), offer);
        assert!(decode::<FromBuilder>(&[0xff, 0xff, 0xff]).is_err());
    }

    #[test]
    fn the_version_is_readable_from_any_hello() {
        // Variant 0, version first: a hub can read the version of any builder's Hello.
        let bytes = encode(&FromBuilder::Hello {
            version: 99,
            heartbeat: Heartbeat { load: 0.0, ready: false, maxjobs: 1, free_mem_mb: None, free_disk_mb: None },
            running: vec![],
        });
        assert_eq!(bytes[0], 0);
        assert_eq!(bytes[1], 99);
        assert_eq!(hello_version(&bytes), Some(99));
        // A version-1 Hello (no task list) still shows its version; other frames show none.
        assert_eq!(hello_version(&[0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), Some(1));
        assert_eq!(hello_version(&encode(&FromBuilder::Accept { task: 1 })), None);
    }

    #[test]
    fn notifications_round_trip() {
        for m in [ToBuilder::Offer(5), ToBuilder::Cancel(6), ToBuilder::Wake(7)] {
            assert_eq!(ToBuilder::from_notification(&m.to_notification(3)), Some((3, m)));
        }
        assert_eq!(ToBuilder::from_notification("x:offer:1"), None);
    }
}
