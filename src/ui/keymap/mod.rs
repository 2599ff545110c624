//! Key bindings: every command the UI knows, in which context it applies, its default keys and
//! its help text; user overrides from `[keys.<context>]` in the config.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::config::KeyList;

/// Where a binding applies: the focused part of the chat screen, or the open dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ctx {
    Global,
    Input,
    Transcript,
    Sidebar,
    Settings,
    Models,
    Editor,
    Prompt,
    Confirm,
    Help,
    Templates,
    TemplateVars,
    Sessions,
    Replay,
    Compare,
    CompareEdit,
    ComparePicker,
    ComparePrompt,
}

impl Ctx {
    pub const ALL: [Ctx; 18] = [
        Ctx::Global,
        Ctx::Input,
        Ctx::Transcript,
        Ctx::Sidebar,
        Ctx::Settings,
        Ctx::Models,
        Ctx::Editor,
        Ctx::Prompt,
        Ctx::Confirm,
        Ctx::Help,
        Ctx::Templates,
        Ctx::TemplateVars,
        Ctx::Sessions,
        Ctx::Replay,
        Ctx::Compare,
        Ctx::CompareEdit,
        Ctx::ComparePicker,
        Ctx::ComparePrompt,
    ];

    /// The name used in `[keys.<name>]`.
    pub fn name(self) -> &'static str {
        match self {
            Ctx::Global => "global",
            Ctx::Input => "input",
            Ctx::Transcript => "transcript",
            Ctx::Sidebar => "chats",
            Ctx::Settings => "settings",
            Ctx::Models => "models",
            Ctx::Editor => "editor",
            Ctx::Prompt => "prompt",
            Ctx::Confirm => "confirm",
            Ctx::Help => "help",
            Ctx::Templates => "templates",
            Ctx::TemplateVars => "template_vars",
            Ctx::Sessions => "sessions",
            Ctx::Replay => "replay",
            Ctx::Compare => "compare",
            Ctx::CompareEdit => "compare_variant",
            Ctx::ComparePicker => "compare_templates",
            Ctx::ComparePrompt => "compare_prompt",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Ctx::Global => "Everywhere on the chat screen",
            Ctx::Input => "Message input",
            Ctx::Transcript => "Transcript (tab to focus)",
            Ctx::Sidebar => "Conversation list (tab to focus)",
            Ctx::Settings => "Sampling settings",
            Ctx::Models => "Model picker",
            Ctx::Editor => "Text editor (system prompt, grammar)",
            Ctx::Prompt => "Name prompt",
            Ctx::Confirm => "Confirmation",
            Ctx::Help => "This help",
            Ctx::Templates => "Template browser",
            Ctx::TemplateVars => "Template variables (tab from the list)",
            Ctx::Sessions => "Session browser",
            Ctx::Replay => "Session replay",
            Ctx::Compare => "Compare view (side by side variants, evaluation)",
            Ctx::CompareEdit => "Compare view: variant editor",
            Ctx::ComparePicker => "Compare view: template picker",
            Ctx::ComparePrompt => "Compare view: the prompt a variant sent",
        }
    }
}

