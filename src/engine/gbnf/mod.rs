//! A GBNF checker that accepts what llama.cpp's grammar parser accepts: a port of its parser
//! (`llama-grammar.cpp`: same syntax, same rule expansion and repetition limits, undefined
//! rules, a `root` symbol, its left-recursion test made stricter where llama.cpp's would let a
//! grammar loop forever), reporting line:column and the real reason. llama.cpp itself prints
//! the whole grammar to stderr and says only "failed to parse".

use std::collections::HashMap;

// The parser is one struct whose methods are spread over files by what they read: characters
// and tokens (`lexer`), rules and sequences (`rules`), repetitions (`repeat`), and the checks
// that need the whole grammar (`whole_grammar`). Its fields stay private to this module; the
// child modules see them because they are its descendants.
mod lexer;
mod repeat;
mod rules;
mod whole_grammar;

/// llama.cpp's MAX_REPETITION_THRESHOLD.
const MAX_REPETITION: u64 = 2000;
/// Groups nested deeper than this are refused rather than risking the stack.
const MAX_NESTING: usize = 256;
/// Expanded rule elements beyond this are refused (llama.cpp would allocate them all).
const MAX_ELEMENTS: usize = 1 << 22;

/// An invalid grammar: 1-based line and column (in characters) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrammarError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for GrammarError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

/// A rule element, as llama.cpp stores it; terminals are all one kind here.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Elem {
    Term,
    Ref(u32),
    Alt,
    End,
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
    /// Symbol name -> id, in llama.cpp's order of first mention.
    ids: HashMap<String, u32>,
    names: Vec<String>,
    rules: Vec<Option<Vec<Elem>>>,
    /// Where each symbol was first referenced and where it was defined.
    ref_at: HashMap<u32, usize>,
    def_at: HashMap<u32, usize>,
    depth: usize,
    elements: usize,
    /// `<text>` tokens: llama.cpp needs each to be exactly one token of the model's vocabulary.
    text_tokens: Vec<(usize, String)>,
}

/// Checks `src`; Ok exactly when llama.cpp would build a grammar from it with root `root`
/// (given that every `<text>` token is one token of the model: see [`text_tokens`]).
pub fn check(src: &str) -> Result<(), GrammarError> {
    parse(src).map(|_| ())
}

/// The grammar's `<text>` tokens, each with where it stands (as a zero-message error), for a
/// check against the model's vocabulary.
pub fn text_tokens(src: &str) -> Result<Vec<(GrammarError, String)>, GrammarError> {
    let p = parse(src)?;
    Ok(p.text_tokens
        .iter()
        .map(|(at, t)| (p.err_at(*at, ""), t.clone()))
        .collect())
}

fn parse(src: &str) -> Result<Parser<'_>, GrammarError> {
    let mut p = Parser {
        src,
        pos: 0,
        ids: HashMap::new(),
        names: Vec::new(),
        rules: Vec::new(),
        ref_at: HashMap::new(),
        def_at: HashMap::new(),
        depth: 0,
        elements: 0,
        text_tokens: Vec::new(),
    };
    // llama.cpp reads the grammar as a C string: a NUL would silently cut it short.
    if let Some(at) = src.find('\0') {
        return Err(p.err_at(at, "the grammar contains a NUL byte"));
    }
    p.space(true);
    while !p.at_end() {
        p.rule()?;
    }
    p.finish()?;
    Ok(p)
}

#[cfg(test)]
mod tests;
