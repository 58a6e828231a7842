//! `pole lsp`: a Language Server Protocol server over stdio (on
//! `lsp-server` and `lsp-types`, as rust-analyzer does).
//!
//! One loop ([`Server::run`]) takes a message at a time: notifications
//! change the document store and publish diagnostics; requests go to one
//! handler each ([`handlers`]), which analyses the current text afresh
//! with the compiler's own front end ([`analysis`]) under the memory
//! budget. Running out of memory is a diagnostic on the document; a
//! handler that panics answers with an error, and the server goes on.
//!
//! A document with a `file:` URI is the root of a program (§12): the files
//! it imports are found and loaded as `pole check` does
//! ([`crate::driver::modules`]), each read from its open buffer if the
//! editor has it open, else from disk. A change to a document re-checks
//! the open documents that import it.

pub mod analysis;
pub mod cross_file;
pub mod generic_hover;
pub mod handlers;
pub mod layout_hover;
pub mod rename;
pub mod semantic_tokens;
pub mod text;
pub mod transport;
pub mod type_hover;
pub mod typing_completion;

use crate::driver::modules::{self, Buffers, Graph};
use crate::memory::Memory;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, DidSaveTextDocument,
    Notification as _, PublishDiagnostics,
};
use lsp_types::request::{
    Completion, DocumentSymbolRequest, Formatting, GotoDefinition, HoverRequest, References,
    Rename, Request as _, SemanticTokensFullRequest,
};
use lsp_types::*;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use text::LineIndex;

/// An open document.
pub struct Document {
    pub uri: Uri,
    pub version: i32,
    pub text: String,
    pub index: LineIndex,
    /// The diagnostics last published.
    pub diagnostics: Vec<Diagnostic>,
    /// The other files its program reached when it was last checked
    /// (canonical paths).
    pub deps: Vec<PathBuf>,
    /// Its last text without syntax errors, for completing a line that
    /// does not parse yet ([`typing_completion`]).
    pub good: Option<String>,
}

/// The codes of the diagnostics that mean a text does not parse.
const SYNTAX_CODES: &[&str] = &[
    "expected-token",
    "unterminated-string",
    "invalid-character",
    "invalid-escape",
    "invalid-utf8",
    "chained-comparison",
    "nested-too-deeply",
];

fn parses(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().all(|d| match &d.code {
        Some(NumberOrString::String(c)) => !SYNTAX_CODES.contains(&c.as_str()),
        _ => true,
    })
}

/// The canonical path of a document with a `file:` URI (its path as is
/// when it does not exist on disk).
pub fn doc_path(uri: &Uri) -> Option<PathBuf> {
    let p = text::uri_path(uri)?;
    Some(std::fs::canonicalize(&p).unwrap_or(p))
}

/// The server's state: the open documents and the memory budget.
pub struct Server {
    pub docs: HashMap<String, Document>,
    pub mem: Memory,
    limit: usize,
}

/// Runs the server on stdin/stdout until `exit`; returns the exit status.
pub fn run(limit: usize) -> i32 {
    // A message over the limit is not read (a document that large could
    // not be analysed anyway); small ones always are, so that a document
    // over a tiny limit still gets its out-of-memory diagnostic.
    let (conn, writer) = transport::stdio(limit.max(1 << 20));
    let caps = capabilities();
    let caps = match serde_json::to_value(caps) {
        Ok(v) => v,
        Err(_) => return 1,
    };
    if conn.initialize(caps).is_err() {
        return 1;
    }
    let mut server = Server::new(limit);
    let status = server.run(&conn);
    drop(conn);
    let _ = writer.join();
    status
}

pub fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::FULL),
                save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                ..Default::default()
            },
        )),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Left(true)),
        document_symbol_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![".".into()]),
            ..Default::default()
        }),
        semantic_tokens_provider: Some(SemanticTokensServerCapabilities::SemanticTokensOptions(
            SemanticTokensOptions {
                legend: semantic_tokens::legend(),
                full: Some(SemanticTokensFullOptions::Bool(true)),
                range: None,
                ..Default::default()
            },
        )),
        position_encoding: Some(PositionEncodingKind::UTF16),
        ..Default::default()
    }
}

