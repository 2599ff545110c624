//! The chat screen, one folder: its state (`state`) and conversations (`conversation`); its keys
//! (`update`), with sending and editing (`reply`), the conversation list (`conversation_list`)
//! and the versions of a message (`versions`); a reply's engine events (`generation`); the typed
//! text's token count (`input_size`); and its drawing (`layout`, `view`, `sidebar`, with
//! `token_reveal` keeping the token view's cursor on screen).

pub mod conversation;
pub mod conversation_list;
pub mod generation;
pub mod input_size;
pub mod layout;
pub mod send;
pub mod sidebar;
pub mod state;
pub mod token_reveal;
pub mod update;
pub mod versions;
pub mod view;
