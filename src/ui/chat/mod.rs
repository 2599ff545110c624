//! The chat screen: its state (`state`) and conversations (`conversation`). Its keys are
//! `update::chat_key` and `update/chat.rs`, its drawing `view::chat_screen`.

pub mod conversation;
pub mod state;