/// The requests the server handles (besides `initialize` and `shutdown`).
const METHODS: &[&str] = &[
    HoverRequest::METHOD,
    GotoDefinition::METHOD,
    References::METHOD,
    Rename::METHOD,
    DocumentSymbolRequest::METHOD,
    Completion::METHOD,
    Formatting::METHOD,
    SemanticTokensFullRequest::METHOD,
];

impl Server {
    pub fn new(limit: usize) -> Server {
        Server {
            docs: HashMap::new(),
            mem: Memory::new(limit),
            limit,
        }
    }

    fn run(&mut self, conn: &Connection) -> i32 {
        for msg in &conn.receiver {
            match msg {
                Message::Request(req) => {
                    match conn.handle_shutdown(&req) {
                        Ok(true) => return 0,
                        Ok(false) => {}
                        Err(_) => return 1,
                    }
                    let (resp, publish) = self.request(req);
                    if conn.sender.send(Message::Response(resp)).is_err() {
                        return 1;
                    }
                    for n in publish {
                        let _ = conn.sender.send(Message::Notification(n));
                    }
                }
                Message::Notification(n) => {
                    for p in self.notification(n) {
                        let _ = conn.sender.send(Message::Notification(p));
                    }
                }
                Message::Response(_) => {}
            }
        }
        0
    }

