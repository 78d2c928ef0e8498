//! An axum application on this runtime: a small JSON API of notes, served natively by
//! `runtime::hyper::serve` (HTTP/1.1 and HTTP/2 on every loop's `SO_REUSEPORT` listener; no
//! tokio listener), with gzip compression from tower-http.
//!
//! `cargo run --release --example axum_app -- 127.0.0.1:3000`, then:
//!
//! ```text
//! curl http://127.0.0.1:3000/                                   # axum on runtime
//! curl -X POST -H 'content-type: application/json' \
//!      -d '{"text":"buy milk"}' http://127.0.0.1:3000/notes     # {"id":1,"text":"buy milk"}
//! curl http://127.0.0.1:3000/notes/1                            # {"id":1,"text":"buy milk"}
//! curl 'http://127.0.0.1:3000/notes?contains=milk&limit=10'     # [{"id":1,...}]
//! curl -i http://127.0.0.1:3000/notes/7                         # 404
//! curl 'http://127.0.0.1:3000/slow?ms=500'                      # answers after 500 ms
//! ```
//!
//! Ctrl-C (or SIGTERM) drains it: idle keep-alive connections close at once, requests in
//! flight are answered (for up to `SHUTDOWN_GRACE_SECS`, 10), HTTP/2 clients get `GOAWAY`.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use parking_lot::RwLock;
use serde::{Deserialize, Serialize};
use tower_http::compression::CompressionLayer;

/// The notes, shared by every connection on every loop.
#[derive(Default)]
struct Notes {
    next_id: u64,
    by_id: BTreeMap<u64, Note>,
}

type Shared = Arc<RwLock<Notes>>;

#[derive(Clone, Serialize)]
struct Note {
    id: u64,
    text: String,
}

#[derive(Deserialize)]
struct NewNote {
    text: String,
}

#[derive(Deserialize)]
struct Search {
    contains: Option<String>,
    limit: Option<usize>,
}

#[derive(Deserialize)]
struct Slow {
    ms: u64,
}

/// The application's routes over `notes`.
fn app(notes: Shared) -> Router {
    Router::new()
        .route("/", get(|| async { "axum on runtime" }))
        .route("/notes", get(list).post(create))
        .route("/notes/{id}", get(read))
        .route("/slow", get(slow))
        .fallback(|| async { (StatusCode::NOT_FOUND, "no such route") })
        .layer(CompressionLayer::new())
        .with_state(notes)
}

async fn create(State(notes): State<Shared>, Json(new): Json<NewNote>) -> (StatusCode, Json<Note>) {
    let mut notes = notes.write();
    notes.next_id += 1;
    let note = Note {
        id: notes.next_id,
        text: new.text,
    };
    notes.by_id.insert(note.id, note.clone());
    (StatusCode::CREATED, Json(note))
}

async fn read(State(notes): State<Shared>, Path(id): Path<u64>) -> Result<Json<Note>, StatusCode> {
    notes
        .read()
        .by_id
        .get(&id)
        .cloned()
        .map(Json)
        .ok_or(StatusCode::NOT_FOUND)
}

async fn list(State(notes): State<Shared>, Query(search): Query<Search>) -> Json<Vec<Note>> {
    let notes = notes.read();
    let matching = notes
        .by_id
        .values()
        .filter(|note| {
            search
                .contains
                .as_ref()
                .is_none_or(|s| note.text.contains(s))
        })
        .take(search.limit.unwrap_or(100))
        .cloned()
        .collect();
    Json(matching)
}

/// Answers after `ms` milliseconds, on the loop's timers: a request that is in flight for a
/// while, as during a shutdown.
async fn slow(Query(slow): Query<Slow>) -> String {
    runtime::time::sleep(Duration::from_millis(slow.ms.min(60_000))).await;
    format!("slept {} ms", slow.ms)
}

#[runtime::main]
async fn main() -> std::io::Result<()> {
    let addr = support::listen_addr("127.0.0.1:3000");
    let server = runtime::hyper::serve(addr, app(Shared::default()))?;
    support::report_metrics();
    let banner = format!("axum_app listening on {}", server.local_addr());
    support::serve_until_signal(server, banner).await
}
