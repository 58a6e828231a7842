pub mod lsp_client;
pub mod rss;
pub mod valgrind;