    /// Handles a request; also returns diagnostics to publish (when the
    /// request ran out of memory).
    pub fn request(&mut self, req: Request) -> (Response, Vec<Notification>) {
        let id = req.id.clone();
        let method = req.method.clone();
        if !METHODS.contains(&method.as_str()) {
            let msg = format!("unsupported request {method}");
            transport::log(&msg);
            return (
                Response::new_err(id, ErrorCode::MethodNotFound as i32, msg),
                Vec::new(),
            );
        }
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.dispatch(req)));
        match r {
            Ok(Ok((value, oom))) => {
                let publish = match oom {
                    Some((uri, e)) => self.publish_oom(&uri, &e).into_iter().collect(),
                    None => Vec::new(),
                };
                (Response::new_ok(id, value), publish)
            }
            Ok(Err(msg)) => (
                Response::new_err(id, ErrorCode::InvalidParams as i32, msg),
                Vec::new(),
            ),
            Err(_) => {
                // The budget's arenas may be mid-use: start afresh.
                self.mem = Memory::new(self.limit);
                (
                    Response::new_err(
                        id,
                        ErrorCode::InternalError as i32,
                        format!("internal error in {method}"),
                    ),
                    Vec::new(),
                )
            }
        }
    }

    /// Requests [`Server::dispatch`] answers; others get MethodNotFound.
    fn dispatch(&mut self, req: Request) -> handlers::Result {
        fn params<P: serde::de::DeserializeOwned>(req: Request) -> Result<P, String> {
            serde_json::from_value(req.params).map_err(|e| format!("invalid params: {e}"))
        }
        match req.method.as_str() {
            HoverRequest::METHOD => handlers::hover(self, params(req)?),
            GotoDefinition::METHOD => handlers::definition(self, params(req)?),
            References::METHOD => handlers::references(self, params(req)?),
            Rename::METHOD => handlers::rename(self, params(req)?),
            DocumentSymbolRequest::METHOD => handlers::symbols(self, params(req)?),
            Completion::METHOD => handlers::completion(self, params(req)?),
            Formatting::METHOD => handlers::formatting(self, params(req)?),
            SemanticTokensFullRequest::METHOD => semantic_tokens::full(self, params(req)?),
            m => Err(format!("unsupported request {m}")), // see METHODS
        }
    }

    /// Handles a notification; returns what to publish.
    pub fn notification(&mut self, n: Notification) -> Vec<Notification> {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.notify(n)));
        r.unwrap_or_else(|_| {
            self.mem = Memory::new(self.limit);
            Vec::new()
        })
    }

    fn notify(&mut self, n: Notification) -> Vec<Notification> {
        match n.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<DidOpenTextDocumentParams>(n.params) else {
                    return Vec::new();
                };
                let d = p.text_document;
                self.open(d.uri, d.version, d.text)
            }
            DidChangeTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<DidChangeTextDocumentParams>(n.params) else {
                    return Vec::new();
                };
                // Full sync: the last change holds the whole text.
                let Some(text) = p.content_changes.into_iter().last().map(|c| c.text) else {
                    return Vec::new();
                };
                let d = p.text_document;
                self.open(d.uri, d.version, text)
            }
            DidSaveTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<DidSaveTextDocumentParams>(n.params) else {
                    return Vec::new();
                };
                let key = p.text_document.uri.as_str().to_string();
                match self.docs.get(&key) {
                    Some(d) => {
                        let (uri, version) = (d.uri.clone(), d.version);
                        let text = p.text.unwrap_or_else(|| d.text.clone());
                        self.open(uri, version, text)
                    }
                    None => Vec::new(),
                }
            }
            DidCloseTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<DidCloseTextDocumentParams>(n.params) else {
                    return Vec::new();
                };
                let uri = p.text_document.uri;
                self.docs.remove(uri.as_str());
                vec![publish(uri, Vec::new(), None)]
            }
            _ => Vec::new(),
        }
    }

    /// Stores a document's new text and checks it, then the open documents
    /// that import it.
    fn open(&mut self, uri: Uri, version: i32, text: String) -> Vec<Notification> {
        let mut out = vec![self.store(uri.clone(), version, text)];
        if let Some(path) = doc_path(&uri) {
            let importers: Vec<(Uri, i32, String)> = self
                .docs
                .values()
                .filter(|d| d.uri != uri && d.deps.contains(&path))
                .map(|d| (d.uri.clone(), d.version, d.text.clone()))
                .collect();
            for (u, v, t) in importers {
                out.push(self.store(u, v, t));
            }
        }
        out
    }

    /// Stores a document and checks it; returns its diagnostics to publish.
    fn store(&mut self, uri: Uri, version: i32, text: String) -> Notification {
        let index = LineIndex::new(&text);
        let graph = self.graph(&uri, &text);
        let diagnostics = handlers::check(self, &uri, &text, &index, graph.as_ref());
        let deps = graph
            .map(|g| g.files.into_iter().skip(1).map(|f| f.canonical).collect())
            .unwrap_or_default();
        let n = publish(uri.clone(), diagnostics.clone(), Some(version));
        let good = if parses(&diagnostics) {
            Some(text.clone())
        } else {
            self.docs.get(uri.as_str()).and_then(|d| d.good.clone())
        };
        self.docs.insert(
            uri.as_str().to_string(),
            Document {
                uri,
                version,
                text,
                index,
                diagnostics,
                deps,
                good,
            },
        );
        n
    }

    /// The program whose root is document `uri` with `text` (`None` for a
    /// document that is not a file): the files it reaches, with the texts
    /// of the open documents standing for their files.
    pub fn graph(&self, uri: &Uri, text: &str) -> Option<Graph> {
        let root = text::uri_path(uri)?;
        let mut buffers = Buffers::new();
        for d in self.docs.values() {
            if let Some(p) = doc_path(&d.uri) {
                buffers.insert(p, Arc::from(d.text.as_str()));
            }
        }
        buffers.insert(doc_path(uri)?, Arc::from(text));
        Some(modules::discover_with(root.to_str()?, buffers, self.limit))
    }

    /// The document's diagnostics plus one for running out of memory.
    fn publish_oom(&mut self, uri: &Uri, e: &crate::memory::OutOfMemory) -> Option<Notification> {
        let d = self.docs.get(uri.as_str())?;
        let mut diags = d.diagnostics.clone();
        diags.push(handlers::oom_diagnostic(e, self.limit));
        Some(publish(d.uri.clone(), diags, Some(d.version)))
    }

    pub fn limit(&self) -> usize {
        self.limit
    }
}

fn publish(uri: Uri, diagnostics: Vec<Diagnostic>, version: Option<i32>) -> Notification {
    Notification::new(
        PublishDiagnostics::METHOD.to_string(),
        PublishDiagnosticsParams {
            uri,
            diagnostics,
            version,
        },
    )
}