/// Everything a key can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cmd {
    Quit,
    Interrupt,
    Stop,
    Help,
    NewChat,
    Regenerate,
    EditLast,
    CopyMessage,
    CopyCode,
    ClearChat,
    Settings,
    SystemPrompt,
    Models,
    TokenView,
    FocusNext,
    FocusPrev,
    ScrollUp,
    ScrollDown,
    ToggleSidebar,
    Send,
    Newline,
    HistoryPrev,
    HistoryNext,
    SelectPrev,
    SelectNext,
    EditMessage,
    TokenPrev,
    TokenNext,
    ScrollTop,
    ScrollBottom,
    ChatPrev,
    ChatNext,
    ChatNew,
    ChatRename,
    ChatDelete,
    FieldPrev,
    FieldNext,
    FieldClear,
    FieldEnter,
    PresetPrev,
    PresetNext,
    PresetSave,
    PresetDelete,
    SettingsClose,
    ModelPrev,
    ModelNext,
    ModelLoad,
    ModelsRescan,
    ModelsClose,
    EditorSave,
    EditorCancel,
    PromptAccept,
    PromptClear,
    PromptCancel,
    ConfirmYes,
    ConfirmNo,
    HelpClose,
    HelpUp,
    HelpDown,
    HelpNames,
    ThemeNext,
    SettingsTheme,
    Templates,
    TplPrev,
    TplNext,
    TplFill,
    TplShotsMore,
    TplShotsFewer,
    TplSelection,
    TplSeed,
    TplMode,
    TplSend,
    TplEdit,
    TplReload,
    TplScrollUp,
    TplScrollDown,
    TplBack,
    TplVarPrev,
    TplVarNext,
    TplVarNewline,
    TplVarClear,
    TplVarSend,
    TplVarDone,
    /// Template browser → comparison view.
    TplCompare,
    Sessions,
    SessPrev,
    SessNext,
    SessOpen,
    SessSearch,
    SessRename,
    SessDelete,
    SessExportMd,
    SessExportJson,
    SessReplay,
    SessRefresh,
    SessFilter,
    SessClose,
    ReplayNext,
    ReplayAll,
    ReplaySource,
    ReplayUp,
    ReplayDown,
    ReplayPageUp,
    ReplayPageDown,
    ReplayClose,
    CompareOpen,
    CmpRun,
    CmpStop,
    CmpHistoryPrev,
    CmpHistoryNext,
    CmpNextColumn,
    CmpPrevColumn,
    CmpAdd,
    CmpRemove,
    CmpEdit,
    CmpPrompt,
    CmpTemplate,
    CmpEval,
    CmpResults,
    CmpSave,
    CmpBack,
    CmpArena,
    CmpClear,
    CmpPickPrev,
    CmpPickNext,
    CmpPick,
    CmpPickClose,
    CmpPromptUp,
    CmpPromptDown,
    CmpPromptPageUp,
    CmpPromptPageDown,
    CmpPromptClose,
    VarPrev,
    VarNext,
    VarDec,
    VarInc,
    VarClose,
}

