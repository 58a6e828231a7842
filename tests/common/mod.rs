pub mod lsp_client;
pub mod rss;
pub mod rt_stats;
pub mod valgrind;