/// (command, context, config name, default keys, help text)
#[rustfmt::skip]
const TABLE: &[(Cmd, Ctx, &str, &str, &str)] = &[
    (Cmd::Quit, Ctx::Global, "quit", "ctrl+q", "Quit howdah"),
    (Cmd::Interrupt, Ctx::Global, "interrupt", "ctrl+c", "Stop the reply; when idle, ask to quit"),
    (Cmd::Stop, Ctx::Global, "stop", "esc", "Stop the reply being generated"),
    (Cmd::Help, Ctx::Global, "help", "? f1", "Show these bindings (? when the input is empty)"),
    (Cmd::NewChat, Ctx::Global, "new_chat", "ctrl+n", "New conversation"),
    (Cmd::Regenerate, Ctx::Global, "regenerate", "ctrl+r", "Regenerate the last reply"),
    (Cmd::EditLast, Ctx::Global, "edit_last", "ctrl+e", "Edit your last message and resend"),
    (Cmd::CopyMessage, Ctx::Global, "copy_message", "ctrl+y", "Copy the selected (or last) reply"),
    (Cmd::CopyCode, Ctx::Global, "copy_code", "ctrl+k", "Copy a code block (again: the next one)"),
    (Cmd::ClearChat, Ctx::Global, "clear_chat", "ctrl+l", "Clear this conversation"),
    (Cmd::Settings, Ctx::Global, "settings", "ctrl+s", "Sampling settings and presets"),
    (Cmd::SystemPrompt, Ctx::Global, "system_prompt", "ctrl+p", "Edit this conversation's system prompt"),
    (Cmd::Models, Ctx::Global, "models", "ctrl+o", "Pick and load a model"),
    (Cmd::TokenView, Ctx::Global, "token_view", "ctrl+t", "Token heat-map view on/off"),
    (Cmd::FocusNext, Ctx::Global, "focus_next", "tab", "Focus: input → transcript → chats"),
    (Cmd::FocusPrev, Ctx::Global, "focus_prev", "backtab", "Focus the other way"),
    (Cmd::ScrollUp, Ctx::Global, "scroll_up", "pageup", "Scroll the transcript up"),
    (Cmd::ScrollDown, Ctx::Global, "scroll_down", "pagedown", "Scroll down (at the end: follow)"),
    (Cmd::ToggleSidebar, Ctx::Global, "toggle_sidebar", "ctrl+b", "Show or hide the conversation list"),
    (Cmd::Sessions, Ctx::Global, "sessions", "f2 alt+s", "Saved sessions: browse, search, export, replay"),
    (Cmd::CompareOpen, Ctx::Global, "compare", "f3 alt+c", "Compare view: prompt variants side by side"),
    (Cmd::ThemeNext, Ctx::Global, "theme", "alt+t", "Next colour theme"),
    (Cmd::Send, Ctx::Input, "send", "enter", "Send the message"),
    (Cmd::Newline, Ctx::Input, "newline", "alt+enter shift+enter ctrl+j", "New line"),
    (Cmd::HistoryPrev, Ctx::Input, "history_prev", "up", "Earlier sent message (input empty)"),
    (Cmd::HistoryNext, Ctx::Input, "history_next", "down", "Later sent message"),
    (Cmd::SelectPrev, Ctx::Transcript, "select_prev", "up k", "Select the previous message"),
    (Cmd::SelectNext, Ctx::Transcript, "select_next", "down j", "Select the next message"),
    (Cmd::EditMessage, Ctx::Transcript, "edit_message", "e enter", "Edit the selected message and resend from there"),
    (Cmd::TokenPrev, Ctx::Transcript, "token_prev", "left h", "Previous token (token view), else previous version ‹ 2/3 ›"),
    (Cmd::TokenNext, Ctx::Transcript, "token_next", "right l", "Next token (token view), else next version of the message"),
    (Cmd::ScrollTop, Ctx::Transcript, "scroll_top", "home g", "Go to the first message"),
    (Cmd::ScrollBottom, Ctx::Transcript, "scroll_bottom", "end G", "Go to the end and follow"),
    (Cmd::ChatPrev, Ctx::Sidebar, "previous", "up k", "Previous conversation"),
    (Cmd::ChatNext, Ctx::Sidebar, "next", "down j", "Next conversation"),
    (Cmd::ChatNew, Ctx::Sidebar, "new", "n", "New conversation"),
    (Cmd::ChatRename, Ctx::Sidebar, "rename", "r", "Rename the conversation"),
    (Cmd::ChatDelete, Ctx::Sidebar, "delete", "d delete", "Delete the conversation (asks first)"),
    (Cmd::FieldPrev, Ctx::Settings, "field_prev", "up", "Previous field"),
    (Cmd::FieldNext, Ctx::Settings, "field_next", "down tab", "Next field"),
    (Cmd::FieldClear, Ctx::Settings, "field_clear", "ctrl+u", "Clear the field"),
    (Cmd::SettingsTheme, Ctx::Settings, "theme", "alt+t", "Next colour theme"),
    (Cmd::FieldEnter, Ctx::Settings, "field_enter", "enter", "Apply the field and go to the next; on grammar: open the editor"),
    (Cmd::PresetPrev, Ctx::Settings, "preset_prev", "left", "Apply the previous preset"),
    (Cmd::PresetNext, Ctx::Settings, "preset_next", "right", "Apply the next preset"),
    (Cmd::PresetSave, Ctx::Settings, "preset_save", "ctrl+s", "Save these settings as a preset"),
    (Cmd::PresetDelete, Ctx::Settings, "preset_delete", "ctrl+d", "Delete the saved preset shown"),
    (Cmd::SettingsClose, Ctx::Settings, "close", "esc", "Close (applies the field being edited)"),
    (Cmd::ModelPrev, Ctx::Models, "previous", "up k", "Previous model"),
    (Cmd::ModelNext, Ctx::Models, "next", "down j", "Next model"),
    (Cmd::ModelLoad, Ctx::Models, "load", "enter", "Load the selected model"),
    (Cmd::ModelsRescan, Ctx::Models, "rescan", "f5 ctrl+r", "Look for models again"),
    (Cmd::ModelsClose, Ctx::Models, "close", "esc", "Close"),
    (Cmd::EditorSave, Ctx::Editor, "save", "ctrl+s", "Save and close"),
    (Cmd::EditorCancel, Ctx::Editor, "cancel", "esc", "Close without saving"),
    (Cmd::PromptAccept, Ctx::Prompt, "accept", "enter", "Accept"),
    (Cmd::PromptCancel, Ctx::Prompt, "cancel", "esc", "Cancel"),
    (Cmd::PromptClear, Ctx::Prompt, "clear", "ctrl+u", "Clear the text"),
    (Cmd::ConfirmYes, Ctx::Confirm, "yes", "y enter", "Yes"),
    (Cmd::ConfirmNo, Ctx::Confirm, "no", "n esc", "No"),
    (Cmd::HelpClose, Ctx::Help, "close", "esc ? q f1", "Close the help"),
    (Cmd::HelpUp, Ctx::Help, "up", "up k pageup", "Scroll up"),
    (Cmd::HelpDown, Ctx::Help, "down", "down j pagedown", "Scroll down"),
    (Cmd::HelpNames, Ctx::Help, "names", "tab", "Show the action names config.toml rebinds by"),
    (Cmd::Templates, Ctx::Global, "templates", "ctrl+g", "Prompt template browser"),
    (Cmd::TplPrev, Ctx::Templates, "previous", "up k", "Previous template"),
    (Cmd::TplNext, Ctx::Templates, "next", "down j", "Next template"),
    (Cmd::TplFill, Ctx::Templates, "fill", "tab i", "Fill the template's variables"),
    (Cmd::TplShotsMore, Ctx::Templates, "more_shots", "right l +", "One more example (shot)"),
    (Cmd::TplShotsFewer, Ctx::Templates, "fewer_shots", "left h -", "One example fewer (0 = zero-shot)"),
    (Cmd::TplSelection, Ctx::Templates, "selection", "s", "Example selection: first, random, balanced, similar"),
    (Cmd::TplSeed, Ctx::Templates, "reseed", "r", "New seed for random selection"),
    (Cmd::TplMode, Ctx::Templates, "mode", "m", "Layout: chat or completion (default: the model's)"),
    (Cmd::TplSend, Ctx::Templates, "send", "enter", "Send the rendered prompt into the conversation"),
    (Cmd::TplCompare, Ctx::Templates, "compare", "c", "Compare zero-, one- and k-shot side by side (compare view)"),
    (Cmd::TplEdit, Ctx::Templates, "edit", "e", "Open in $EDITOR (built-ins are copied to your prompts folder)"),
    (Cmd::TplReload, Ctx::Templates, "reload", "f5 R", "Reload the templates from disk"),
    (Cmd::TplScrollUp, Ctx::Templates, "scroll_up", "pageup", "Scroll the preview up"),
    (Cmd::TplScrollDown, Ctx::Templates, "scroll_down", "pagedown", "Scroll the preview down"),
    (Cmd::TplBack, Ctx::Templates, "back", "esc ctrl+g", "Back to the chat"),
    (Cmd::TplVarPrev, Ctx::TemplateVars, "previous", "up backtab", "Previous variable"),
    (Cmd::TplVarNext, Ctx::TemplateVars, "next", "down tab", "Next variable"),
    (Cmd::TplVarNewline, Ctx::TemplateVars, "newline", "alt+enter shift+enter ctrl+j", "New line in the value"),
    (Cmd::TplVarClear, Ctx::TemplateVars, "clear", "ctrl+u", "Clear the value"),
    (Cmd::TplVarSend, Ctx::TemplateVars, "send", "enter", "Send the rendered prompt into the conversation"),
    (Cmd::TplVarDone, Ctx::TemplateVars, "done", "esc", "Back to the template list"),
    (Cmd::SessPrev, Ctx::Sessions, "previous", "up k", "Previous session"),
    (Cmd::SessNext, Ctx::Sessions, "next", "down j", "Next session"),
    (Cmd::SessOpen, Ctx::Sessions, "open", "enter", "Open the chat and continue it"),
    (Cmd::SessSearch, Ctx::Sessions, "search", "/", "Search every session's text (enter keeps, esc clears)"),
    (Cmd::SessRename, Ctx::Sessions, "rename", "r", "Rename (empty: back to the first user line)"),
    (Cmd::SessDelete, Ctx::Sessions, "delete", "d delete", "Delete the session file (asks first)"),
    (Cmd::SessExportMd, Ctx::Sessions, "export_md", "e", "Export as Markdown"),
    (Cmd::SessExportJson, Ctx::Sessions, "export_json", "x", "Export as JSON (OpenAI chat messages)"),
    (Cmd::SessReplay, Ctx::Sessions, "replay", "p", "Replay the session and compare"),
    (Cmd::SessRefresh, Ctx::Sessions, "refresh", "f5", "Read the sessions folder again"),
    (Cmd::SessFilter, Ctx::Sessions, "filter", "f", "Show all sessions, only chats, or only compare/eval/arena runs"),
    (Cmd::SessClose, Ctx::Sessions, "close", "esc q", "Back to the chat"),
    (Cmd::ReplayNext, Ctx::Replay, "next_turn", "n space", "Replay the next turn"),
    (Cmd::ReplayAll, Ctx::Replay, "all", "a", "Replay all remaining turns"),
    (Cmd::ReplaySource, Ctx::Replay, "settings", "s", "Recorded model and sampling ↔ current ones (before starting)"),
    (Cmd::ReplayUp, Ctx::Replay, "up", "up k", "Scroll up"),
    (Cmd::ReplayDown, Ctx::Replay, "down", "down j", "Scroll down"),
    (Cmd::ReplayPageUp, Ctx::Replay, "page_up", "pageup", "Scroll a page up"),
    (Cmd::ReplayPageDown, Ctx::Replay, "page_down", "pagedown", "Scroll a page down"),
    (Cmd::ReplayClose, Ctx::Replay, "close", "esc q", "Cancel the replay; when stopped, back to the sessions"),
    (Cmd::CmpRun, Ctx::Compare, "run", "enter", "Run every variant on the input"),
    (Cmd::CmpStop, Ctx::Compare, "stop", "esc", "Stop all; when idle, back to the chat"),
    (Cmd::CmpHistoryPrev, Ctx::Compare, "history_prev", "up", "Earlier input"),
    (Cmd::CmpHistoryNext, Ctx::Compare, "history_next", "down", "Later input"),
    (Cmd::CmpNextColumn, Ctx::Compare, "next_column", "tab", "Select the next column"),
    (Cmd::CmpPrevColumn, Ctx::Compare, "prev_column", "backtab", "Select the previous column"),
    (Cmd::CmpAdd, Ctx::Compare, "add_variant", "ctrl+a", "Add a variant (a copy of the selected one, up to 4)"),
    (Cmd::CmpRemove, Ctx::Compare, "remove_variant", "ctrl+d", "Remove the selected variant"),
    (Cmd::CmpEdit, Ctx::Compare, "edit_variant", "ctrl+e", "Edit the selected variant: shots, selection, sampling, mode"),
    (Cmd::CmpPrompt, Ctx::Compare, "show_prompt", "ctrl+p", "Show the exact prompt the selected variant sent"),
    (Cmd::CmpTemplate, Ctx::Compare, "template", "ctrl+t", "Pick another template"),
    (Cmd::CmpEval, Ctx::Compare, "evaluate", "ctrl+l", "Evaluate the variants on a data file (CSV or JSONL)"),
    (Cmd::CmpResults, Ctx::Compare, "results", "f2", "Switch between the columns and the evaluation results"),
    (Cmd::CmpSave, Ctx::Compare, "save_predictions", "ctrl+s", "Save the evaluation's per-row predictions (CSV)"),
    (Cmd::CmpBack, Ctx::Compare, "back", "f3", "Back to the chat"),
    (Cmd::CmpArena, Ctx::Compare, "arena", "f4", "Arena: two anonymous columns; vote a, b, t (tie) or x (both bad)"),
    (Cmd::CmpClear, Ctx::Compare, "clear", "ctrl+u", "Clear the input (the chat's editing keys work too: ctrl+w, alt+b, alt+f…)"),
    (Cmd::CmpPickPrev, Ctx::ComparePicker, "previous", "up k", "Previous template"),
    (Cmd::CmpPickNext, Ctx::ComparePicker, "next", "down j", "Next template"),
    (Cmd::CmpPick, Ctx::ComparePicker, "pick", "enter", "Compare the variants of this template"),
    (Cmd::CmpPickClose, Ctx::ComparePicker, "close", "esc", "Close (with nothing picked yet: back to the chat)"),
    (Cmd::CmpPromptUp, Ctx::ComparePrompt, "up", "up k", "Scroll up"),
    (Cmd::CmpPromptDown, Ctx::ComparePrompt, "down", "down j", "Scroll down"),
    (Cmd::CmpPromptPageUp, Ctx::ComparePrompt, "page_up", "pageup", "Scroll a page up"),
    (Cmd::CmpPromptPageDown, Ctx::ComparePrompt, "page_down", "pagedown", "Scroll a page down"),
    (Cmd::CmpPromptClose, Ctx::ComparePrompt, "close", "esc enter q", "Close"),
    (Cmd::VarPrev, Ctx::CompareEdit, "previous", "up k", "Previous field"),
    (Cmd::VarNext, Ctx::CompareEdit, "next", "down j tab", "Next field"),
    (Cmd::VarDec, Ctx::CompareEdit, "decrease", "left h -", "Previous value"),
    (Cmd::VarInc, Ctx::CompareEdit, "increase", "right l +", "Next value"),
    (Cmd::VarClose, Ctx::CompareEdit, "close", "esc enter", "Close (changes apply at once)"),
];

/// A key with its modifiers, normalized so that config text and terminal events compare equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeySpec {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl KeySpec {
    pub fn from_event(k: &KeyEvent) -> KeySpec {
        let mut mods =
            k.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        // A character already says whether shift was held ('A' vs 'a'); back-tab implies shift.
        if matches!(k.code, KeyCode::Char(_) | KeyCode::BackTab) {
            mods.remove(KeyModifiers::SHIFT);
        }
        KeySpec { code: k.code, mods }
    }

    /// Parses "ctrl+q", "shift+enter", "alt+x", "f1", "pageup", "?", "G".
    pub fn parse(spec: &str) -> Result<KeySpec, String> {
        let spec = spec.trim();
        if spec.is_empty() {
            return Err("empty key".into());
        }
        let mut parts: Vec<&str> = spec.split('+').collect();
        // "ctrl++" names the plus key.
        if spec.ends_with("++") || spec == "+" {
            parts.retain(|p| !p.is_empty());
            parts.push("+");
        }
        let key = parts.pop().unwrap_or_default();
        let mut mods = KeyModifiers::NONE;
        for m in parts {
            match m.to_ascii_lowercase().as_str() {
                "ctrl" | "control" | "c" => mods |= KeyModifiers::CONTROL,
                "alt" | "meta" | "m" | "a" => mods |= KeyModifiers::ALT,
                "shift" | "s" => mods |= KeyModifiers::SHIFT,
                other => {
                    return Err(format!(
                        "unknown modifier '{other}' in '{spec}' (use ctrl, alt, shift)"
                    ))
                }
            }
        }
        let lower = key.to_ascii_lowercase();
        let code = match lower.as_str() {
            "enter" | "return" => KeyCode::Enter,
            "esc" | "escape" => KeyCode::Esc,
            "tab" => KeyCode::Tab,
            "backtab" => KeyCode::BackTab,
            "backspace" => KeyCode::Backspace,
            "delete" | "del" => KeyCode::Delete,
            "insert" | "ins" => KeyCode::Insert,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "pageup" | "pgup" => KeyCode::PageUp,
            "pagedown" | "pgdn" => KeyCode::PageDown,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "space" => KeyCode::Char(' '),
            f if f.len() > 1
                && f.starts_with('f')
                && f[1..].parse::<u8>().is_ok_and(|n| (1..=24).contains(&n)) =>
            {
                KeyCode::F(f[1..].parse().unwrap_or(1))
            }
            _ => {
                let mut chars = key.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => {
                        let mut c = c;
                        if mods.contains(KeyModifiers::SHIFT) {
                            c = c.to_ascii_uppercase();
                        }
                        KeyCode::Char(c)
                    }
                    _ => return Err(format!("unknown key '{key}' in '{spec}'")),
                }
            }
        };
        if matches!(code, KeyCode::Char(_) | KeyCode::BackTab) {
            mods.remove(KeyModifiers::SHIFT);
        }
        Ok(KeySpec { code, mods })
    }

    /// A key typed as text (no ctrl/alt), which text fields take before any binding.
    pub fn is_text(&self) -> bool {
        matches!(self.code, KeyCode::Char(_))
            && !self
                .mods
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
    }
}

impl fmt::Display for KeySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            write!(f, "ctrl+")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            write!(f, "alt+")?;
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            write!(f, "shift+")?;
        }
        match self.code {
            KeyCode::Char(' ') => write!(f, "space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "f{n}"),
            KeyCode::Enter => write!(f, "enter"),
            KeyCode::Esc => write!(f, "esc"),
            KeyCode::Tab => write!(f, "tab"),
            KeyCode::BackTab => write!(f, "shift+tab"),
            KeyCode::Backspace => write!(f, "backspace"),
            KeyCode::Delete => write!(f, "delete"),
            KeyCode::Insert => write!(f, "insert"),
            KeyCode::Home => write!(f, "home"),
            KeyCode::End => write!(f, "end"),
            KeyCode::PageUp => write!(f, "pageup"),
            KeyCode::PageDown => write!(f, "pagedown"),
            KeyCode::Up => write!(f, "↑"),
            KeyCode::Down => write!(f, "↓"),
            KeyCode::Left => write!(f, "←"),
            KeyCode::Right => write!(f, "→"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// The active bindings.
#[derive(Debug, Clone)]
pub struct Keymap {
    lookup: HashMap<(Ctx, KeySpec), Cmd>,
    keys: HashMap<Cmd, Vec<KeySpec>>,
}

/// One row of the help overlay.
pub struct HelpRow {
    pub keys: String,
    pub name: &'static str,
    pub help: &'static str,
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap::new(&BTreeMap::new(), "").0
    }
}

impl Keymap {
    /// Defaults with the config's `[keys.*]` applied. Unknown contexts, actions or keys give
    /// warnings naming them (and their line in `config_text`); the defaults stay for those.
    pub fn new(
        user: &BTreeMap<String, BTreeMap<String, KeyList>>,
        config_text: &str,
    ) -> (Keymap, Vec<String>) {
        let mut warnings = Vec::new();
        let mut keys: HashMap<Cmd, Vec<KeySpec>> = HashMap::new();
        for (cmd, _, _, default, _) in TABLE {
            let specs = default
                .split_whitespace()
                .filter_map(|s| KeySpec::parse(s).ok())
                .collect();
            keys.insert(*cmd, specs);
        }
        for (ctx_name, actions) in user {
            let table = format!("keys.{ctx_name}");
            let Some(ctx) = Ctx::ALL.iter().copied().find(|c| c.name() == ctx_name) else {
                let names: Vec<&str> = Ctx::ALL.iter().map(|c| c.name()).collect();
                warnings.push(format!(
                    "[{table}]: no such key context (known: {})",
                    names.join(", ")
                ));
                continue;
            };
            for (action, list) in actions {
                let at = crate::config::line_of(config_text, &table, action)
                    .map(|l| format!("line {l}: "))
                    .unwrap_or_default();
                let Some((cmd, ..)) = TABLE.iter().find(|r| r.1 == ctx && r.2 == action) else {
                    let names: Vec<&str> =
                        TABLE.iter().filter(|r| r.1 == ctx).map(|r| r.2).collect();
                    warnings.push(format!(
                        "{at}[{table}] `{action}`: no such action (known: {})",
                        names.join(", ")
                    ));
                    continue;
                };
                let parsed: Result<Vec<KeySpec>, String> =
                    list.specs().into_iter().map(KeySpec::parse).collect();
                match parsed {
                    Ok(specs) => {
                        keys.insert(*cmd, specs);
                    }
                    Err(e) => warnings.push(format!("{at}[{table}] `{action}`: {e}")),
                }
            }
        }
        let mut lookup = HashMap::new();
        for (cmd, ctx, name, _, _) in TABLE {
            for k in keys.get(cmd).into_iter().flatten() {
                if let Some(other) = lookup.insert((*ctx, *k), *cmd) {
                    if other != *cmd {
                        let other_name = TABLE.iter().find(|r| r.0 == other).map(|r| r.2);
                        warnings.push(format!(
                            "[keys.{}]: {k} is bound to both `{}` and `{name}`; `{name}` wins",
                            ctx.name(),
                            other_name.unwrap_or("?")
                        ));
                    }
                }
            }
        }
        (Keymap { lookup, keys }, warnings)
    }

    pub fn get(&self, ctx: Ctx, key: &KeySpec) -> Option<Cmd> {
        self.lookup.get(&(ctx, *key)).copied()
    }

    /// The first key of a command, for on-screen hints.
    pub fn hint(&self, cmd: Cmd) -> String {
        self.keys
            .get(&cmd)
            .and_then(|k| k.first())
            .map(|k| k.to_string())
            .unwrap_or_else(|| "(unbound)".into())
    }

    /// The help rows of one context.
    pub fn help(&self, ctx: Ctx) -> Vec<HelpRow> {
        TABLE
            .iter()
            .filter(|r| r.1 == ctx)
            .map(|(cmd, _, name, _, help)| HelpRow {
                keys: self
                    .keys
                    .get(cmd)
                    .map(|k| {
                        k.iter()
                            .map(|k| k.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| "(unbound)".into()),
                name,
                help,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyEventKind;

    fn ev(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent {
            code,
            modifiers: mods,
            kind: KeyEventKind::Press,
            state: crossterm::event::KeyEventState::NONE,
        }
    }

    #[test]
    fn specs_match_events() {
        let km = Keymap::default();
        let k = KeySpec::from_event(&ev(KeyCode::Char('q'), KeyModifiers::CONTROL));
        assert_eq!(km.get(Ctx::Global, &k), Some(Cmd::Quit));
        let k = KeySpec::from_event(&ev(KeyCode::Enter, KeyModifiers::SHIFT));
        assert_eq!(km.get(Ctx::Input, &k), Some(Cmd::Newline));
        let k = KeySpec::from_event(&ev(KeyCode::Char('G'), KeyModifiers::SHIFT));
        assert_eq!(km.get(Ctx::Transcript, &k), Some(Cmd::ScrollBottom));
        let k = KeySpec::from_event(&ev(KeyCode::BackTab, KeyModifiers::SHIFT));
        assert_eq!(km.get(Ctx::Global, &k), Some(Cmd::FocusPrev));
    }

    #[test]
    fn user_bindings_replace_defaults_and_errors_name_the_line() {
        let text = "[keys.global]\nquit = \"f10\"\nhelp = \"hyper+x\"\nfly = \"f2\"\n";
        let cfg = crate::config::parse(text).unwrap();
        let (km, warnings) = Keymap::new(&cfg.keys, text);
        let f10 = KeySpec::parse("f10").unwrap();
        assert_eq!(km.get(Ctx::Global, &f10), Some(Cmd::Quit));
        let ctrl_q = KeySpec::parse("ctrl+q").unwrap();
        assert_eq!(km.get(Ctx::Global, &ctrl_q), None);
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings
            .iter()
            .any(|w| w.contains("line 3") && w.contains("hyper")));
        assert!(warnings
            .iter()
            .any(|w| w.contains("line 4") && w.contains("`fly`")));
    }

    #[test]
    fn every_default_key_parses() {
        for (_, _, name, keys, _) in TABLE {
            for k in keys.split_whitespace() {
                KeySpec::parse(k).unwrap_or_else(|e| panic!("{name}: {e}"));
            }
        }
    }
}
